"""StoreMirror: the event store as the daemon sees it while its engine process writes it.

Reads go to the same SQLite file (WAL lets them run beside the writer), through an
EventReader of this process's own. What only the writer knows (how far the log is
committed, whether writes fail) comes from the engine's Progress reports; what the
files and this process's reads show (the store deleted, a damaged page) is found
here. It implements StoreReader, which is all the API asks of a store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.store import LOCK_NAME, EventReader, StoreHealth, StoreStatistics, unwritable

if TYPE_CHECKING:
    from pathlib import Path

    from runner.events.types import Event
    from runner.expressions.values import JSONValue


class StoreMirror:
    """The store, read beside the engine process that writes it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "stax.db"
        self.health = StoreHealth(self.path, data_dir / LOCK_NAME)
        self.reader = EventReader(self.path, self.health)
        self.last_seq = 0  # the engine's last report, or what the store said on opening
        self._reported: StoreStatistics | None = None

    def open(self) -> None:
        """Open for reading (the engine has opened the store already).

        Raises ConfigError when there is no store, or one this stax cannot read."""
        self.last_seq = self.reader.open()

    def close(self) -> None:
        self.reader.close()

    def report(self, stats: StoreStatistics) -> None:
        """The writer's statistics, as the engine reported them."""
        self._reported = stats
        self.last_seq = max(self.last_seq, stats.last_seq)

    async def committed_seq(self) -> int:
        """The last seq committed, read from the store itself: the engine's report of it
        may be a message behind."""
        committed = await self.reader.read_last_seq()
        return max(self.last_seq, committed)

    def check(self) -> str | None:
        """What this process finds (its files, its reads), else what the writer does."""
        if (problem := self.health.check_files()) is not None:
            return problem
        reported = self._reported
        if reported is None:
            return None
        return reported.degraded or unwritable(reported.failed)

    def statistics(self) -> StoreStatistics:
        reported = self._reported
        return StoreStatistics(
            last_seq=self.last_seq,
            committed_batches=reported.committed_batches if reported else 0,
            committed_events=reported.committed_events if reported else 0,
            queued=reported.queued if reported else 0,
            failed=reported.failed if reported else None,
            degraded=self.health.problem or (reported.degraded if reported else None),
        )

    # -- reading (StoreReader) -------------------------------------------------------
    async def read_after(
        self,
        seq: int,
        *,
        limit: int = 1000,
        run_id: str | None = None,
        until: int | None = None,
        max_bytes: int | None = None,
    ) -> list[Event]:
        return await self.reader.read_after(
            seq, limit=limit, run_id=run_id, until=until, max_bytes=max_bytes
        )

    async def get_run(self, run_id: str) -> dict[str, JSONValue] | None:
        return await self.reader.get_run(run_id)

    async def list_runs(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        status: str | None = None,
        workflow: str | None = None,
        unfinished: bool = False,
    ) -> list[dict[str, JSONValue]]:
        return await self.reader.list_runs(
            limit=limit,
            before_seq=before_seq,
            status=status,
            workflow=workflow,
            unfinished=unfinished,
        )

    async def has_step(self, run_id: str, job_id: str, step_number: int) -> bool:
        return await self.reader.has_step(run_id, job_id, step_number)

    async def read_step_log(
        self, run_id: str, job_id: str, step_number: int, *, after: int, until: int, max_bytes: int
    ) -> tuple[int, bytes]:
        return await self.reader.read_step_log(
            run_id, job_id, step_number, after=after, until=until, max_bytes=max_bytes
        )
