"""Agent Protocol events (seed 004): canonical events as protocol event envelopes.

An assistant is a workflow; the root namespace `[]` is a run; each job is the namespace
`[job_id]`. One canonical event gives 0..n protocol events, in this order:

    run.started     lifecycle []  {event: running, graph_name}
                    values []     the run object (jobs: [])
    job.queued      tasks []      {id, name: job_id, input: {needs, matrix?}, triggers: needs}
    job.started     lifecycle [j] {event: started, graph_name: job name}
    job.blocked     lifecycle []  {event: interrupted}          (the first job waiting)
                    input.requested [j] {interrupt_id, payload, value}
    job.unblocked   custom [j]    {name: approval, payload: {interrupt_id, approved, by}}
                    lifecycle []  {event: running}              (no job waiting any more)
    job.status      custom [j]    {name: status, payload: {summary}}
    job.message     custom [j]    {name: needs, payload: {from_job, outputs, result}}
    step.started    tasks [j]     {id, name: step name, input: {number, id?}, triggers: []}
    step.log        custom [j]    {name: log, payload: {line, stream, step}}   one per line
    step.annotation custom [j]    {name: annotation, payload: {step, level, message, ...}}
    step.completed  tasks [j]     {id, name, error, result: {conclusion, outcome, outputs?},
                                   interrupts: []}
    skill.*         custom [j]    {name: skill, payload: {event, step, ...data}}
    job.completed   updates []    {node: job_id, values: the job's outputs}
                    tasks []      {id, name: job_id, error, result: {conclusion, outputs},
                                   interrupts: []}
                    lifecycle [j] {event: completed | failed, error?}   (if it had started)
    run.completed   lifecycle [j] {event: <the root's>, error?}  for each job still open
                    values []     the final run object
                    lifecycle []  {event: completed | failed, graph_name, error?}

Conclusions: success, skipped and degraded complete; failure and cancelled fail (with
`error`). The root is `interrupted` while a job waits for approval (what LangGraph
means by it: paused until `input.respond`), never at the end: the stock SDK ends a
run only on a root `completed` or `failed`, so a cancelled run fails ("cancelled").

seq: `canonical seq * STRIDE + index`, index counting every protocol event the
canonical event gives, before any filter. It is absolute (the same for every
subscriber, whatever its channels), monotonic along the log, and durable: it is
computed from the log alone, so it never shifts after a restart or a retention prune.
It has gaps, which the protocol allows (its `seq` orders; it does not count).

What a job's namespace still has open, and whether a job is waiting, comes from
earlier events of the same run: `RunLifecycle` folds them, so a stream that resumes
mid-run folds the run from its start (see streams.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from runner.api.agent.wire import STRIDE, Namespace, ProtocolEvent, interrupt_id
from runner.api.snapshots import job_error
from runner.api.sse import dumps
from runner.events.payload_json import payload_to_json, run_to_json
from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobMessage,
    JobPayload,
    JobStatus,
    JobUnblocked,
    LogChunk,
    RunPayload,
    SkillPayload,
    StepPayload,
)
from runner.events.types import Conclusion, Event, EventType

if TYPE_CHECKING:
    from runner.events.payloads import JobSnapshot, RunSnapshot, StepSnapshot
    from runner.expressions.values import JSONValue

_DONE = frozenset({Conclusion.SUCCESS, Conclusion.SKIPPED, Conclusion.DEGRADED})


@dataclass(slots=True)
class RunLifecycle:
    """Where one run stands, folded from its earlier events: which jobs have an open
    lifecycle, which wait for an approval, whether the run has ended."""

    graph_name: str = ""
    started: bool = False
    finished: bool = False
    open_jobs: dict[str, None] = field(default_factory=dict)  # lifecycle started, not ended
    waiting: dict[str, None] = field(default_factory=dict)  # jobs blocked on an approval


class ThreadFold:
    """The folds of a thread's runs, and the projection of their events."""

    def __init__(self) -> None:
        self.runs: dict[str, RunLifecycle] = {}

    def project(self, event: Event) -> list[ProtocolEvent]:
        """The protocol events of one canonical event (advancing the run's fold)."""
        fold = self.runs.get(event.run_id)
        if fold is None:
            fold = self.runs[event.run_id] = RunLifecycle()
        return project(event, fold)

    def finished(self, run_id: str) -> bool:
        fold = self.runs.get(run_id)
        return fold is not None and fold.finished


def project(event: Event, fold: RunLifecycle, *, per_event: int = STRIDE) -> list[ProtocolEvent]:
    """The protocol events of `event`, given its run's fold (which this advances).

    `per_event` is the room one canonical event has for indexes: a log chunk with more
    lines than that (never from one pipe read) gives its last lines as one event.
    """
    items = _items(event, fold, per_event)
    base = event.seq * STRIDE
    return [
        ProtocolEvent(base + index, method, namespace, event.ts, data)
        for index, (method, namespace, data) in enumerate(items)
    ]


_Item = tuple[str, Namespace, dict[str, "JSONValue"]]


