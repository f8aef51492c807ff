"""The daemon's copy of a job running on a node, kept from the job's own events.

The node owns the job's record while it runs; the daemon follows it from the
snapshots its events carry, so that a node lost mid-job leaves a record that
says which step was open (that step, then the job, fail as "runner lost"), and
the run's final snapshot shows each job as it ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.records import JobRecord, StepRecord
from runner.events.types import Conclusion, EventType, Status

if TYPE_CHECKING:
    from runner.events.types import Event
    from runner.expressions import JSONValue


def mirror_event(record: JobRecord, event: Event) -> None:
    """Bring `record` up to date with one of its job's events."""
    if event.type in (EventType.JOB_STARTED, EventType.JOB_COMPLETED):
        snapshot = event.data.get("job")
        if isinstance(snapshot, dict):
            record.status = Status(str(snapshot.get("status")))
            record.started_at = _int(snapshot.get("started_at"), record.started_at)
    elif event.type in (EventType.STEP_STARTED, EventType.STEP_COMPLETED):
        snapshot = event.data.get("step")
        if isinstance(snapshot, dict):
            _mirror_step(record, snapshot)


def take_final(record: JobRecord, final: JobRecord) -> None:
    """Make `record` what the node ended the job with."""
    for name in JobRecord.__slots__:
        setattr(record, name, getattr(final, name))


def _mirror_step(record: JobRecord, snapshot: dict[str, JSONValue]) -> None:
    number = _int(snapshot.get("number"), None)
    if number is None:
        return
    while len(record.steps) < number:
        record.steps.append(StepRecord(number=len(record.steps) + 1, name=""))
    step = record.steps[number - 1]
    step.name = str(snapshot.get("name", step.name))
    step.status = Status(str(snapshot.get("status")))
    conclusion = snapshot.get("conclusion")
    step.conclusion = Conclusion(str(conclusion)) if conclusion else None
    step.started_at = _int(snapshot.get("started_at"), step.started_at)
    step.completed_at = _int(snapshot.get("completed_at"), step.completed_at)


def _int(value: JSONValue, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
