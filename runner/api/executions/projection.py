"""Execution threads (seed 000): canonical events as gateway thread events.

An execution is a run; each job (each matrix instance, id `key.N`; a called workflow's
job, `caller.key`) is a thread whose id is the job id. Each canonical event becomes
0..n `gateway_thread_<kind>` events; the SSE event name drops the `gateway_` prefix:

    job.started     thread_started        {"name", "key", "matrix"?}
    step.started    thread_tool_running   {"tool": step name, "stepNumber"}
    step.log        thread_output         {"text", "stream", "stepNumber"}   one per line
    step.completed  thread_turn_complete  {"tool", "stepNumber", "conclusion", "error"}
    job.status      thread_status         {"summary"}
    job.unblocked   thread_status         {"summary", "approved", "by"}
    job.blocked     thread_blocked        {"reason", "environment"}
    job.completed   thread_completed      {"conclusion": "success", "error": null}
                    thread_failed         {"conclusion", "error"}   any other conclusion
    run.*, job.queued, job.message, step.annotation, skill.*: nothing

Payload: {executionId, threadId, type, data: {thread_id, event_type, data_json,
timestamp_ms, sequence}, timestamp}; `data_json` is the object above as a JSON string;
`sequence` counts the thread's events from 1, derived from the log (the thread's
events before this one, in order), so it is the same for every client and across
reconnects.

Every event has `id:`, the canonical seq (`seq.i` for line i of a log chunk).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from runner.api.snapshots import iso_ms, job_error
from runner.api.sse import dumps, frame
from runner.events.payloads import (
    JobBlocked,
    JobPayload,
    JobStatus,
    JobUnblocked,
    LogChunk,
    Payload,
    StepPayload,
)
from runner.events.types import Conclusion, Event, EventType

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue


def _value(conclusion: Conclusion | None) -> str | None:
    return None if conclusion is None else conclusion.value


_MAPPED = frozenset(
    {
        EventType.JOB_STARTED,
        EventType.STEP_STARTED,
        EventType.STEP_LOG,
        EventType.STEP_COMPLETED,
        EventType.JOB_STATUS,
        EventType.JOB_UNBLOCKED,
        EventType.JOB_BLOCKED,
        EventType.JOB_COMPLETED,
    }
)


class ThreadKind(StrEnum):
    STARTED = "started"
    TOOL_RUNNING = "tool_running"
    OUTPUT = "output"
    TURN_COMPLETE = "turn_complete"
    STATUS = "status"
    BLOCKED = "blocked"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ThreadEvent:
    """One gateway thread event, before it is numbered."""

    id: str  # the SSE id: "seq" or "seq.i"
    thread_id: str
    kind: ThreadKind
    data: dict[str, JSONValue]  # what data_json encodes


def project(event: Event) -> list[ThreadEvent]:
    """The thread events of one canonical event (a log chunk gives one per line)."""
    thread = event.job_id
    if thread is None or event.type not in _MAPPED:
        return []
    payload = event.payload
    if isinstance(payload, LogChunk):
        stream = payload.stream
        return [
            ThreadEvent(
                f"{event.seq}.{i}",
                thread,
                ThreadKind.OUTPUT,
                {"text": line, "stream": stream, "stepNumber": event.step_number},
            )
            for i, line in enumerate(payload.lines)
        ]
    kind, data = _thread_event(event.type, payload, event.step_number)
    return [ThreadEvent(str(event.seq), thread, kind, data)]


def _thread_event(
    kind: EventType, payload: Payload, step_number: int | None
) -> tuple[ThreadKind, dict[str, JSONValue]]:
    """The one thread event of a mapped canonical event other than a log chunk."""
    match payload:
        case JobStatus(summary=summary):
            return ThreadKind.STATUS, {"summary": summary}
        case JobUnblocked(approved=approved, by=by):
            summary = f"{'approved' if approved else 'rejected'} by {by}"
            return ThreadKind.STATUS, {"summary": summary, "approved": approved, "by": by}
        case JobBlocked(reason=reason, environment=environment):
            return ThreadKind.BLOCKED, {"reason": reason, "environment": environment}
        case StepPayload(step=step):
            fields: dict[str, JSONValue] = {"tool": step.name, "stepNumber": step_number}
            if kind is EventType.STEP_STARTED:
                return ThreadKind.TOOL_RUNNING, fields
            fields.update(conclusion=_value(step.conclusion), error=step.error)
            return ThreadKind.TURN_COMPLETE, fields
        case JobPayload(job=job) if kind is EventType.JOB_STARTED:
            started: dict[str, JSONValue] = {"name": job.name, "key": job.key}
            if job.matrix is not None:
                started["matrix"] = job.matrix
            return ThreadKind.STARTED, started
        case JobPayload(job=job) if job.conclusion is Conclusion.SUCCESS:
            return ThreadKind.COMPLETED, {"conclusion": job.conclusion.value, "error": None}
        case JobPayload(job=job):
            conclusion = _value(job.conclusion)
            return ThreadKind.FAILED, {"conclusion": conclusion, "error": job_error(job)}
    raise AssertionError(f"{kind} is not a mapped event")


def frame_count(event: Event) -> int:
    """len(project(event)), without building the events (log chunks are the hot path)."""
    if event.job_id is None or event.type not in _MAPPED:
        return 0
    if event.type is EventType.STEP_LOG:
        chunk = event.payload
        return len(chunk.lines) if isinstance(chunk, LogChunk) else 0
    return 1


def payload(run_id: str, ts: int, event: ThreadEvent, sequence: int) -> dict[str, JSONValue]:
    """The seed's payload for a numbered thread event."""
    return {
        "executionId": run_id,
        "threadId": event.thread_id,
        "type": f"gateway_thread_{event.kind.value}",
        "data": {
            "thread_id": event.thread_id,
            "event_type": event.kind.value,
            "data_json": dumps(event.data),
            "timestamp_ms": ts,
            "sequence": sequence,
        },
        "timestamp": iso_ms(ts),
    }


