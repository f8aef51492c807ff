"""The daemon's mirror of a job on a node, from the snapshots the job's events carry."""

from __future__ import annotations

from runner.engine.records import JobRecord, StepRecord
from runner.events.payload_json import payload_to_json
from runner.events.payloads import JobPayload, JobSnapshot, StepPayload, StepSnapshot
from runner.events.types import Conclusion, Event, EventType, Status
from runner.executors.ray_records import mirror_event


def event(type: EventType, payload: JobPayload | StepPayload) -> Event:
    return Event(type=type, run_id="r", job_id="a", data=payload_to_json(payload))


def test_job_and_step_snapshots_update_the_mirror() -> None:
    record = JobRecord(id="a", key="a", name="a")
    started = JobSnapshot(id="a", status=Status.IN_PROGRESS, started_at=5)
    mirror_event(record, event(EventType.JOB_STARTED, JobPayload(job=started)))
    assert (record.status, record.started_at) == (Status.IN_PROGRESS, 5)

    step = StepSnapshot(
        number=2,
        name="build",
        status=Status.COMPLETED,
        conclusion=Conclusion.FAILURE,
        started_at=6,
        completed_at=9,
    )
    mirror_event(record, event(EventType.STEP_COMPLETED, StepPayload(step=step)))
    assert [s.number for s in record.steps] == [1, 2]
    mirrored = record.steps[1]
    assert (mirrored.name, mirrored.status, mirrored.conclusion) == (
        "build",
        Status.COMPLETED,
        Conclusion.FAILURE,
    )
    assert (mirrored.started_at, mirrored.completed_at) == (6, 9)


def test_a_queued_job_event_or_a_step_without_a_number_changes_nothing() -> None:
    record = JobRecord(id="a", key="a", name="a", status=Status.IN_PROGRESS)
    record.steps.append(StepRecord(number=1, name="first", status=Status.IN_PROGRESS))
    mirror_event(record, event(EventType.JOB_QUEUED, JobPayload(job=JobSnapshot(id="a"))))
    mirror_event(
        record,
        Event(type=EventType.STEP_STARTED, run_id="r", job_id="a", data={"step": {}}),
    )
    assert record.status is Status.IN_PROGRESS
    assert [(s.name, s.status) for s in record.steps] == [("first", Status.IN_PROGRESS)]
