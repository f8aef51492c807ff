"""Session events (seed 001): canonical events as Managed Agents session events.

Session = run; its primary thread P = the run; child thread C = one job (matrix
instance). Every event object is {id, type, session_thread_id, processed_at, ...the
type's fields}; `on` says which thread streams carry it (the session stream carries
every event once). Only types the `anthropic` SDK knows are emitted:

    run.started     session.status_running                                      on P
    run.completed   session.error {error: unknown_error, retry_status terminal}  on P
                      (when the run failed or was cancelled)
                    session.status_idle {stop_reason: end_turn}                 on P
                    session.status_terminated {conclusion}                      on P
    job.queued      session.thread_created {session_thread_id: C, parent_thread_id: P,
                      agent_id: job key, agent_version: 1, agent_name: job name,
                      role: "subagent", created_by_tool_use_id: null, job_id}    on P
    job.started     session.thread_status_running {agent_name, status}          on C, P
    job.blocked     agent.tool_use {name: "approve_environment",
                      input: {environment, reason}}                             on C, P
                    session.thread_status_idle {agent_name, status: "idle",
                      stop_reason: {type: requires_action, event_ids: [that tool_use]}}
                                                                                on C, P
    job.unblocked   agent.tool_result {tool_use_id: the approval's tool_use,
                      content: [text "approved by X"], is_error: rejected}      on C, P
                    session.thread_status_running (when approved)               on C, P
    job.message     agent.thread_message_sent {direction: "outbound",
                      from_session_thread_id, to_session_thread_id, to_agent_name,
                      content: [text: outputs as JSON], outputs, result}        on producer
                    agent.thread_message_received {direction: "inbound", is_error:
                      result is not success, from_..., to_..., from_agent_name,
                      content, outputs, result}                                 on consumer
    step.started    agent.tool_use {name: step name, input: {step_number}}      on C
    step.log        agent.message {content: [text: the line], stream, step_number}
                      one per line                                              on C
    step.completed  agent.tool_result {tool_use_id: the step's tool_use, is_error:
                      failure, content: [text], conclusion, outcome, outputs?}  on C
                      (a skipped step, which never started: its tool_use first)
    job.completed   session.thread_status_idle {stop_reason: end_turn}          on C, P
                      (when the job had started)
                    session.thread_status_terminated {agent_name, status,
                      stop_reason: end_turn, conclusion, error}                 on C, P
                      (a job that was never queued, e.g. skipped: thread_created first)
    job.status, step.annotation, skill.*: nothing

Links (a tool_result's tool_use_id, the agent names, whether a thread exists yet)
come from earlier events of the same run: `SessionFold` (fold.py) folds them from the log as the
events pass, so `project(event, fold)` is a pure function of the event and the fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import TYPE_CHECKING

from runner.api.sessions.objects import event_id, job_thread_id, primary_thread_id
from runner.api.snapshots import iso_ms, job_error
from runner.api.sse import dumps, frame
from runner.events.payloads import (
    JobBlocked,
    JobMessage,
    JobPayload,
    JobSnapshot,
    JobUnblocked,
    LogChunk,
    RunPayload,
    RunSnapshot,
    StepPayload,
)
from runner.events.types import Conclusion, Event, EventType

if TYPE_CHECKING:
    from runner.api.sessions.fold import SessionFold
    from runner.events.payloads import Payload
    from runner.expressions.values import JSONValue

APPROVAL_TOOL = "approve_environment"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One session event: its object and the thread streams that carry it."""

    id: str
    type: str
    on: tuple[str, ...]  # thread ids whose streams carry it
    body: dict[str, JSONValue]  # the whole event object

    def encode(self) -> str:
        return frame(dumps(self.body), event=self.type, id=self.id)


def _text(text: str) -> list[JSONValue]:
    return [{"type": "text", "text": text}]


def project(event: Event, fold: SessionFold) -> list[SessionEvent]:
    """The session events of one canonical event (pure: reads the fold, never changes it)."""
    out = _Events(event)
    if event.job_id is None:
        _run_events(event, out)
    elif event.type is EventType.STEP_LOG and isinstance(chunk := event.payload, LogChunk):
        _log_events(event, chunk, event.job_id, out)
    else:
        _job_events(_JobEvent.of(event, event.job_id, fold), out)
    return out.events


class _Events:
    """The session events one canonical event gives, numbered in the order they are added."""

    def __init__(self, event: Event) -> None:
        self.seq = event.seq
        self.processed_at = iso_ms(event.ts)
        self.events: list[SessionEvent] = []

    def add(self, type_: str, thread: str, on: tuple[str, ...], **fields: JSONValue) -> str:
        """Add one event (on the streams of `on`); returns its id."""
        id_ = event_id(self.seq, len(self.events))
        body: dict[str, JSONValue] = {
            "id": id_,
            "type": type_,
            "session_thread_id": thread,
            "processed_at": self.processed_at,
            **fields,
        }
        self.events.append(SessionEvent(id_, type_, on, body))
        return id_


