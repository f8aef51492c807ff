"""Runner events (seed 003): canonical events as GET /api/events sends them.

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

Every event carries `id:`: the canonical seq, or `seq.i` for line i of a log chunk
(routes.py resumes from either, to the line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner import json_text
from runner.api.sse import WireEvent, dumps, frame
from runner.events.payloads import JobMessage, LogChunk
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue


def project(event: Event, *, skip_lines_through: int | None = None) -> list[WireEvent]:
    """The wire events for one canonical event (a log chunk gives one per line)."""
    if event.type is EventType.STEP_LOG and isinstance(chunk := event.payload, LogChunk):
        start = 0 if skip_lines_through is None else skip_lines_through + 1
        return [
            WireEvent("step.log", data, f"{event.seq}.{index}")
            for index, data in _log_payloads(event, chunk)
            if index >= start
        ]
    base: dict[str, JSONValue] = {"runId": event.run_id}
    if event.job_id is not None:
        base["jobId"] = event.job_id
    if event.step_number is not None:
        base["stepNumber"] = event.step_number
    kind = event.type
    # The snapshots go out as the JSON they are stored as (the wire's form already):
    # decoding and encoding them again would give the same object, at a cost.
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
    elif isinstance(message := event.payload, JobMessage):
        payload.update(
            {"fromJob": message.from_job, "outputs": message.outputs, "result": message.result}
        )
    else:
        payload.update(data)
    return [WireEvent(kind.value, dumps(payload), str(event.seq))]


def _log_payloads(event: Event, chunk: LogChunk) -> list[tuple[int, str]]:
    """(index, JSON text) per line of a log chunk: {runId, jobId, stepNumber, line, stream}.

    This is the hot path of every stream (log lines are most of the log), so the part
    common to the chunk is encoded once, and the lines are encoded by one C call for the
    whole chunk: in the JSON of a list of strings, `","` can only be a separator (a quote
    inside a string is always escaped), so splitting there gives each line's encoding.
    """
    lines = chunk.lines
    if not lines:
        return []
    head: dict[str, JSONValue] = {
        "runId": event.run_id,
        "jobId": event.job_id,
        "stepNumber": event.step_number,
    }
    prefix = dumps(head)[:-1] + ',"line":"'
    suffix = '\\n","stream":' + dumps(chunk.stream) + "}"
    # sse.dumps, which takes a JSONValue (a Sequence[str] is not one to mypy)
    encoded = json_text.dumps(lines, ascii=False)[2:-2].split('","')
    return [(index, f"{prefix}{text}{suffix}") for index, text in enumerate(encoded)]


def _log_frames(event: Event, chunk: LogChunk) -> str:
    seq = event.seq
    return "".join(
        f"id: {seq}.{index}\nevent: step.log\ndata: {data}\n\n"
        for index, data in _log_payloads(event, chunk)
    )


def frames(event: Event) -> str:
    """The encoded frames of one event (what every live client of the stream gets)."""
    if event.type is EventType.STEP_LOG and isinstance(chunk := event.payload, LogChunk):
        return _log_frames(event, chunk)  # ids and names need no cleaning: skip frame()'s checks
    return "".join(w.encode() for w in project(event))


def canonical_frame(event: Event) -> str:
    """`?format=canonical`: the canonical event itself, one frame per seq."""
    return frame(dumps(event.to_json()), event=event.type.value, id=str(event.seq))
