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
from runner.events.payload_json import job_from_json
from runner.events.types import Conclusion, Event, EventType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from runner.expressions.values import JSONValue

_DONE = {Conclusion.SUCCESS.value, Conclusion.SKIPPED.value, Conclusion.DEGRADED.value}


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
    kind, job = event.type, event.job_id
    if kind is EventType.RUN_STARTED:
        return _run_started(_object(event.data.get("run")), fold)
    if kind is EventType.RUN_COMPLETED:
        return _run_completed(_object(event.data.get("run")), fold)
    if job is None:
        return []
    if kind is EventType.STEP_LOG:
        return _log_lines(event, (job,), per_event)
    handler = _JOB_HANDLERS.get(kind)
    return handler(event, job, fold) if handler is not None else []


def _run_started(run: dict[str, JSONValue], fold: RunLifecycle) -> list[_Item]:
    fold.graph_name = str(run.get("name") or run.get("workflow") or "")
    fold.started = True
    return [
        ("lifecycle", (), {"event": "running", "graph_name": fold.graph_name}),
        ("values", (), run),
    ]


def _job_queued(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    record = _object(event.data.get("job"))
    needs = _strings(record.get("needs"))
    task_input: dict[str, JSONValue] = {"needs": list(needs)}
    if record.get("matrix") is not None:
        task_input["matrix"] = record["matrix"]
    task: dict[str, JSONValue] = {
        "id": _job_task(event.run_id, job),
        "name": job,
        "input": task_input,
        "triggers": list(needs),
    }
    return [("tasks", (), task)]


def _job_started(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    fold.open_jobs[job] = None
    name = _object(event.data.get("job")).get("name") or job
    return [("lifecycle", (job,), {"event": "started", "graph_name": name})]


def _job_blocked(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    """The root is interrupted by the first job that waits; the job asks for input."""
    items: list[_Item] = []
    if not fold.waiting:
        items.append(("lifecycle", (), {"event": "interrupted", "graph_name": fold.graph_name}))
    fold.waiting[job] = None
    request: dict[str, JSONValue] = {
        "run_id": event.run_id,
        "job_id": job,
        "environment": event.data.get("environment"),
        "reason": event.data.get("reason"),
    }
    requested: dict[str, JSONValue] = {
        "interrupt_id": interrupt_id(event.run_id, job),
        "payload": request,
        "value": request,
    }
    items.append(("input.requested", (job,), requested))
    return items


def _job_unblocked(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    """The decision; the root runs again once no job waits."""
    fold.waiting.pop(job, None)
    decision: dict[str, JSONValue] = {
        "interrupt_id": interrupt_id(event.run_id, job),
        "approved": event.data.get("approved"),
        "by": event.data.get("by"),
    }
    items: list[_Item] = [("custom", (job,), {"name": "approval", "payload": decision})]
    if not fold.waiting and not fold.finished:
        items.append(("lifecycle", (), {"event": "running", "graph_name": fold.graph_name}))
    return items


def _job_status(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    summary: dict[str, JSONValue] = {"summary": event.data.get("summary")}
    return [("custom", (job,), {"name": "status", "payload": summary})]


def _job_message(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    data = event.data
    handed: dict[str, JSONValue] = {
        "from_job": data.get("from_job"),
        "outputs": data.get("outputs"),
        "result": data.get("result"),
    }
    return [("custom", (job,), {"name": "needs", "payload": handed})]


def _step_started(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    step = _object(event.data.get("step"))
    step_input: dict[str, JSONValue] = {"number": event.step_number}
    if step.get("id") is not None:
        step_input["id"] = step["id"]
    started: dict[str, JSONValue] = {
        "id": _step_task(event),
        "name": step.get("name"),
        "input": step_input,
        "triggers": [],
    }
    return [("tasks", (job,), started)]


def _step_completed(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    step = _object(event.data.get("step"))
    result: dict[str, JSONValue] = {
        "conclusion": step.get("conclusion"),
        "outcome": step.get("outcome", step.get("conclusion")),
    }
    if "outputs" in event.data:
        result["outputs"] = event.data["outputs"]
    ended: dict[str, JSONValue] = {
        "id": _step_task(event),
        "name": step.get("name"),
        "error": _step_error(step),
        "result": result,
        "interrupts": [],
    }
    return [("tasks", (job,), ended)]


def _step_annotation(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    return [("custom", (job,), {"name": "annotation", "payload": _with_step(event, event.data)})]


def _skill(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    payload = {"event": event.type.value.partition(".")[2], **_with_step(event, event.data)}
    return [("custom", (job,), {"name": "skill", "payload": payload})]


def _run_completed(run: dict[str, JSONValue], fold: RunLifecycle) -> list[_Item]:
    status, error = _outcome(run, _run_error(run))
    closing: dict[str, JSONValue] = {"event": status}
    if error is not None:
        closing["error"] = error
    items: list[_Item] = [("lifecycle", (job,), dict(closing)) for job in fold.open_jobs]
    fold.open_jobs.clear()
    fold.waiting.clear()
    fold.finished = True
    items.append(("values", (), run))
    items.append(("lifecycle", (), {**closing, "graph_name": fold.graph_name}))
    return items


def _job_completed(event: Event, job: str, fold: RunLifecycle) -> list[_Item]:
    record = _object(event.data.get("job"))
    outputs = _object(record.get("outputs"))
    status, error = _outcome(record, job_error(job_from_json(record)))
    fold.waiting.pop(job, None)
    items: list[_Item] = [
        ("updates", (), {"node": job, "values": outputs}),
        (
            "tasks",
            (),
            {
                "id": _job_task(event.run_id, job),
                "name": job,
                "error": error,
                "result": {"conclusion": record.get("conclusion"), "outputs": outputs},
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


_JOB_HANDLERS: dict[EventType, Callable[[Event, str, RunLifecycle], list[_Item]]] = {
    EventType.JOB_QUEUED: _job_queued,
    EventType.JOB_STARTED: _job_started,
    EventType.JOB_BLOCKED: _job_blocked,
    EventType.JOB_UNBLOCKED: _job_unblocked,
    EventType.JOB_STATUS: _job_status,
    EventType.JOB_MESSAGE: _job_message,
    EventType.JOB_COMPLETED: _job_completed,
    EventType.STEP_STARTED: _step_started,
    EventType.STEP_COMPLETED: _step_completed,
    EventType.STEP_ANNOTATION: _step_annotation,
    EventType.SKILL_STARTED: _skill,
    EventType.SKILL_COMPLETED: _skill,
}


def _log_lines(event: Event, ns: Namespace, per_event: int) -> list[_Item]:
    stream = event.data.get("stream", "stdout")
    step = event.step_number
    return [
        ("custom", ns, {"name": "log", "payload": {"line": text, "stream": stream, "step": step}})
        for text in _log_texts(event, per_event)
    ]


def _log_texts(event: Event, per_event: int) -> list[str]:
    lines = event.data.get("lines")
    texts = [str(line) for line in lines] if isinstance(lines, list) else []
    if len(texts) > per_event:
        texts[per_event - 1 :] = ["\n".join(texts[per_event - 1 :])]
    return texts


def log_frames(event: Event, *, since: int | None = None, per_event: int = STRIDE) -> str:
    """The frames of a log chunk's lines after `since`: exactly what encoding each of
    `project(event, ...)` gives, built faster (log lines are most of any log, and the
    chunk's lines share everything but the line and the index)."""
    seq0 = event.seq * STRIDE
    first = 0 if since is None else max(0, since - seq0 + 1)
    head = '","method":"custom","params":{"data":{"name":"log","payload":{"line":'
    tail = (
        f',"stream":{dumps(event.data.get("stream", "stdout"))},'
        f'"step":{dumps(event.step_number)}}}}},"namespace":{dumps([event.job_id])},'
        f'"timestamp":{event.ts}}}}}\nid: '
    )
    return "".join(
        f'event: custom\ndata: {{"type":"event","seq":{seq0 + i},"event_id":"{event.seq}.{i}'
        f"{head}{encode_basestring(text)}{tail}{seq0 + i}\n\n"
        for i, text in enumerate(_log_texts(event, per_event))
        if i >= first
    )


def _outcome(record: dict[str, JSONValue], failure: str) -> tuple[str, str | None]:
    """(completed | failed, error) of a finished run or job snapshot."""
    conclusion = record.get("conclusion")
    if conclusion in _DONE:
        return "completed", None
    if conclusion == Conclusion.CANCELLED.value:
        error = record.get("error")
        return "failed", str(error) if error else "cancelled"
    return "failed", failure


def _run_error(run: dict[str, JSONValue]) -> str:
    error = run.get("error")
    if isinstance(error, str) and error:
        return error
    for job in _objects(run.get("jobs")):
        if job.get("conclusion") == Conclusion.FAILURE.value:
            return f"job {job.get('id')}: {job_error(job_from_json(job))}"
    return "failed"


def _step_error(step: dict[str, JSONValue]) -> str | None:
    conclusion = step.get("conclusion")
    if conclusion in _DONE:
        return None
    error = step.get("error")
    if isinstance(error, str) and error:
        return error
    return str(conclusion or "failed")


def _with_step(event: Event, data: dict[str, JSONValue]) -> dict[str, JSONValue]:
    return {"step": event.step_number, **data}


def _job_task(run_id: str, job: str) -> str:
    return f"{run_id}:{job}"


def _step_task(event: Event) -> str:
    return f"{event.run_id}:{event.job_id}:{event.step_number}"


def _object(value: JSONValue) -> dict[str, JSONValue]:
    return value if isinstance(value, dict) else {}


def _objects(value: JSONValue) -> Iterable[dict[str, JSONValue]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: JSONValue) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
