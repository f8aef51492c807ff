"""Session and thread objects (seed 001, in the shape the `anthropic` SDK parses), built
from the store's run and job snapshots, and the ids that name them.

    session          sess_<runId>                       one run
    primary thread   sthr_<runId>                       the run itself
    child thread     sthr_<runId>_<12 hex of sha256(job id)>   one job (matrix instance)
    event            sevt_<seq>_<k>                     the k-th session event of canonical
                                                        event <seq> (a log line: k = line)

Ids are derived from the run and job ids alone, so they are stable across restarts and
the same for every client. Statuses: a run or job that is queued or waiting for an
approval is `idle`, one in progress is `running`, a finished one is `terminated`.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from runner.api.request_numbers import shown
from runner.api.snapshots import iso_ms

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue

SESSION_PREFIX = "sess_"
THREAD_PREFIX = "sthr_"
EVENT_PREFIX = "sevt_"
THREAD_STATUSES = ("running", "idle", "rescheduling", "terminated")
MODEL = "stax"  # no model runs a workflow; the SDK accepts any model id string
_EVENT_ID = re.compile(r"sevt_([0-9]{1,18})_([0-9]{1,9})")  # ASCII digits, below 2**63
_STATUS = {"queued": "idle", "waiting": "idle", "in_progress": "running", "completed": "terminated"}


def session_id(run_id: str) -> str:
    return f"{SESSION_PREFIX}{run_id}"


def run_id_of(session: str) -> str | None:
    """The run a session id names (None when it is not a session id)."""
    if not session.startswith(SESSION_PREFIX) or len(session) == len(SESSION_PREFIX):
        return None
    return session[len(SESSION_PREFIX) :]


def primary_thread_id(run_id: str) -> str:
    return f"{THREAD_PREFIX}{run_id}"


@lru_cache(maxsize=4096)
def job_thread_id(run_id: str, job_id: str) -> str:
    digest = hashlib.sha256(job_id.encode()).hexdigest()[:12]
    return f"{THREAD_PREFIX}{run_id}_{digest}"


def event_id(seq: int, index: int) -> str:
    return f"{EVENT_PREFIX}{seq}_{index}"


def parse_event_id(value: str) -> tuple[int, int]:
    """`sevt_<seq>_<k>` -> (seq, k). ValueError otherwise."""
    match = _EVENT_ID.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{shown(value)} is not an event id of this server (sevt_<seq>_<k>)")
    return int(match[1]), int(match[2])


def status_of(snapshot: dict[str, JSONValue]) -> str:
    return _STATUS.get(str(snapshot.get("status")), "idle")


def job_of_thread(run: dict[str, JSONValue], thread_id: str) -> dict[str, JSONValue] | None:
    """The job snapshot whose thread is `thread_id` (None: no such child thread)."""
    run_id = str(run.get("id"))
    for job in _jobs(run):
        if job_thread_id(run_id, str(job.get("id"))) == thread_id:
            return job
    return None


# -- objects ---------------------------------------------------------------------------
def _agent_common(name: str, description: str) -> dict[str, JSONValue]:
    return {
        "name": name,
        "description": description,
        "execution_identity": {"type": "service_account"},
        "mcp_servers": [],
        "model": {"id": MODEL},
        "skills": [],
        "system": None,
        "tools": [],
    }


def workflow_agent(run: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """The session's agent: the workflow (id = its file, version 1: files have none)."""
    workflow = str(run.get("workflow") or "")
    return {
        "type": "agent",
        "id": workflow,
        "version": 1,
        **_agent_common(str(run.get("name") or workflow), f"workflow {workflow}"),
        "multiagent": None,
    }


def job_agent(job: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """A child thread's agent: the job, defined inline by the workflow."""
    return {
        "type": "inline",
        **_agent_common(
            str(job.get("name") or job.get("id")), f"job {job.get('key') or job.get('id')}"
        ),
    }


def _times(snapshot: dict[str, JSONValue], created: JSONValue) -> tuple[int, int]:
    start = created if isinstance(created, int) else 0
    updated = snapshot.get("completed_at") or snapshot.get("started_at") or start
    return start, updated if isinstance(updated, int) else start


def _stats(snapshot: dict[str, JSONValue]) -> dict[str, JSONValue] | None:
    duration = snapshot.get("duration_ms")
    if not isinstance(duration, int):
        return None
    return {
        "active_seconds": duration / 1000,
        "duration_seconds": duration / 1000,
        "startup_seconds": 0.0,
    }


def session_object(run: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """A run as a `session` object."""
    run_id = str(run.get("id"))
    created, updated = _times(run, run.get("created_at"))
    metadata: dict[str, JSONValue] = {
        "run_id": run_id,
        "workflow": str(run.get("workflow")),
        "run_number": str(run.get("run_number")),
        "event": str(run.get("event")),
    }
    if run.get("conclusion") is not None:
        metadata["conclusion"] = str(run["conclusion"])
    stats = _stats(run) or {}
    return {
        "id": session_id(run_id),
        "type": "session",
        "title": run.get("name"),
        "status": status_of(run),
        "agent": workflow_agent(run),
        "created_at": iso_ms(created),
        "updated_at": iso_ms(updated),
        "archived_at": None,
        "environment_id": "env_local",
        "metadata": metadata,
        "outcome_evaluations": [],
        "resources": [],
        "stats": stats,
        "usage": {},
        "vault_ids": [],
        "budget": None,
        "deployment_id": None,
        "primary_thread_id": primary_thread_id(run_id),
    }


def primary_thread(run: dict[str, JSONValue]) -> dict[str, JSONValue]:
    run_id = str(run.get("id"))
    created, updated = _times(run, run.get("created_at"))
    return {
        "id": primary_thread_id(run_id),
        "type": "session_thread",
        "session_id": session_id(run_id),
        "parent_thread_id": None,
        "agent": workflow_agent(run),
        "status": status_of(run),
        "created_at": iso_ms(created),
        "updated_at": iso_ms(updated),
        "archived_at": None,
        "stats": _stats(run),
        "usage": None,
        "workflow_run_id": None,
    }


def job_thread(run: dict[str, JSONValue], job: dict[str, JSONValue]) -> dict[str, JSONValue]:
    run_id = str(run.get("id"))
    created, updated = _times(job, run.get("started_at") or run.get("created_at"))
    return {
        "id": job_thread_id(run_id, str(job.get("id"))),
        "type": "session_thread",
        "session_id": session_id(run_id),
        "parent_thread_id": primary_thread_id(run_id),
        "agent": job_agent(job),
        "status": status_of(job),
        "created_at": iso_ms(created),
        "updated_at": iso_ms(updated),
        "archived_at": None,
        "stats": _stats(job),
        "usage": None,
        "workflow_run_id": None,
        "job_id": job.get("id"),
        "conclusion": job.get("conclusion"),
    }


def threads(run: dict[str, JSONValue]) -> list[dict[str, JSONValue]]:
    """The primary thread, then one per job in the order the jobs appeared."""
    return [primary_thread(run), *(job_thread(run, job) for job in _jobs(run))]


def _jobs(run: dict[str, JSONValue]) -> list[dict[str, JSONValue]]:
    jobs = run.get("jobs")
    return [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []
