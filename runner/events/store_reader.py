"""StoreReader: what the API (and every follower) reads of the event log.

Two things implement it: the EventStore itself (runner.events.store, in the process
that writes) and the daemon's mirror of the store its engine process writes
(runner.daemon.mirror), which reads the same SQLite file beside the writer and knows
the writer's progress from the engine's reports. Readers depend on this protocol only,
so a store on another backend is a new implementation, not a change to the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runner.events.store import StoreHealth, StoreStatistics
    from runner.events.types import Event
    from runner.expressions.values import JSONValue


class StoreReader(Protocol):
    @property
    def last_seq(self) -> int:
        """The last seq known committed here (what the bus has been told of, or will be)."""
        ...

    @property
    def health(self) -> StoreHealth:
        """The store's degradation, once found (a read that meets damage reports it)."""
        ...

    async def committed_seq(self) -> int:
        """The last seq committed, asked of the store itself where `last_seq` may lag."""
        ...

    def check(self) -> str | None:
        """Why no run may start now (the store degraded, or not writable), or None."""
        ...

    def statistics(self) -> StoreStatistics: ...

    async def read_after(
        self,
        seq: int,
        *,
        limit: int = 1000,
        run_id: str | None = None,
        until: int | None = None,
        max_bytes: int | None = None,
    ) -> list[Event]:
        """Committed events with seq > `seq` (and <= `until`), oldest first."""
        ...

    async def get_run(self, run_id: str) -> dict[str, JSONValue] | None:
        """The run's snapshot with its jobs and their steps, or None."""
        ...

    async def list_runs(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        status: str | None = None,
        workflow: str | None = None,
        unfinished: bool = False,
    ) -> list[dict[str, JSONValue]]:
        """Run snapshots (without jobs), newest first."""
        ...

    async def has_step(self, run_id: str, job_id: str, step_number: int) -> bool: ...

    async def read_step_log(
        self, run_id: str, job_id: str, step_number: int, *, after: int, until: int, max_bytes: int
    ) -> tuple[int, bytes]:
        """One page of a step's log as text, and the seq of the last chunk read."""
        ...
