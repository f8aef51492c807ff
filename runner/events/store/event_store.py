"""The durable event log: SQLite in WAL mode, one writer, batched commits.

Invariant: an event is published (handed to the bus, so anyone can see it)
only after the transaction holding it has committed. A client can therefore
never have seen an event that a crash then loses, and `seq` values are
never reused (the last one is kept in `meta`, even when retention deletes
every event).

One writer task owns the write connection. It takes a batch from its queue
(writer.py: bounded by the lines it holds, which is the engine's
backpressure), commits it on a worker thread, retrying while the disk
refuses (commit.py: seqs, rows and snapshot rows in one transaction), then
publishes. Reads use a small pool of separate connections (reader.py: the
EventReader, which a process reading beside the writer uses on its own).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from runner.errors import ConfigError
from runner.events.store.commit import Committer
from runner.events.store.health import StoreHealth
from runner.events.store.reader import EventReader, ReadsThroughReader
from runner.events.store.schema import (
    LOCK_NAME,
    DataDirLock,
    connect,
    create_schema,
)
from runner.events.store.writer import LINGER_S, WriteQueue
from runner.events.types import Event

if TYPE_CHECKING:
    from pathlib import Path


Publisher = Callable[[list[Event]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatistics:
    last_seq: int
    committed_batches: int
    committed_events: int
    queued: int
    failed: str | None  # why writing stopped, if it did
    degraded: str | None = None  # why the store cannot be trusted (health.py), once found


def unwritable(failed: str | None) -> str | None:
    """What a write failure means for the daemon."""
    return f"the event store cannot be written ({failed})" if failed else None


class EventStore(ReadsThroughReader):
    """Append events, read them back after a seq, and read run snapshots."""

    def __init__(
        self,
        data_dir: Path,
        *,
        publish: Publisher | None = None,
        retention_runs: int = 0,
        queue_lines: int = 200_000,
        linger_s: float = LINGER_S,
    ) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "stax.db"
        self.publish = publish or (lambda batch: None)
        self.retention_runs = retention_runs
        self.linger_s = linger_s
        self._queue = WriteQueue(queue_lines)
        self._committer: Committer | None = None
        self._lock = DataDirLock(data_dir)
        self.health = StoreHealth(self.path, data_dir / LOCK_NAME)
        self.reader = EventReader(self.path, self.health)
        self.last_seq = 0

    @property
    def failed(self) -> str | None:
        """Why the writer cannot commit, while it cannot (it retries)."""
        return self._committer.failed if self._committer is not None else None

    # -- lifecycle ------------------------------------------------------------
    def open_readonly(self) -> None:
        """Open for reading only, beside whoever writes (no lock, no writer).

        Raises ConfigError when there is no store yet."""
        self.last_seq = self.reader.open()

    def open(self) -> None:
        """Take the data dir's lock, open the database, create (or migrate) the schema.

        Raises ConfigError when the lock is held or the store cannot be opened."""
        self._lock.acquire()
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, create=True)
            self.last_seq = create_schema(conn, self.path)
            self.health.remember_files(lock_fd=self._lock.fd)
        except (sqlite3.DatabaseError, ConfigError) as exc:
            if conn is not None:
                conn.close()
            self.close()
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"{self.path}: cannot open the store: {exc}") from None
        self._committer = Committer(
            conn, self.health, data_dir=self.data_dir, retention_runs=self.retention_runs
        )

    def close(self) -> None:
        self.reader.close()
        if self._committer is not None:
            self._committer.conn.close()
        self._committer = None
        self._lock.release()

    def check(self) -> str | None:
        """Why no run may start now, or None: the store is degraded (its files are checked
        on the spot) or cannot be written."""
        return self.health.check_files() or unwritable(self.failed)

    # -- writing ----------------------------------------------------------------
    async def emit(self, event: Event) -> None:
        """Queue an event for the next commit (the engine's EventSink). Waits only while
        the queue is full (writer.py): that is the engine's backpressure (and, while the
        disk is full, what holds runs still until it is not).

        Raises trio.ClosedResourceError once `close_writer()` was called."""
        await self._queue.put(event)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The writer. Runs until `close_writer()` and the queue is drained."""
        if self._committer is None:
            self.open()
        committer = self._committer
        assert committer is not None
        task_status.started()
        try:
            while (batch := await self._queue.next_batch(self.linger_s)) is not None:
                committed = await committer.commit(batch, after_seq=self.last_seq)
                self.last_seq = committed[-1].seq
                self.publish(committed)
        finally:
            self._queue.close_reading()

    def close_writer(self) -> None:
        """No more events: the writer drains what is queued, then returns."""
        self._queue.close()

    async def next_run_number(self, workflow: str) -> int:
        """GitHub's run_number: 1, 2, 3, ... per workflow file."""
        assert self._committer is not None
        return await self._committer.next_run_number(workflow)

    async def committed_seq(self) -> int:
        """The last seq committed (a store another process writes reads it afresh)."""
        return self.last_seq

    def statistics(self) -> StoreStatistics:
        committer = self._committer
        return StoreStatistics(
            last_seq=self.last_seq,
            committed_batches=committer.batches if committer else 0,
            committed_events=committer.events if committer else 0,
            queued=self._queue.statistics().events,
            failed=self.failed,
            degraded=self.health.problem,
        )