def encode(event: Event, first_sequence: int, *, after_index: int = -1) -> str:
    """The frames of one canonical event whose first thread event is numbered
    `first_sequence`; with `after_index`, only the lines after that one."""
    if event.type is EventType.STEP_LOG and isinstance(chunk := event.payload, LogChunk):
        return _output_frames(event, chunk, first_sequence, after_index)
    return "".join(
        frame(
            dumps(payload(event.run_id, event.ts, te, first_sequence + i)),
            event=f"thread_{te.kind.value}",
            id=te.id,
        )
        for i, te in enumerate(project(event))
        if i > after_index
    )


def _output_frames(event: Event, chunk: LogChunk, first: int, after_index: int) -> str:
    # The hot path: the part common to the chunk is encoded once; each line costs two
    # calls of the C string encoder. Same bytes as the generic path (a test pins it).
    enc = encode_basestring
    thread = enc(event.job_id or "")
    head = (
        f'{{"executionId":{enc(event.run_id)},"threadId":{thread},'
        f'"type":"gateway_thread_output","data":{{"thread_id":{thread},'
        f'"event_type":"output","data_json":'
    )
    inner_tail = f',"stream":{dumps(chunk.stream)},"stepNumber":{dumps(event.step_number)}}}'
    tail = f',"timestamp_ms":{event.ts},"sequence":'
    end = f'}},"timestamp":"{iso_ms(event.ts)}"}}\n\n'
    frame_head = f"id: {event.seq}."
    text_head = '{"text":'
    return "".join(
        f"{frame_head}{i}\nevent: thread_output\ndata: {head}"
        f"{enc(text_head + enc(str(line)) + inner_tail)}{tail}{first + i}{end}"
        for i, line in enumerate(chunk.lines)
        if i > after_index
    )


class ThreadSequences:
    """The next `sequence` of each thread, folded from a run's events in log order."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def advance(self, event: Event) -> int:
        """Number the event's thread events; returns the first number (0: none)."""
        count = frame_count(event)
        if not count:
            return 0
        thread = event.job_id
        assert thread is not None
        first = self._next.get(thread, 1)
        self._next[thread] = first + count
        return first
