"""The JSON form of event payloads, both ways (see payloads.py for the invariant).

Encoding writes keys in the order the engine's snapshots always had, so a stream's
bytes do not change. Decoding never fails: a missing or ill-typed field takes its
default, so an old or hand-written event still reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.kinds import Conclusion, EventType, Status
from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobMessage,
    JobPayload,
    JobSnapshot,
    JobStatus,
    JobUnblocked,
    LogChunk,
    Payload,
    RunPayload,
    RunSnapshot,
    SkillPayload,
    StepPayload,
    StepSnapshot,
)

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue

JSONObject = dict[str, "JSONValue"]


# -- payload -> JSON -------------------------------------------------------------
def payload_to_json(payload: Payload) -> JSONObject:
    """The JSON object of a payload (what the store keeps and `data` on the wire is)."""
    match payload:
        case RunPayload(run=run):
            return {"run": run_to_json(run)}
        case JobPayload(job=job):
            return {"job": job_to_json(job)}
        case StepPayload(step=step, outputs=outputs):
            out: JSONObject = {"step": step_to_json(step)}
            if outputs is not None:
                out["outputs"] = outputs
            return out
        case LogChunk(stream=stream, lines=lines):
            return {"stream": stream, "lines": list(lines)}
        case Annotation(level=level, message=message, properties=properties):
            return {"level": level, "message": message, **properties}
        case JobStatus(summary=summary):
            return {"summary": summary}
        case JobBlocked(reason=reason, environment=environment):
            return {"reason": reason, "environment": environment}
        case JobUnblocked(approved=approved, by=by):
            return {"approved": approved, "by": by}
        case JobMessage(from_job=from_job, to_job=to_job, outputs=outputs, result=result):
            return {"from_job": from_job, "to_job": to_job, "outputs": outputs, "result": result}
        case SkillPayload(skill_id=skill_id, trace_id=trace_id, fields=fields):
            return {"skill_id": skill_id, "trace_id": trace_id, **fields}


def step_to_json(step: StepSnapshot) -> JSONObject:
    out: JSONObject = {
        "number": step.number,
        "name": step.name,
        "status": step.status.value,
        "conclusion": _enum(step.conclusion),
    }
    if step.id is not None:
        out["id"] = step.id
    if step.outcome is not None:
        out["outcome"] = step.outcome.value
    _put_times(out, step.started_at, step.completed_at, step.duration_ms)
    if step.error is not None:
        out["error"] = step.error
    return out


def job_to_json(job: JobSnapshot) -> JSONObject:
    out: JSONObject = {
        "id": job.id,
        "key": job.key,
        "name": job.name,
        "status": job.status.value,
        "conclusion": _enum(job.conclusion),
        "needs": list(job.needs),
    }
    if job.steps is not None:
        out["steps"] = [step_to_json(step) for step in job.steps]
    if job.matrix is not None:
        out["matrix"] = job.matrix
    if job.runs_on is not None:
        out["runs_on"] = job.runs_on
    if job.environment is not None:
        out["environment"] = job.environment
    _put_times(out, job.started_at, job.completed_at, job.duration_ms)
    if job.outputs is not None:
        out["outputs"] = job.outputs
    if job.summary is not None:
        out["summary"] = job.summary
    if job.error is not None:
        out["error"] = job.error
    if job.runner_name is not None:
        out["runner_name"] = job.runner_name
    return out


def run_to_json(run: RunSnapshot) -> JSONObject:
    out: JSONObject = {
        "id": run.id,
        "name": run.name,
        "workflow": run.workflow,
        "event": run.event,
        "run_number": run.run_number,
        "workdir": run.workdir,
        "status": run.status.value,
        "conclusion": _enum(run.conclusion),
        "jobs": [job_to_json(job) for job in run.jobs],
        "graph": run.graph,
        "inputs": run.inputs,
        "created_at": run.created_at,
    }
    _put_times(out, run.started_at, run.completed_at, run.duration_ms)
    if run.error is not None:
        out["error"] = run.error
    return out


def _put_times(
    out: JSONObject, started: int | None, completed: int | None, took: int | None
) -> None:
    if started is not None:
        out["started_at"] = started
    if completed is not None:
        out["completed_at"] = completed
    if took is not None:
        out["duration_ms"] = took


def _enum(value: Conclusion | None) -> str | None:
    return None if value is None else value.value


# -- JSON -> payload -------------------------------------------------------------
def payload_from_json(type: EventType, data: JSONObject) -> Payload:
    """The payload of an event of `type` whose JSON data is `data` (never raises)."""
    if type in (EventType.RUN_STARTED, EventType.RUN_COMPLETED):
        return RunPayload(run=run_from_json(_object(data.get("run"))))
    if type in (EventType.JOB_QUEUED, EventType.JOB_STARTED, EventType.JOB_COMPLETED):
        return JobPayload(job=job_from_json(_object(data.get("job"))))
    if type in (EventType.STEP_STARTED, EventType.STEP_COMPLETED):
        outputs = data.get("outputs")
        return StepPayload(
            step=step_from_json(_object(data.get("step"))),
            outputs=outputs if isinstance(outputs, dict) else None,
        )
    if type is EventType.STEP_LOG:
        # The hot path: the list is taken as it is, not checked line by line (the
        # engine and the store only ever put strings in it).
        lines = data.get("lines")
        return LogChunk(
            stream=_str(data.get("stream")) or "stdout",
            lines=lines if isinstance(lines, list) else [],  # type: ignore[arg-type]
        )
    if type is EventType.STEP_ANNOTATION:
        rest = {k: v for k, v in data.items() if k not in ("level", "message")}
        return Annotation(
            level=_str(data.get("level")), message=_str(data.get("message")), properties=rest
        )
    return _job_or_skill(type, data)


def _job_or_skill(type: EventType, data: JSONObject) -> Payload:
    if type is EventType.JOB_STATUS:
        return JobStatus(summary=_str(data.get("summary")))
    if type is EventType.JOB_BLOCKED:
        return JobBlocked(
            reason=_str(data.get("reason")), environment=_str(data.get("environment"))
        )
    if type is EventType.JOB_UNBLOCKED:
        return JobUnblocked(approved=data.get("approved") is True, by=_str(data.get("by")))
    if type is EventType.JOB_MESSAGE:
        return JobMessage(
            from_job=_str(data.get("from_job")),
            to_job=_str(data.get("to_job")),
            outputs=_object(data.get("outputs")),
            result=_str(data.get("result")),
        )
    rest = {k: v for k, v in data.items() if k not in ("skill_id", "trace_id")}
    return SkillPayload(
        skill_id=_str(data.get("skill_id")), trace_id=_str(data.get("trace_id")), fields=rest
    )


def step_from_json(data: JSONObject) -> StepSnapshot:
    return StepSnapshot(
        number=_int(data.get("number")) or 0,
        name=_str(data.get("name")),
        status=_status(data.get("status")),
        conclusion=_conclusion(data.get("conclusion")),
        id=_opt_str(data.get("id")),
        outcome=_conclusion(data.get("outcome")),
        started_at=_int(data.get("started_at")),
        completed_at=_int(data.get("completed_at")),
        duration_ms=_int(data.get("duration_ms")),
        error=_opt_str(data.get("error")),
    )


def job_from_json(data: JSONObject) -> JobSnapshot:
    steps, matrix, outputs = data.get("steps"), data.get("matrix"), data.get("outputs")
    needs = data.get("needs")
    return JobSnapshot(
        id=_str(data.get("id")),
        key=_str(data.get("key")),
        name=_str(data.get("name")),
        status=_status(data.get("status")),
        conclusion=_conclusion(data.get("conclusion")),
        needs=tuple(n for n in needs if isinstance(n, str)) if isinstance(needs, list) else (),
        steps=tuple(step_from_json(s) for s in steps if isinstance(s, dict))
        if isinstance(steps, list)
        else None,
        matrix=matrix if isinstance(matrix, dict) else None,
        runs_on=data.get("runs_on"),
        environment=_opt_str(data.get("environment")),
        started_at=_int(data.get("started_at")),
        completed_at=_int(data.get("completed_at")),
        duration_ms=_int(data.get("duration_ms")),
        outputs=outputs if isinstance(outputs, dict) else None,
        summary=_opt_str(data.get("summary")),
        error=_opt_str(data.get("error")),
        runner_name=_opt_str(data.get("runner_name")),
    )


def run_from_json(data: JSONObject) -> RunSnapshot:
    jobs, graph = data.get("jobs"), data.get("graph")
    return RunSnapshot(
        id=_str(data.get("id")),
        name=_str(data.get("name")),
        workflow=_str(data.get("workflow")),
        event=_str(data.get("event")),
        run_number=_int(data.get("run_number")) or 0,
        workdir=_str(data.get("workdir")),
        status=_status(data.get("status")),
        conclusion=_conclusion(data.get("conclusion")),
        jobs=tuple(job_from_json(j) for j in jobs if isinstance(j, dict))
        if isinstance(jobs, list)
        else (),
        graph=graph if isinstance(graph, list) else [],
        inputs=_object(data.get("inputs")),
        created_at=_int(data.get("created_at")) or 0,
        started_at=_int(data.get("started_at")),
        completed_at=_int(data.get("completed_at")),
        duration_ms=_int(data.get("duration_ms")),
        error=_opt_str(data.get("error")),
    )


def _object(value: JSONValue) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _str(value: JSONValue) -> str:
    return value if isinstance(value, str) else ""


def _opt_str(value: JSONValue) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: JSONValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _status(value: JSONValue) -> Status:
    if isinstance(value, str) and value in _STATUSES:
        return Status(value)
    return Status.QUEUED


def _conclusion(value: JSONValue) -> Conclusion | None:
    if isinstance(value, str) and value in _CONCLUSIONS:
        return Conclusion(value)
    return None


_STATUSES = frozenset(s.value for s in Status)
_CONCLUSIONS = frozenset(c.value for c in Conclusion)
