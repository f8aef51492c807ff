"""Threads and assistants of the Agent Protocol family, as the LangGraph SDK reads them.

An assistant is a workflow: `assistant_id` and `graph_id` are its name (the file name
without `.yml`, what `stax run NAME` takes). A thread is a client-named container of
runs (runner/events/thread_store.py keeps them); its `values` are the latest run, as
`GET /api/runs/{id}` gives it, and its `status` is `busy` while that run goes on,
`interrupted` while one of its jobs waits for an approval, else `idle`.

Ownership: a thread belongs to the token that created it (stored as a SHA-256 hash);
any other token gets 404 for it, as if it did not exist.
"""

from __future__ import annotations

import hashlib
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from runner.api.agent.wire import interrupt_id
from runner.api.snapshots import iso_ms
from runner.errors import WorkflowErrors
from runner.workflow_files import list_workflows

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from runner.api.services import Services
    from runner.config import Settings
    from runner.events.thread_store import ThreadRecord, ThreadStore
    from runner.expressions.values import JSONValue
    from runner.model import Workflow


@dataclass(slots=True)
class AgentThreads:
    """The family's per-daemon state (its routes create it): the thread store and one
    lock per thread (so two `run.start` commands cannot both find the thread free)."""

    store: ThreadStore
    _locks: dict[str, trio.Lock] = field(default_factory=dict)

    @asynccontextmanager
    async def locked(self, thread_id: str) -> AsyncIterator[None]:
        """Hold the thread's lock for the block (the lock goes when nobody wants it)."""
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = trio.Lock()
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not lock.statistics().tasks_waiting:
                self._locks.pop(thread_id, None)


def owner_of(token: str) -> str:
    """What a thread records about the token that owns it."""
    return hashlib.sha256(token.encode()).hexdigest()


async def latest_run(services: Services, thread: ThreadRecord) -> dict[str, JSONValue] | None:
    """The thread's newest run with its jobs (and their steps), if it has left a trace."""
    for run_id in reversed(thread.run_ids):
        run = await services.find_run(run_id)
        if run is not None:
            return run
    return None


def thread_object(thread: ThreadRecord, run: dict[str, JSONValue] | None) -> dict[str, JSONValue]:
    """The SDK's `Thread`."""
    interrupts: dict[str, JSONValue] = {
        job_id: [entry] for job_id, entry in _interrupts(run).items()
    }
    return {
        "thread_id": thread.thread_id,
        "created_at": iso_ms(thread.created_at),
        "updated_at": iso_ms(thread.updated_at),
        "metadata": thread.metadata,
        "status": _status(run),
        "values": run or {},
        "interrupts": interrupts,
    }


def thread_state(thread: ThreadRecord, run: dict[str, JSONValue] | None) -> dict[str, JSONValue]:
    """The SDK's `ThreadState`: `next` names the latest run's unfinished jobs, `tasks` the
    ones waiting for an approval; both are empty once the run has ended."""
    running = run is not None and run.get("status") != "completed"
    jobs = _jobs(run)
    waiting = _interrupts(run)
    tasks: list[JSONValue] = [
        {
            "id": f"{run['id']}:{job_id}" if run else job_id,
            "name": job_id,
            "error": None,
            "interrupts": [entry],
            "checkpoint": None,
            "state": None,
            "result": None,
        }
        for job_id, entry in waiting.items()
    ]
    checkpoint: JSONValue = None
    if run is not None:
        checkpoint = {
            "thread_id": thread.thread_id,
            "checkpoint_ns": "",
            "checkpoint_id": f"{run.get('id')}:{run.get('last_seq', 0)}",
            "checkpoint_map": None,
        }
    return {
        "values": run or {},
        "next": [
            str(job.get("id")) for job in jobs if running and job.get("status") != "completed"
        ],
        "tasks": tasks,
        "metadata": thread.metadata,
        "created_at": iso_ms(thread.updated_at),
        "checkpoint": checkpoint,
        "parent_checkpoint": None,
        "interrupts": list(waiting.values()),
    }