def _run_events(event: Event, out: _Events) -> None:
    primary = primary_thread_id(event.run_id)
    payload = event.payload
    run = payload.run if isinstance(payload, RunPayload) else RunSnapshot()
    if event.type is EventType.RUN_STARTED:
        out.add("session.status_running", primary, (primary,))
    elif event.type is EventType.RUN_COMPLETED:
        conclusion = run.conclusion
        if conclusion in (Conclusion.FAILURE, Conclusion.CANCELLED):
            error: dict[str, JSONValue] = {
                "type": "unknown_error",
                "retry_status": {"type": "terminal"},
                "message": _run_error(run),
            }
            out.add("session.error", primary, (primary,), error=error)
        out.add(
            "session.status_idle",
            primary,
            (primary,),
            stop_reason={"type": "end_turn"},
            stop_details=None,
        )
        out.add("session.status_terminated", primary, (primary,), conclusion=_value(conclusion))


def _log_events(event: Event, chunk: LogChunk, job_id: str, out: _Events) -> None:
    thread = job_thread_id(event.run_id, job_id)
    stream, number = chunk.stream, event.step_number
    for line in chunk.lines:
        out.add(
            "agent.message",
            thread,
            (thread,),
            content=_text(line),
            stream=stream,
            step_number=number,
        )


@dataclass(frozen=True, slots=True)
class _JobEvent:
    """A canonical event of one job, with what the session events of it name."""

    event: Event
    payload: Payload
    fold: SessionFold
    job_id: str
    job: JobSnapshot | None  # the job's snapshot, when the event carries one
    name: str  # the job's name (the agent's)
    thread: str  # the job's (child) thread
    primary: str

    @classmethod
    def of(cls, event: Event, job_id: str, fold: SessionFold) -> _JobEvent:
        payload = event.payload
        job = payload.job if isinstance(payload, JobPayload) else None
        return cls(
            event=event,
            payload=payload,
            fold=fold,
            job_id=job_id,
            job=job,
            name=(job.name if job is not None else "") or fold.name(job_id),
            thread=job_thread_id(event.run_id, job_id),
            primary=primary_thread_id(event.run_id),
        )

    @property
    def both(self) -> tuple[str, str]:
        """The job's thread and the primary: where the job's own status shows."""
        return (self.thread, self.primary)


def _job_events(job: _JobEvent, out: _Events) -> None:
    if job.job is not None and job.job_id not in job.fold.created:
        out.add(
            "session.thread_created",
            job.thread,
            (job.primary,),
            parent_thread_id=job.primary,
            agent_id=job.job.key or job.job_id,
            agent_version=1,
            agent_name=job.name,
            role="subagent",
            created_by_tool_use_id=None,
            job_id=job.job_id,
        )
    kind = job.event.type
    match job.payload:  # one dispatch on the payload's type: each handler gets its own
        case JobPayload() if kind is EventType.JOB_STARTED:
            _running(job, out)
        case JobPayload() if kind is EventType.JOB_COMPLETED:
            _completed(job, out)
        case JobBlocked() as blocked:
            _blocked(job, blocked, out)
        case JobUnblocked() as unblocked:
            _unblocked(job, unblocked, out)
        case JobMessage() as message:
            _message(job, message, out)
        case StepPayload() as step:
            _step(job, step, out)


def _running(job: _JobEvent, out: _Events) -> None:
    out.add(
        "session.thread_status_running",
        job.thread,
        job.both,
        agent_name=job.name,
        status="running",
    )


def _blocked(job: _JobEvent, blocked: JobBlocked, out: _Events) -> None:
    approval = out.add(
        "agent.tool_use",
        job.thread,
        job.both,
        name=APPROVAL_TOOL,
        input={"environment": blocked.environment, "reason": blocked.reason},
    )
    out.add(
        "session.thread_status_idle",
        job.thread,
        job.both,
        agent_name=job.name,
        status="idle",
        stop_reason={"type": "requires_action", "event_ids": [approval]},
        stop_details=None,
    )


def _unblocked(job: _JobEvent, unblocked: JobUnblocked, out: _Events) -> None:
    approved, by = unblocked.approved, unblocked.by
    approval = job.fold.approvals.get(job.job_id)
    if approval is not None:
        out.add(
            "agent.tool_result",
            job.thread,
            job.both,
            tool_use_id=approval,
            content=_text(f"{'approved' if approved else 'rejected'} by {by}"),
            is_error=not approved,
        )
    if approved:
        _running(job, out)