def _items(event: Event, fold: RunLifecycle, per_event: int) -> list[_Item]:
    """One dispatch on the payload's type: each handler gets the payload it reads."""
    kind, job, payload = event.type, event.job_id, event.payload
    if isinstance(payload, RunPayload):
        if kind is EventType.RUN_STARTED:
            return _run_started(payload.run, fold)
        return _run_completed(payload.run, fold)
    if job is None:
        return []
    of = _Of(event, job)
    match payload:
        case LogChunk():
            return _log_lines(event, payload, (job,), per_event)
        case JobPayload(job=record) if kind is EventType.JOB_QUEUED:
            return _job_queued(of, record)
        case JobPayload(job=record) if kind is EventType.JOB_STARTED:
            return _job_started(of, record, fold)
        case JobPayload(job=record):
            return _job_completed(of, record, fold)
        case StepPayload() if kind is EventType.STEP_STARTED:
            return _step_started(of, payload.step)
        case StepPayload():
            return _step_completed(of, payload)
        case JobBlocked():
            return _job_blocked(of, payload, fold)
        case JobUnblocked():
            return _job_unblocked(of, payload, fold)
        case JobStatus():
            return _job_status(of, payload)
        case JobMessage():
            return _job_message(of, payload)
        case Annotation():
            return _step_annotation(of, payload)
        case SkillPayload() if kind is not EventType.SKILL_STEP:
            return _skill(of, payload)
    return []


@dataclass(frozen=True, slots=True)
class _Of:
    """A job's event and the job's id: what every handler reads besides its payload."""

    event: Event
    job: str


def _run_started(run: RunSnapshot, fold: RunLifecycle) -> list[_Item]:
    fold.graph_name = run.name or run.workflow
    fold.started = True
    return [
        ("lifecycle", (), {"event": "running", "graph_name": fold.graph_name}),
        ("values", (), run_to_json(run)),
    ]


def _job_queued(of: _Of, record: JobSnapshot) -> list[_Item]:
    needs = list(record.needs)
    task_input: dict[str, JSONValue] = {"needs": list(needs)}
    if record.matrix is not None:
        task_input["matrix"] = record.matrix
    task: dict[str, JSONValue] = {
        "id": _job_task(of.event.run_id, of.job),
        "name": of.job,
        "input": task_input,
        "triggers": list(needs),
    }
    return [("tasks", (), task)]


def _job_started(of: _Of, record: JobSnapshot, fold: RunLifecycle) -> list[_Item]:
    fold.open_jobs[of.job] = None
    name = record.name or of.job
    return [("lifecycle", (of.job,), {"event": "started", "graph_name": name})]


def _job_blocked(of: _Of, blocked: JobBlocked, fold: RunLifecycle) -> list[_Item]:
    """The root is interrupted by the first job that waits; the job asks for input."""
    job = of.job
    items: list[_Item] = []
    if not fold.waiting:
        items.append(("lifecycle", (), {"event": "interrupted", "graph_name": fold.graph_name}))
    fold.waiting[job] = None
    request: dict[str, JSONValue] = {
        "run_id": of.event.run_id,
        "job_id": job,
        "environment": blocked.environment,
        "reason": blocked.reason,
    }
    requested: dict[str, JSONValue] = {
        "interrupt_id": interrupt_id(of.event.run_id, job),
        "payload": request,
        "value": request,
    }
    items.append(("input.requested", (job,), requested))
    return items


def _job_unblocked(of: _Of, unblocked: JobUnblocked, fold: RunLifecycle) -> list[_Item]:
    """The decision; the root runs again once no job waits."""
    job = of.job
    fold.waiting.pop(job, None)
    decision: dict[str, JSONValue] = {
        "interrupt_id": interrupt_id(of.event.run_id, job),
        "approved": unblocked.approved,
        "by": unblocked.by,
    }
    items: list[_Item] = [("custom", (job,), {"name": "approval", "payload": decision})]
    if not fold.waiting and not fold.finished:
        items.append(("lifecycle", (), {"event": "running", "graph_name": fold.graph_name}))
    return items


def _job_status(of: _Of, status: JobStatus) -> list[_Item]:
    summary: dict[str, JSONValue] = {"summary": status.summary}
    return [("custom", (of.job,), {"name": "status", "payload": summary})]


def _job_message(of: _Of, message: JobMessage) -> list[_Item]:
    handed: dict[str, JSONValue] = {
        "from_job": message.from_job,
        "outputs": message.outputs,
        "result": message.result,
    }
    return [("custom", (of.job,), {"name": "needs", "payload": handed})]


def _step_started(of: _Of, step: StepSnapshot) -> list[_Item]:
    step_input: dict[str, JSONValue] = {"number": of.event.step_number}
    if step.id is not None:
        step_input["id"] = step.id
    started: dict[str, JSONValue] = {
        "id": _step_task(of.event),
        "name": step.name,
        "input": step_input,
        "triggers": [],
    }
    return [("tasks", (of.job,), started)]


