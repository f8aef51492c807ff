"""Execution threads (seed 000): GET /api/executions/{runId}/threads/stream.

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

Beyond the seed: every event has `id:` (the canonical seq, `seq.i` for line i of a
log chunk; the `connected` frame carries the position the stream starts after, `0`
for the start); a new connection replays the execution's history; `Last-Event-ID`
resumes; after a finished execution's last event the stream ends, and a reconnect
with nothing left gets 204 (EventSource then stops). `threadIds=build` also selects
build's matrix instances (`build.1`, `build.2`) and, for a called workflow, its jobs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, cast

from quart import Blueprint, Response, current_app, request

from runner.api.openapi import (
    document,
    error_response,
    header_param,
    path_param,
    query_param,
    sse_response,
)
from runner.api.sse import (
    FrameCache,
    check_issued,
    comment,
    dumps,
    event_stream,
    frame,
    frame_cache,
    parse_event_id,
)
from runner.api.thread_streams import RunReplay, iso_ms, job_error, thread_body, thread_streams
from runner.errors import ApiError
from runner.events.follow import Follower
from runner.events.types import Conclusion, Event, EventType

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

    from runner.api.app import Services
    from runner.expressions.values import JSONValue

blueprint = Blueprint("executions", __name__)

HEARTBEAT = comment("heartbeat")
_THREAD_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
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


# -- projection -----------------------------------------------------------------------
def project(event: Event) -> list[ThreadEvent]:
    """The thread events of one canonical event (a log chunk gives one per line)."""
    thread = event.job_id
    if thread is None or event.type not in _MAPPED:
        return []
    seq, data, kind = str(event.seq), event.data, event.type
    if kind is EventType.STEP_LOG:
        lines = data.get("lines")
        assert isinstance(lines, list)
        stream = data.get("stream", "stdout")
        return [
            ThreadEvent(
                f"{seq}.{i}",
                thread,
                ThreadKind.OUTPUT,
                {"text": line, "stream": stream, "stepNumber": event.step_number},
            )
            for i, line in enumerate(lines)
        ]
    if kind is EventType.JOB_STATUS:
        return [ThreadEvent(seq, thread, ThreadKind.STATUS, {"summary": data.get("summary")})]
    if kind is EventType.JOB_UNBLOCKED:
        approved, by = bool(data.get("approved")), data.get("by")
        summary = f"{'approved' if approved else 'rejected'} by {by}"
        return [
            ThreadEvent(
                seq, thread, ThreadKind.STATUS, {"summary": summary, "approved": approved, "by": by}
            )
        ]
    if kind is EventType.JOB_BLOCKED:
        return [
            ThreadEvent(
                seq,
                thread,
                ThreadKind.BLOCKED,
                {"reason": data.get("reason"), "environment": data.get("environment")},
            )
        ]
    if kind in (EventType.STEP_STARTED, EventType.STEP_COMPLETED):
        step = _object(data.get("step"))
        fields: dict[str, JSONValue] = {"tool": step.get("name"), "stepNumber": event.step_number}
        if kind is EventType.STEP_STARTED:
            return [ThreadEvent(seq, thread, ThreadKind.TOOL_RUNNING, fields)]
        fields.update(conclusion=step.get("conclusion"), error=step.get("error"))
        return [ThreadEvent(seq, thread, ThreadKind.TURN_COMPLETE, fields)]
    job = _object(data.get("job"))
    if kind is EventType.JOB_STARTED:
        started: dict[str, JSONValue] = {"name": job.get("name"), "key": job.get("key")}
        if job.get("matrix") is not None:
            started["matrix"] = job["matrix"]
        return [ThreadEvent(seq, thread, ThreadKind.STARTED, started)]
    conclusion = job.get("conclusion")
    if conclusion == Conclusion.SUCCESS:
        return [
            ThreadEvent(
                seq, thread, ThreadKind.COMPLETED, {"conclusion": conclusion, "error": None}
            )
        ]
    return [
        ThreadEvent(
            seq, thread, ThreadKind.FAILED, {"conclusion": conclusion, "error": job_error(job)}
        )
    ]


def frame_count(event: Event) -> int:
    """len(project(event)), without building the events (log chunks are the hot path)."""
    if event.job_id is None or event.type not in _MAPPED:
        return 0
    if event.type is EventType.STEP_LOG:
        lines = event.data.get("lines")
        return len(lines) if isinstance(lines, list) else 0
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
    if event.type is EventType.STEP_LOG:
        return _output_frames(event, first_sequence, after_index)
    return "".join(
        frame(
            dumps(payload(event.run_id, event.ts, te, first_sequence + i)),
            event=f"thread_{te.kind.value}",
            id=te.id,
        )
        for i, te in enumerate(project(event))
        if i > after_index
    )


def _output_frames(event: Event, first: int, after_index: int) -> str:
    # The hot path: the part common to the chunk is encoded once; each line costs two
    # calls of the C string encoder. Same bytes as the generic path (a test pins it).
    enc = encode_basestring
    thread = enc(event.job_id or "")
    head = (
        f'{{"executionId":{enc(event.run_id)},"threadId":{thread},'
        f'"type":"gateway_thread_output","data":{{"thread_id":{thread},'
        f'"event_type":"output","data_json":'
    )
    inner_tail = (
        f',"stream":{dumps(event.data.get("stream", "stdout"))},'
        f'"stepNumber":{dumps(event.step_number)}}}'
    )
    tail = f',"timestamp_ms":{event.ts},"sequence":'
    end = f'}},"timestamp":"{iso_ms(event.ts)}"}}\n\n'
    frame_head = f"id: {event.seq}."
    text_head = '{"text":'
    lines = event.data.get("lines")
    assert isinstance(lines, list)
    return "".join(
        f"{frame_head}{i}\nevent: thread_output\ndata: {head}"
        f"{enc(text_head + enc(str(line)) + inner_tail)}{tail}{first + i}{end}"
        for i, line in enumerate(lines)
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


# -- filters ---------------------------------------------------------------------------
def parse_thread_ids(args: MultiDict[str, str]) -> list[str] | None:
    """`threadIds=a,b` -> ["a", "b"]; None without it. ApiError 400 when malformed."""
    for key in args:
        if key != "threadIds" and key.startswith("threadIds"):
            raise ApiError(
                400,
                "invalid_request_error",
                f"{key!r} is not accepted: give threadIds=a,b (comma-separated)",
            )
    raw = args.getlist("threadIds")
    if not raw:
        return None
    wanted: list[str] = []
    for value in raw:
        for item in value.split(","):
            item = item.strip()
            if not _THREAD_ID.fullmatch(item):
                raise ApiError(
                    400,
                    "invalid_request_error",
                    f"threadIds: {item!r} is not a thread id (give job ids, "
                    "comma-separated, e.g. threadIds=build,test.2)",
                )
            if item not in wanted:
                wanted.append(item)
    return wanted


def selects(wanted: list[str] | None, thread_id: str) -> bool:
    """A thread is selected by its id, or by a prefix ending before a `.` (a job key
    selects its matrix instances; a calling job, the called workflow's jobs)."""
    return wanted is None or any(thread_id == w or thread_id.startswith(w + ".") for w in wanted)


# -- route -----------------------------------------------------------------------------
@blueprint.get("/api/executions/<run_id>/threads/stream")
async def thread_stream(run_id: str) -> Response:
    services: Services = current_app.config["STAX_DAEMON"]
    store = services.store
    wanted = parse_thread_ids(request.args)
    raw_id = request.headers.get("Last-Event-ID")
    try:
        position = parse_event_id(raw_id)
    except ValueError as exc:
        raise ApiError(400, "invalid_request_error", f"Last-Event-ID: {exc}") from None
    if position is not None:
        await check_issued(store, position[0], f"Last-Event-ID {raw_id!r}")
    run = await store.get_run(run_id)
    if run is None and run_id not in services.manager.active:
        raise ApiError(404, "not_found_error", f"no execution {run_id!r}")
    finished = run is not None and run.get("status") == "completed"

    # Fold the run up to the resume position: the sequences every thread has reached.
    sequences = ThreadSequences()
    after, after_index = position if position is not None else (0, None)
    pending = ""
    if position is not None:
        replay = RunReplay(store, run_id, until=after)
        while batch := await replay.next_page():
            for event in batch:
                first = sequences.advance(event)
                if (
                    event.seq == after
                    and after_index is not None
                    and first
                    and selects(wanted, event.job_id or "")
                ):
                    pending = encode(event, first, after_index=after_index)
        if finished and not pending and not await _any_frame(services, run_id, after, wanted):
            return Response("", status=204)

    cache = frame_cache("executions")
    streams = thread_streams(services.bus)
    follower = Follower(
        store,
        services.bus,
        after_seq=after,
        run_id=run_id,
        buffer=services.settings.streams.subscriber_buffer,
    )

    def frames(event: Event) -> str:
        first = sequences.advance(event)
        if not first or not selects(wanted, event.job_id or ""):
            return ""
        return _cached(cache, event, first)

    connected = frame(
        dumps({"executionId": run_id, "threadIds": cast("list[JSONValue] | None", wanted)}),
        event="connected",
        id=raw_id.strip() if raw_id and raw_id.strip() else "0",
    )

    body = thread_body(
        follower,
        frames,
        first=connected + pending,
        heartbeat_s=services.settings.streams.heartbeat_seconds,
        heartbeat=HEARTBEAT,
        stop=_run_completed,
        streams=streams,
    )
    return event_stream(body)


def _cached(cache: FrameCache[str], event: Event, first: int) -> str:
    # Every client numbers the same log the same way, so an event's frames are the same
    # for all of them: encode once.
    return cache.get(event, lambda e: encode(e, first))


def _run_completed(event: Event) -> bool:
    return event.type is EventType.RUN_COMPLETED


async def _any_frame(services: Services, run_id: str, after: int, wanted: list[str] | None) -> bool:
    """Whether any selected thread event follows seq `after` in a finished run."""
    replay = RunReplay(services.store, run_id, after=after)
    while batch := await replay.next_page():
        if any(frame_count(e) and selects(wanted, e.job_id or "") for e in batch):
            return True
    return False


def _object(value: JSONValue) -> dict[str, JSONValue]:
    return value if isinstance(value, dict) else {}


document(
    "/api/executions/{runId}/threads/stream",
    "get",
    {
        "summary": "A run's jobs as execution threads (seed 000)",
        "parameters": [
            path_param("runId", "the run (execution) id"),
            query_param(
                "threadIds",
                "comma-separated thread (job) ids; a job key also selects its matrix instances",
            ),
            header_param("Last-Event-ID", "resume after this event id (N or N.i)"),
        ],
        "responses": {
            "200": sse_response(
                "connected, then gateway thread events (history first), "
                "`: heartbeat` comments; ends after a finished run's last event"
            ),
            "204": {"description": "a finished execution with nothing after Last-Event-ID"},
            "400": error_response("malformed threadIds or Last-Event-ID"),
            "404": error_response("no such execution"),
        },
    },
)
