"""Turns engine state changes into canonical events: the one place their payloads are built.

Each event's payload is built typed (runner.events.payloads) and goes into the event as
it is, its user text masked on the way (payload_masking): a secret can appear in no
event, whatever user text it hides in. Its JSON form is made where it leaves the
process (the store, the wire).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine import faults
from runner.engine.payload_masking import masked
from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobMessage,
    JobPayload,
    JobStatus,
    JobUnblocked,
    LogChunk,
    RunPayload,
    StepPayload,
)
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from runner.engine.masking import Masker
    from runner.engine.records import JobRecord, RunRecord, StepRecord
    from runner.events.payloads import Payload
    from runner.events.sink import EventSink
    from runner.expressions import JSONValue


class Reporter:
    __slots__ = ("masker", "run_id", "sink")

    def __init__(self, sink: EventSink, run_id: str, masker: Masker) -> None:
        self.sink = sink
        self.run_id = run_id
        self.masker = masker

    async def emit(
        self,
        type: EventType,
        payload: Payload,
        *,
        job_id: str | None = None,
        step_number: int | None = None,
    ) -> None:
        """Emit a typed payload, its user text masked."""
        if faults.ARMED is not None:
            faults.inject("emit", job_id or "")
        await self.sink.emit(
            Event(
                type=type,
                run_id=self.run_id,
                job_id=job_id,
                step_number=step_number,
                payload=masked(payload, self.masker),
            )
        )

    # -- runs --------------------------------------------------------------
    async def run_started(self, run: RunRecord) -> None:
        await self.emit(EventType.RUN_STARTED, RunPayload(run=run.as_snapshot(jobs=False)))

    async def run_completed(self, run: RunRecord) -> None:
        await self.emit(EventType.RUN_COMPLETED, RunPayload(run=run.as_snapshot()))

    # -- jobs --------------------------------------------------------------
    async def job_queued(self, job: JobRecord) -> None:
        await self._job(EventType.JOB_QUEUED, job)

    async def job_started(self, job: JobRecord) -> None:
        await self._job(EventType.JOB_STARTED, job)

    async def job_completed(self, job: JobRecord) -> None:
        await self._job(EventType.JOB_COMPLETED, job)

    async def _job(self, type: EventType, job: JobRecord) -> None:
        await self.emit(type, JobPayload(job=job.as_snapshot()), job_id=job.id)

    async def job_status(self, job: JobRecord, summary: str) -> None:
        await self.emit(EventType.JOB_STATUS, JobStatus(summary=summary), job_id=job.id)

    async def job_blocked(self, job: JobRecord, *, reason: str, environment: str) -> None:
        blocked = JobBlocked(reason=reason, environment=environment)
        await self.emit(EventType.JOB_BLOCKED, blocked, job_id=job.id)

    async def job_unblocked(self, job: JobRecord, *, approved: bool, by: str) -> None:
        unblocked = JobUnblocked(approved=approved, by=by)
        await self.emit(EventType.JOB_UNBLOCKED, unblocked, job_id=job.id)

    async def job_message(
        self, job: JobRecord, *, from_job: str, outputs: dict[str, JSONValue], result: str
    ) -> None:
        message = JobMessage(from_job=from_job, to_job=job.id, outputs=outputs, result=result)
        await self.emit(EventType.JOB_MESSAGE, message, job_id=job.id)

    # -- steps -------------------------------------------------------------
    async def step_started(self, job: JobRecord, step: StepRecord) -> None:
        await self.emit(
            EventType.STEP_STARTED,
            StepPayload(step=step.as_snapshot()),
            job_id=job.id,
            step_number=step.number,
        )

    async def step_completed(
        self, job: JobRecord, step: StepRecord, extra: dict[str, JSONValue] | None = None
    ) -> None:
        """`extra`: {"outputs": ...} of a step that produced outputs."""
        outputs = (extra or {}).get("outputs")
        await self.emit(
            EventType.STEP_COMPLETED,
            StepPayload(
                step=step.as_snapshot(), outputs=outputs if isinstance(outputs, dict) else None
            ),
            job_id=job.id,
            step_number=step.number,
        )

    async def step_log(self, job_id: str, step_number: int, stream: str, lines: list[str]) -> None:
        """A chunk of already-masked lines (masking them again would cost a regex pass)."""
        if faults.ARMED is not None:
            faults.inject("emit", job_id)
        await self.sink.emit(
            Event(
                type=EventType.STEP_LOG,
                run_id=self.run_id,
                job_id=job_id,
                step_number=step_number,
                payload=LogChunk(stream=stream, lines=lines),
            )
        )

    async def step_annotation(
        self, job_id: str, step_number: int, annotation: dict[str, JSONValue]
    ) -> None:
        """`annotation`: {level, message, and the command's properties}."""
        level, message = annotation.get("level"), annotation.get("message")
        typed = Annotation(
            level=level if isinstance(level, str) else "",
            message=message if isinstance(message, str) else "",
            properties={k: v for k, v in annotation.items() if k not in ("level", "message")},
        )
        await self.emit(EventType.STEP_ANNOTATION, typed, job_id=job_id, step_number=step_number)