def _step_completed(of: _Of, payload: StepPayload) -> list[_Item]:
    step = payload.step
    result: dict[str, JSONValue] = {
        "conclusion": _value(step.conclusion),
        "outcome": _value(step.outcome or step.conclusion),
    }
    if payload.outputs is not None:
        result["outputs"] = payload.outputs
    ended: dict[str, JSONValue] = {
        "id": _step_task(of.event),
        "name": step.name,
        "error": _step_error(step),
        "result": result,
        "interrupts": [],
    }
    return [("tasks", (of.job,), ended)]


def _step_annotation(of: _Of, annotation: Annotation) -> list[_Item]:
    payload = _with_step(of.event, payload_to_json(annotation))
    return [("custom", (of.job,), {"name": "annotation", "payload": payload})]


def _skill(of: _Of, skill: SkillPayload) -> list[_Item]:
    payload = {
        "event": of.event.type.value.partition(".")[2],
        **_with_step(of.event, payload_to_json(skill)),
    }
    return [("custom", (of.job,), {"name": "skill", "payload": payload})]


def _run_completed(run: RunSnapshot, fold: RunLifecycle) -> list[_Item]:
    status, error = _outcome(run.conclusion, run.error, _run_error(run))
    closing: dict[str, JSONValue] = {"event": status}
    if error is not None:
        closing["error"] = error
    items: list[_Item] = [("lifecycle", (job,), dict(closing)) for job in fold.open_jobs]
    fold.open_jobs.clear()
    fold.waiting.clear()
    fold.finished = True
    items.append(("values", (), run_to_json(run)))
    items.append(("lifecycle", (), {**closing, "graph_name": fold.graph_name}))
    return items


def _job_completed(of: _Of, record: JobSnapshot, fold: RunLifecycle) -> list[_Item]:
    job = of.job
    outputs = record.outputs or {}
    status, error = _outcome(record.conclusion, record.error, job_error(record))
    fold.waiting.pop(job, None)
    items: list[_Item] = [
        ("updates", (), {"node": job, "values": outputs}),
        (
            "tasks",
            (),
            {
                "id": _job_task(of.event.run_id, job),
                "name": job,
                "error": error,
                "result": {"conclusion": _value(record.conclusion), "outputs": outputs},
                "interrupts": [],
            },
        ),
    ]
    if job in fold.open_jobs:
        del fold.open_jobs[job]
        ended: dict[str, JSONValue] = {"event": status}
        if error is not None:
            ended["error"] = error
        items.append(("lifecycle", (job,), ended))
    return items


def _log_lines(event: Event, chunk: LogChunk, ns: Namespace, per_event: int) -> list[_Item]:
    stream, step = chunk.stream, event.step_number
    return [
        ("custom", ns, {"name": "log", "payload": {"line": text, "stream": stream, "step": step}})
        for text in _log_texts(chunk, per_event)
    ]


def _log_texts(chunk: LogChunk, per_event: int) -> list[str]:
    texts = list(chunk.lines)
    if len(texts) > per_event:
        texts[per_event - 1 :] = ["\n".join(texts[per_event - 1 :])]
    return texts


def log_frames(
    event: Event, chunk: LogChunk, *, since: int | None = None, per_event: int = STRIDE
) -> str:
    """The frames of a log chunk's lines after `since`: exactly what encoding each of
    `project(event, ...)` gives, built faster (log lines are most of any log, and the
    chunk's lines share everything but the line and the index)."""
    seq0 = event.seq * STRIDE
    first = 0 if since is None else max(0, since - seq0 + 1)
    head = '","method":"custom","params":{"data":{"name":"log","payload":{"line":'
    tail = (
        f',"stream":{dumps(chunk.stream)},'
        f'"step":{dumps(event.step_number)}}}}},"namespace":{dumps([event.job_id])},'
        f'"timestamp":{event.ts}}}}}\nid: '
    )
    return "".join(
        f'event: custom\ndata: {{"type":"event","seq":{seq0 + i},"event_id":"{event.seq}.{i}'
        f"{head}{encode_basestring(text)}{tail}{seq0 + i}\n\n"
        for i, text in enumerate(_log_texts(chunk, per_event))
        if i >= first
    )


def _outcome(
    conclusion: Conclusion | None, error: str | None, failure: str
) -> tuple[str, str | None]:
    """(completed | failed, error) of a finished run or job snapshot."""
    if conclusion in _DONE:
        return "completed", None
    if conclusion is Conclusion.CANCELLED:
        return "failed", error or "cancelled"
    return "failed", failure


def _run_error(run: RunSnapshot) -> str:
    if run.error:
        return run.error
    for job in run.jobs:
        if job.conclusion is Conclusion.FAILURE:
            return f"job {job.id}: {job_error(job)}"
    return "failed"


def _step_error(step: StepSnapshot) -> str | None:
    if step.conclusion in _DONE:
        return None
    if step.error:
        return step.error
    return _value(step.conclusion) or "failed"


def _value(conclusion: Conclusion | None) -> str | None:
    return None if conclusion is None else conclusion.value


def _with_step(event: Event, data: dict[str, JSONValue]) -> dict[str, JSONValue]:
    return {"step": event.step_number, **data}


def _job_task(run_id: str, job: str) -> str:
    return f"{run_id}:{job}"


def _step_task(event: Event) -> str:
    return f"{event.run_id}:{event.job_id}:{event.step_number}"
