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
from runner.events.store.reader import ReadsThroughReader

if TYPE_CHECKING:
    from pathlib import Path


class StoreMirror(ReadsThroughReader):
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