def _jobs(run: dict[str, JSONValue] | None) -> list[dict[str, JSONValue]]:
    jobs = run.get("jobs") if run is not None else None
    return [job for job in jobs if isinstance(job, dict)] if isinstance(jobs, list) else []


def _interrupts(run: dict[str, JSONValue] | None) -> dict[str, JSONValue]:
    """job id -> the SDK's Interrupt {id, value} for each job waiting for an approval."""
    if run is None or run.get("status") == "completed":
        return {}
    out: dict[str, JSONValue] = {}
    for job in _jobs(run):
        if job.get("status") == "waiting":
            job_id = str(job.get("id"))
            value: dict[str, JSONValue] = {
                "run_id": run.get("id"),
                "job_id": job_id,
                "environment": job.get("environment"),
            }
            out[job_id] = {"id": interrupt_id(str(run.get("id")), job_id), "value": value}
    return out


def _status(run: dict[str, JSONValue] | None) -> str:
    if run is None or run.get("status") == "completed":
        return "idle"
    return "interrupted" if _interrupts(run) else "busy"


# -- assistants --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Assistant:
    id: str
    path: Path
    workflow: Workflow | None  # None: the file does not validate
    error: str | None = None


async def assistants(services: Services) -> list[Assistant]:
    """Every workflow in the workflow dirs, by name (the first file of a name wins, as for
    `stax run NAME`), parsed off the event loop (runner.definitions)."""
    settings = services.settings
    first: dict[str, Path] = {}
    for path in list_workflows(settings):
        first.setdefault(path.stem, path)
    parsed = await services.definitions.load_workflows(
        list(first.values()), timeout_s=settings.parse_timeout_seconds
    )
    return [_assistant(path, verdict) for path, verdict in parsed.items()]


async def find_assistant(services: Services, assistant_id: str) -> Assistant | None:
    """The workflow named `assistant_id` (a name, never a path), or None."""
    settings = services.settings
    path = next((p for p in list_workflows(settings) if p.stem == assistant_id), None)
    if path is None:
        return None
    parsed = await services.definitions.load_workflows(
        [path], timeout_s=settings.parse_timeout_seconds
    )
    return _assistant(path, parsed[path])


def _assistant(path: Path, verdict: Workflow | WorkflowErrors) -> Assistant:
    if isinstance(verdict, WorkflowErrors):
        return Assistant(path.stem, path, None, str(verdict))
    return Assistant(path.stem, path, verdict)


def assistant_object(assistant: Assistant, settings: Settings) -> dict[str, JSONValue]:
    """The SDK's `Assistant`; `metadata` describes the workflow (triggers, jobs, inputs)."""
    try:
        when = iso_ms(int(assistant.path.stat().st_mtime * 1000))
    except OSError:
        when = iso_ms(0)
    try:
        shown = str(assistant.path.relative_to(settings.root))
    except ValueError:
        shown = str(assistant.path)
    workflow = assistant.workflow
    metadata: dict[str, JSONValue] = {"workflow": shown, "valid": workflow is not None}
    if workflow is None:
        metadata["error"] = assistant.error
    else:
        metadata["on"] = list(workflow.on)
        metadata["jobs"] = [
            {"id": key, "name": job.name or key, "needs": list(job.needs)}
            for key, job in workflow.jobs.items()
        ]
        metadata["inputs"] = [
            {
                "name": spec.name,
                "type": spec.type,
                "required": spec.required,
                "default": spec.default,
                "description": spec.description,
            }
            for spec in workflow.dispatch_inputs.values()
        ]
    return {
        "assistant_id": assistant.id,
        "graph_id": assistant.id,
        "name": workflow.display_name if workflow is not None else assistant.id,
        "description": None,
        "config": {},
        "context": {},
        "metadata": metadata,
        "version": 1,
        "created_at": when,
        "updated_at": when,
    }
