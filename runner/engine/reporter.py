"""Turns engine state changes into canonical events: the one place their payloads are built.

Each event's payload is built typed (runner.events.payloads) and becomes JSON here, on
its way into the event; the masking below works on that JSON form, by field name.

Every field that holds text from users passes the run's Masker on the way out, so a
secret can appear in no event, whatever user text it hides in. Only those fields:
keys, ids, enum values (status, conclusion, level ...) and numbers are the events'
structure, which a mask must never touch (a one-character secret `e` must not turn
`completed` into `compl***t***d`, nor `::add-mask::run` take away the key `run`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from runner.engine import faults
from runner.events.payload_json import payload_to_json
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
from runner.expressions import to_string

if TYPE_CHECKING:
    from runner.engine.masking import Masker
    from runner.engine.records import JobRecord, RunRecord, StepRecord
    from runner.events.payloads import Payload
    from runner.events.sink import EventSink
    from runner.expressions import JSONValue

# Strings that users wrote or produced: names, messages, errors, summaries, reasons.
_TEXT_FIELDS = frozenset(
    {"name", "error", "summary", "message", "title", "file", "reason", "environment", "by"}
    | {"condition"}
)
# JSON values from users (every string inside them, never their keys).
_VALUE_FIELDS = frozenset({"inputs", "outputs", "matrix", "runs_on", "produced_output"})
# Snapshots (and lists of them) that hold such fields.
_RECORD_FIELDS = frozenset({"run", "job", "step", "jobs", "steps", "graph"})


class Reporter:
    __slots__ = ("masker", "run_id", "sink")

    def __init__(self, sink: EventSink, run_id: str, masker: Masker) -> None:
        self.sink = sink
        self.run_id = run_id
        self.masker = masker

    async def emit(
        self,
        type: EventType,
        data: dict[str, JSONValue],
        *,
        job_id: str | None = None,
        step_number: int | None = None,
    ) -> None:
        if faults.ARMED is not None:
            faults.inject("emit", job_id or "")
        await self.sink.emit(
            Event(
                type=type,
                run_id=self.run_id,
                job_id=job_id,
                step_number=step_number,
                data=_user_text_masked(data, self.masker),
            )
        )

    async def emit_payload(
        self,
        type: EventType,
        payload: Payload,
        *,
        job_id: str | None = None,
        step_number: int | None = None,
    ) -> None:
        """Emit a typed payload: its JSON form, user text masked, is the event's data."""
        await self.emit(type, payload_to_json(payload), job_id=job_id, step_number=step_number)

    # -- runs --------------------------------------------------------------
    async def run_started(self, run: RunRecord) -> None:
        await self.emit_payload(EventType.RUN_STARTED, RunPayload(run=run.as_snapshot(jobs=False)))

    async def run_completed(self, run: RunRecord) -> None:
        await self.emit_payload(EventType.RUN_COMPLETED, RunPayload(run=run.as_snapshot()))

    # -- jobs --------------------------------------------------------------
    async def job_queued(self, job: JobRecord) -> None:
        await self._job(EventType.JOB_QUEUED, job)

    async def job_started(self, job: JobRecord) -> None:
        await self._job(EventType.JOB_STARTED, job)

    async def job_completed(self, job: JobRecord) -> None:
        await self._job(EventType.JOB_COMPLETED, job)

    async def _job(self, type: EventType, job: JobRecord) -> None:
        await self.emit_payload(type, JobPayload(job=job.as_snapshot()), job_id=job.id)

    async def job_status(self, job: JobRecord, summary: str) -> None:
        await self.emit_payload(EventType.JOB_STATUS, JobStatus(summary=summary), job_id=job.id)

    async def job_blocked(self, job: JobRecord, *, reason: str, environment: str) -> None:
        blocked = JobBlocked(reason=reason, environment=environment)
        await self.emit_payload(EventType.JOB_BLOCKED, blocked, job_id=job.id)

    async def job_unblocked(self, job: JobRecord, *, approved: bool, by: str) -> None:
        unblocked = JobUnblocked(approved=approved, by=by)
        await self.emit_payload(EventType.JOB_UNBLOCKED, unblocked, job_id=job.id)

    async def job_message(
        self, job: JobRecord, *, from_job: str, outputs: dict[str, JSONValue], result: str
    ) -> None:
        message = JobMessage(from_job=from_job, to_job=job.id, outputs=outputs, result=result)
        await self.emit_payload(EventType.JOB_MESSAGE, message, job_id=job.id)

    # -- steps -------------------------------------------------------------
    async def step_started(self, job: JobRecord, step: StepRecord) -> None:
        await self.emit_payload(
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
        await self.emit_payload(
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
                data=payload_to_json(LogChunk(stream=stream, lines=lines)),
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
        await self.emit_payload(
            EventType.STEP_ANNOTATION, typed, job_id=job_id, step_number=step_number
        )


def _user_text_masked(data: dict[str, JSONValue], masker: Masker) -> dict[str, JSONValue]:
    """A copy of `data` with its user text masked (the fields above, at any depth of the
    snapshots); everything else as it was."""
    out: dict[str, JSONValue] = {}
    for key, value in data.items():
        if key in _TEXT_FIELDS and isinstance(value, str):
            value = masker.mask(value)
        elif key in _VALUE_FIELDS:
            value = _value_masked(value, masker)
        elif key in _RECORD_FIELDS:
            if isinstance(value, dict):
                value = _user_text_masked(value, masker)
            elif isinstance(value, list):
                value = [
                    _user_text_masked(item, masker) if isinstance(item, dict) else item
                    for item in value
                ]
        out[key] = value
    return out


def _value_masked(value: JSONValue, masker: Masker) -> JSONValue:
    """Every string inside a user's JSON value masked (keys are kept: an output's name is
    the workflow's, not a secret). A number that is not finite (an expression's
    `fromJSON('1e400')`) becomes its string, "Infinity", as JSON has no such number."""
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, float) and not math.isfinite(value):
        return to_string(value)
    if isinstance(value, list):
        return [_value_masked(item, masker) for item in value]
    if isinstance(value, dict):
        return {key: _value_masked(item, masker) for key, item in value.items()}
    return value
