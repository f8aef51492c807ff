"""GET /api/events (seed 003): every state change of every run, as it happens.

Projection, event by event (every field of the seed's payloads, under its names;
stax adds fields, e.g. `stream` and `outputs`, and never removes one):

    run.started / run.completed     {runId, run}
    job.started / job.completed     {runId, jobId, job}
    step.started / step.completed   {runId, jobId, stepNumber, step}
    step.log                        {runId, jobId, stepNumber, line, stream}   one event per line;
                                    `line` keeps its newline, as in the seed's sample
    job.queued                      {runId, jobId, job}
    job.blocked                     {runId, jobId, reason, environment}
    job.unblocked                   {runId, jobId, approved, by}
    job.status                      {runId, jobId, summary}
    job.message                     {runId, jobId, fromJob, outputs, result}
    step.annotation                 {runId, jobId, stepNumber, level, message, file?, line?, ...}
    skill.started / skill.step / skill.completed  {runId, jobId, stepNumber, skill_id, trace_id, ...}
    ping                            {}   on connect and every 30 s

Every event carries `id:` — the canonical seq, or `seq.i` for line i of a
log chunk — so `Last-Event-ID` (or `?lastEventId=` on a first request)
resumes exactly, to the line; an id past the last recorded event is 400.
Filters: `?runId=` and `?types=a,b`. Without a resume position the stream
starts live, at the present.

`?format=canonical` (stax's own clients: `stax log`, `stax run` through the
daemon) sends the canonical events themselves, one per seq, log chunks whole.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING

from quart import Blueprint, Response, current_app, request

from runner.api.sse import (
    WireEvent,
    check_issued,
    dumps,
    event_stream,
    frame,
    frame_cache,
    live_frames,
    parse_event_id,
)
from runner.errors import ApiError
from runner.events.follow import Follower
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runner.expressions.values import JSONValue

blueprint = Blueprint("runner_events", __name__)

_RETRY_MS = 2000
_KNOWN_TYPES = {t.value for t in EventType}


def project(event: Event, *, skip_lines_through: int | None = None) -> list[WireEvent]:
    """The wire events for one canonical event (a log chunk gives one per line)."""
    if event.type is EventType.STEP_LOG:
        start = 0 if skip_lines_through is None else skip_lines_through + 1
        return [
            WireEvent("step.log", data, f"{event.seq}.{index}")
            for index, data in _log_payloads(event)
            if index >= start
        ]
    base: dict[str, JSONValue] = {"runId": event.run_id}
    if event.job_id is not None:
        base["jobId"] = event.job_id
    if event.step_number is not None:
        base["stepNumber"] = event.step_number
    kind = event.type
    data = event.data
    payload: dict[str, JSONValue] = dict(base)
    if kind in (EventType.RUN_STARTED, EventType.RUN_COMPLETED):
        payload["run"] = data.get("run")
    elif kind in (EventType.JOB_STARTED, EventType.JOB_COMPLETED, EventType.JOB_QUEUED):
        payload["job"] = data.get("job")
    elif kind in (EventType.STEP_STARTED, EventType.STEP_COMPLETED):
        payload["step"] = data.get("step")
        if kind is EventType.STEP_COMPLETED and "outputs" in data:
            payload["outputs"] = data["outputs"]
    elif kind is EventType.JOB_MESSAGE:
        payload.update(
            {
                "fromJob": data.get("from_job"),
                "outputs": data.get("outputs"),
                "result": data.get("result"),
            }
        )
    else:
        payload.update(data)
    return [WireEvent(kind.value, dumps(payload), str(event.seq))]


def _log_payloads(event: Event) -> list[tuple[int, str]]:
    """(index, JSON text) per line of a log chunk: {runId, jobId, stepNumber, line, stream}.

    This is the hot path of every stream (log lines are most of the log), so the part
    common to the chunk is encoded once, and the lines are encoded by one C call for the
    whole chunk: in the JSON of a list of strings, `","` can only be a separator (a quote
    inside a string is always escaped), so splitting there gives each line's encoding.
    """
    lines = event.data.get("lines")
    assert isinstance(lines, list)
    if not lines:
        return []
    head: dict[str, JSONValue] = {
        "runId": event.run_id,
        "jobId": event.job_id,
        "stepNumber": event.step_number,
    }
    prefix = dumps(head)[:-1] + ',"line":"'
    suffix = '\\n","stream":' + dumps(event.data.get("stream", "stdout")) + "}"
    encoded = dumps(lines)[2:-2].split('","')
    return [(index, f"{prefix}{text}{suffix}") for index, text in enumerate(encoded)]


def _log_frames(event: Event) -> str:
    seq = event.seq
    return "".join(
        f"id: {seq}.{index}\nevent: step.log\ndata: {data}\n\n"
        for index, data in _log_payloads(event)
    )


@blueprint.get("/api/events")
async def events() -> Response:
    daemon = current_app.config["STAX_DAEMON"]
    raw_id = request.headers.get("Last-Event-ID") or request.args.get("lastEventId")
    try:
        position = parse_event_id(raw_id)
    except ValueError as exc:
        raise ApiError(400, "invalid_request_error", str(exc)) from None
    run_id = request.args.get("runId") or None
    types = _types(request.args.get("types"))
    if position is None:
        after, resume_index = daemon.store.last_seq, None
    else:
        seq, resume_index = position
        await check_issued(daemon.store, seq, f"event id {raw_id!r}")
        after = seq - 1 if resume_index is not None else seq

    def accept(event: Event) -> bool:
        return types is None or event.type.value in types

    canonical = request.args.get("format") == "canonical"
    cache, canonical_cache = frame_cache("api/events"), frame_cache("api/events canonical")

    def projection(event: Event) -> str:
        if canonical:
            return canonical_cache.get(event, _canonical_frame)
        if resume_index is not None and event.seq == after + 1:
            return "".join(w.encode() for w in project(event, skip_lines_through=resume_index))
        return cache.get(event, _frames)

    follower = Follower(
        daemon.store,
        daemon.bus,
        after_seq=after,
        accept=accept,
        run_id=run_id,
        buffer=daemon.settings.streams.subscriber_buffer,
    )

    async def body() -> AsyncIterator[bytes]:
        with follower:
            yield frame("{}", event="ping", id=None, retry=_RETRY_MS).encode()
            frames = live_frames(
                follower,
                projection,
                keepalive_s=daemon.settings.streams.ping_seconds,
                keepalive=frame("{}", event="ping"),
            )
            # Closed explicitly: a browser leaving the page must not leave it to the GC.
            async with aclosing(frames):
                async for chunk in frames:
                    yield chunk

    return event_stream(body())


def _frames(event: Event) -> str:
    if event.type is EventType.STEP_LOG:
        return _log_frames(event)  # ids and names need no cleaning: skip frame()'s checks
    return "".join(w.encode() for w in project(event))


def _canonical_frame(event: Event) -> str:
    return frame(dumps(event.to_json()), event=event.type.value, id=str(event.seq))


def _types(raw: str | None) -> set[str] | None:
    if not raw:
        return None
    types = {t.strip() for t in raw.split(",") if t.strip()}
    unknown = sorted(types - _KNOWN_TYPES)
    if unknown:
        raise ApiError(
            400,
            "invalid_request_error",
            f"unknown event type(s): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_KNOWN_TYPES))})",
        )
    return types
