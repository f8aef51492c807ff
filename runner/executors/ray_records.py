"""The daemon's copy of a job running on a node, kept from the job's own events.

The node owns the job's record while it runs; the daemon follows it from the
snapshots its events carry, so that a node lost mid-job leaves a record that
says which step was open (that step, then the job, fail as "runner lost"), and
the run's final snapshot shows each job as it ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.records import JobRecord, StepRecord
from runner.events.payloads import JobPayload, StepPayload
from runner.events.types import EventType

if TYPE_CHECKING:
    from runner.events.payloads import StepSnapshot
    from runner.events.types import Event


def mirror_event(record: JobRecord, event: Event) -> None:
    """Bring `record` up to date with one of its job's events."""
    match event.payload:
        case JobPayload(job=job) if event.type is not EventType.JOB_QUEUED:
            record.status = job.status
            record.started_at = _or(job.started_at, record.started_at)
        case StepPayload(step=step):
            _mirror_step(record, step)
        case _:
            pass


def take_final(record: JobRecord, final: JobRecord) -> None:
    """Make `record` what the node ended the job with."""
    for name in JobRecord.__slots__:
        setattr(record, name, getattr(final, name))


def _mirror_step(record: JobRecord, snapshot: StepSnapshot) -> None:
    number = snapshot.number
    if number < 1:  # no number in the event: nothing to say which step it is
        return
    while len(record.steps) < number:
        record.steps.append(StepRecord(number=len(record.steps) + 1, name=""))
    step = record.steps[number - 1]
    step.name = snapshot.name or step.name
    step.status = snapshot.status
    step.conclusion = snapshot.conclusion
    step.started_at = _or(snapshot.started_at, step.started_at)
    step.completed_at = _or(snapshot.completed_at, step.completed_at)


def _or(value: int | None, default: int | None) -> int | None:
    return default if value is None else value
