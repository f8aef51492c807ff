"""Cancellation of runs and jobs, GitHub's way.

Cancelling a run (Ctrl-C, the API, fail-fast, a timeout) does not tear the
run's tasks down: it cancels the step that is running in each job and marks
the job's status `cancelled`, so later steps see `cancelled()` and only
`if: always()` / `if: cancelled()` cleanup still runs, as on GitHub. Killing
(a second Ctrl-C) is the hard stop: SIGKILL to every step process group and
cancellation of the whole run.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class JobControl:
    """Cancels the running step of one job, once, for a reason."""

    __slots__ = ("_cancelled", "_scope", "process_groups", "reason", "runner_slot", "timed_out")

    def __init__(self) -> None:
        self._scope: trio.CancelScope | None = None
        # The parallel-jobs place this job holds now (None while it holds none: before it
        # starts, and while it waits for an approval, which takes no runner on GitHub).
        self.runner_slot: trio.CapacityLimiter | None = None
        self._cancelled = trio.Event()
        self.reason: str | None = None
        self.timed_out = False
        # Groups of this job's finished steps that still have members (`server &`):
        # they live until the job ends, as on GitHub.
        self.process_groups: set[int] = set()

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, reason: str, *, timed_out: bool = False) -> None:
        if self.reason is None:
            self.reason = reason
            self.timed_out = timed_out
            self._cancelled.set()
        if self._scope is not None:
            self._scope.cancel()

    async def wait_cancelled(self) -> None:
        await self._cancelled.wait()

    @contextlib.asynccontextmanager
    async def interruptible(self) -> AsyncIterator[trio.CancelScope]:
        """A scope that ends early once this job is cancelled (a run cancel, fail-fast):
        for the waits outside a step (an approval, a parallel-job place)."""
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:

                async def stop_on_cancel() -> None:
                    await self.wait_cancelled()
                    scope.cancel()

                nursery.start_soon(stop_on_cancel)
                yield scope
                nursery.cancel_scope.cancel()

    def open_step_scope(self) -> trio.CancelScope:
        """The scope a step runs in. A step started after cancellation (cleanup) runs
        in a fresh scope: only the step that was running is interrupted."""
        self._scope = trio.CancelScope()
        return self._scope

    def close_step_scope(self) -> None:
        self._scope = None


class RunControl:
    """Cancellation state of one run and the step process groups alive in it."""

    def __init__(self) -> None:
        self.cancel_reason: str | None = None
        self.killed = False
        self.jobs: set[JobControl] = set()
        self.process_groups: set[int] = set()
        self.root_scope: trio.CancelScope | None = None
        self.cancelled_event = trio.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_reason is not None

    def grace_s(self, configured: float) -> float:
        """How long processes get between SIGTERM and SIGKILL: none once killed."""
        return 0.0 if self.killed else configured

    def cancel(self, reason: str = "cancelled") -> None:
        """Graceful: interrupt running steps; cleanup steps still run."""
        if self.cancel_reason is None:
            self.cancel_reason = reason
            self.cancelled_event.set()
        for job in list(self.jobs):
            job.cancel(reason)

    def kill(self) -> None:
        """Hard: SIGKILL every step process group now and cancel everything."""
        self.cancel("killed")
        self.killed = True
        for pgid in list(self.process_groups):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        if self.root_scope is not None:
            self.root_scope.cancel()