def _message(job: _JobEvent, message: JobMessage, out: _Events) -> None:
    """Outputs handed from a needed job: sent on the producer's thread, received on this."""
    producer = job.fold.producer(job.job_id, message.from_job)
    source = job_thread_id(job.event.run_id, producer)
    outputs, result = message.outputs, message.result
    content = _text(dumps(outputs))
    out.add(
        "agent.thread_message_sent",
        source,
        (source,),
        direction="outbound",
        from_session_thread_id=source,
        to_session_thread_id=job.thread,
        to_agent_name=job.name,
        content=content,
        outputs=outputs,
        result=result,
    )
    out.add(
        "agent.thread_message_received",
        job.thread,
        (job.thread,),
        direction="inbound",
        from_session_thread_id=source,
        to_session_thread_id=job.thread,
        from_agent_name=job.fold.name(producer),
        content=content,
        is_error=result not in (Conclusion.SUCCESS, ""),
        outputs=outputs,
        result=result,
    )


def _step(job: _JobEvent, payload: StepPayload, out: _Events) -> None:
    """A step is a tool: its tool_use when it starts, its tool_result when it completes
    (a skipped step, which never started, gets its tool_use first)."""
    event = job.event
    step = payload.step
    completed = event.type is EventType.STEP_COMPLETED
    tool = job.fold.tools.get(job.job_id) if completed else None
    if tool is None:
        tool = out.add(
            "agent.tool_use",
            job.thread,
            (job.thread,),
            name=step.name,
            input={"step_number": event.step_number},
        )
    if not completed:
        return
    conclusion, error = _value(step.conclusion), step.error
    fields: dict[str, JSONValue] = {"conclusion": conclusion, "outcome": _value(step.outcome)}
    if payload.outputs is not None:
        fields["outputs"] = payload.outputs
    out.add(
        "agent.tool_result",
        job.thread,
        (job.thread,),
        tool_use_id=tool,
        content=_text(f"{conclusion}: {error}" if error else str(conclusion)),
        is_error=conclusion == Conclusion.FAILURE,
        **fields,
    )


def _completed(job: _JobEvent, out: _Events) -> None:
    if job.job_id in job.fold.started:
        out.add(
            "session.thread_status_idle",
            job.thread,
            job.both,
            agent_name=job.name,
            status="idle",
            stop_reason={"type": "end_turn"},
            stop_details=None,
        )
    snapshot = job.job if job.job is not None else JobSnapshot()
    conclusion = snapshot.conclusion
    out.add(
        "session.thread_status_terminated",
        job.thread,
        job.both,
        agent_name=job.name,
        status="terminated",
        stop_reason={"type": "end_turn"},
        conclusion=_value(conclusion),
        error=None if conclusion is Conclusion.SUCCESS else job_error(snapshot),
    )


def _value(conclusion: Conclusion | None) -> str | None:
    return None if conclusion is None else conclusion.value


Frames = list[tuple[tuple[str, ...], str, str]]  # (on, type, the encoded SSE frame)


def frames(event: Event, fold: SessionFold) -> Frames:
    """`[(e.on, e.type, e.encode()) for e in project(event, fold)]`, without building the
    event objects of a log chunk's lines (the hot path: most events are lines). The same
    bytes either way (a test pins it)."""
    if (
        event.type is not EventType.STEP_LOG
        or event.job_id is None
        or not isinstance(chunk := event.payload, LogChunk)
    ):
        return [(e.on, e.type, e.encode()) for e in project(event, fold)]
    thread = job_thread_id(event.run_id, event.job_id)
    on = (thread,)
    id_head = f"sevt_{event.seq}_"
    middle = (
        f'","type":"agent.message","session_thread_id":{dumps(thread)},'
        f'"processed_at":"{iso_ms(event.ts)}","content":[{{"type":"text","text":'
    )
    tail = f'}}],"stream":{dumps(chunk.stream)},"step_number":{dumps(event.step_number)}}}\n\n'
    return [
        (
            on,
            "agent.message",
            f'id: {id_head}{i}\nevent: agent.message\ndata: {{"id":"{id_head}{i}'
            f"{middle}{encode_basestring(line)}{tail}",
        )
        for i, line in enumerate(chunk.lines)
    ]


def _run_error(run: RunSnapshot) -> str:
    failed = [job.id for job in run.jobs if job.conclusion is Conclusion.FAILURE]
    detail = f": failed jobs {', '.join(failed)}" if failed else ""
    error = run.error
    return f"run {_value(run.conclusion)}{detail}" + (f" ({error})" if error else "")
