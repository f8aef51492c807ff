"""The daemon's runs: start them in the daemon's nursery, cancel them, approve their jobs.

Runs are children of the manager's nursery, which the daemon owns, so a
run outlives the HTTP request that started it, and the daemon's shutdown
cancels every run before the store closes.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import trio

from runner.engine.concurrency import ConcurrencyGroups
from runner.engine.workflow_run import WorkflowRun
from runner.errors import StoreUnavailable, Unavailable
from runner.executors import executor_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.actions.services import ServiceAccess
    from runner.config import Settings
    from runner.engine.records import RunRecord
    from runner.engine.run_request import RunRequest
    from runner.events.sink import EventSink
    from runner.events.store import EventStore
    from runner.events.store_reader import StoreReader

log = logging.getLogger("stax.engine")


@dataclass(slots=True)
class _Waiting:
    decided: trio.Event = field(default_factory=trio.Event)
    approved: bool = False
    by: str = ""


class RunApprovals:
    """Jobs of one daemon waiting for approval, answered over HTTP or the CLI."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], _Waiting] = {}

    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        waiting = self._waiting.setdefault((run_id, job_id), _Waiting())
        try:
            await waiting.decided.wait()
        finally:
            self._waiting.pop((run_id, job_id), None)
        return waiting.approved, waiting.by

    def decide(self, run_id: str, job_id: str, *, approved: bool, by: str) -> bool:
        """Answer a waiting job; False when no such job is waiting."""
        waiting = self._waiting.get((run_id, job_id))
        if waiting is None or waiting.decided.is_set():
            return False
        waiting.approved, waiting.by = approved, by
        waiting.decided.set()
        return True


def refuse_if_unsound(store: StoreReader) -> None:
    """Raise StoreUnavailable when the store cannot take a new run: its files deleted or
    replaced, a damaged page found, or writes failing (runner.events.store.health)."""
    reason = store.check()
    if reason is not None:
        raise StoreUnavailable(f"not starting runs: {reason}")


class RunManager:
    def __init__(
        self,
        settings: Settings,
        store: EventStore,
        nursery: trio.Nursery,
        *,
        sink: EventSink | None = None,
        on_end: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.sink = sink or store
        self.nursery = nursery
        self.on_end = on_end  # told each run's id once the run is over
        self.approvals = RunApprovals()
        self.concurrency = ConcurrencyGroups()
        self.job_executor = executor_for(settings.executor)  # one for all its runs
        self.active: dict[str, WorkflowRun] = {}
        self.accepting = True
        self.services: ServiceAccess | None = None
        self._idle = trio.Event()
        self._idle.set()

    async def start(self, request: RunRequest) -> RunRecord:
        """Check and start a run; returns its record once it is queued.

        Raises RunError (a bad request) before anything is emitted, Unavailable while
        shutting down, StoreUnavailable when the store cannot take a run.
        """
        if not self.accepting:
            raise Unavailable("the daemon is shutting down")
        refuse_if_unsound(self.store)
        if self.services is not None and request.services is None:
            request = replace(request, services=self.services)
        run = WorkflowRun(
            request,
            self.settings,
            self.sink,
            approvals=self.approvals,
            concurrency=self.concurrency,
            job_executor=self.job_executor,
        )
        record = run.prepare()
        try:
            record.run_number = await self.store.next_run_number(record.workflow)
        except sqlite3.DatabaseError:
            refuse_if_unsound(self.store)  # damage it just met: StoreUnavailable, not a crash
            raise
        self.active[run.run_id] = run
        self._idle = trio.Event()
        self.nursery.start_soon(self._run, run)
        return record

    async def _run(self, run: WorkflowRun) -> None:
        try:
            await run.run()
        except* Exception as group:  # the run could not even end itself: the others go on
            log.error("run %s ended with an internal error", run.run_id, exc_info=group)
        finally:
            self.active.pop(run.run_id, None)
            if self.on_end is not None:
                self.on_end(run.run_id)
            if not self.active:
                self._idle.set()

    async def cancel(self, run_id: str, reason: str = "cancelled") -> bool:
        """Cancel a running run; asked again while it is cancelling, kill it."""
        run = self.active.get(run_id)
        if run is None:
            return False
        if run.control.cancelled:
            run.kill()
        else:
            run.cancel(reason)
        return True

    async def approve(self, run_id: str, job_id: str, *, approved: bool, by: str) -> bool:
        return self.approvals.decide(run_id, job_id, approved=approved, by=by)

    async def shutdown(self, *, grace_s: float = 5.0) -> None:
        """Stop accepting runs, cancel the running ones, wait; kill what is left."""
        self.accepting = False
        for run in list(self.active.values()):
            run.cancel("daemon stopping")
        with trio.move_on_after(grace_s):
            await self._idle.wait()
            return
        for run in list(self.active.values()):
            run.kill()
        with trio.move_on_after(2):
            await self._idle.wait()
