"""Agent-protocol threads (seed 004), kept beside the event log.

A thread is a client-named container of runs. This module keeps what the log does
not: each thread's id, its metadata, who owns it (a hash of the token that created
it, never the token itself), when it was created, and which runs were started on it,
in order. The runs and everything they did stay in the event log.

Storage: the same SQLite file as the event store (`<data_dir>/stax.db`), in tables of
its own (created with IF NOT EXISTS), through a connection of its own. WAL lets it
write beside the event writer; a busy timeout covers the writer's short locks. Every
blocking call runs on a worker thread, one at a time (a CapacityLimiter of 1), so the
connection is never used by two threads at once.

Invariant: a run is committed to its thread *before* the run is started, so any
reader that lists a thread's runs after having seen one of the run's events finds
the run there. Streams rely on it: they read the event log's last seq first and the
thread's runs second.

The store keeps an in-memory copy of every thread it has read or written, so that a
stream's filter, which is synchronous, can ask "is this run on my thread?" without a
query. One daemon owns a data dir (the event store's lock), and every write goes
through this object, so the copy cannot go stale.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from runner import json_text
from runner.events.types import now_ms

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from runner.expressions.values import JSONValue

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agent_threads (
    thread_id TEXT PRIMARY KEY, owner TEXT NOT NULL, metadata TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS agent_thread_runs (
    run_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, position INTEGER NOT NULL,
    added_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS agent_thread_runs_by_thread
    ON agent_thread_runs (thread_id, position);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadRecord:
    """One thread as stored. `run_ids` are oldest first."""

    thread_id: str
    owner: str  # a hash of the owning token (the API's business, opaque here)
    metadata: dict[str, JSONValue] = field(default_factory=dict)
    created_at: int = 0  # UTC ms
    updated_at: int = 0  # UTC ms: creation, or the last run added
    run_ids: tuple[str, ...] = ()


class ThreadStore:
    """Create and read threads, and record which runs belong to which thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._limiter = trio.CapacityLimiter(1)
        self._cache: dict[str, ThreadRecord] = {}
        self._absent: set[str] = set()  # looked up and not found (until created)

    # -- lifecycle ------------------------------------------------------------
    def open(self) -> None:
        """Connect and create the tables if needed (blocking: call it off the event loop
        or before it starts)."""
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def work() -> T:
            conn = self._conn
            if conn is None:
                raise RuntimeError("the thread store is not open")
            return fn(conn)

        return await trio.to_thread.run_sync(work, limiter=self._limiter)

    # -- reading ----------------------------------------------------------------
    async def get(self, thread_id: str) -> ThreadRecord | None:
        """The thread, or None when there is none by that id."""
        cached = self._cache.get(thread_id)
        if cached is not None or thread_id in self._absent:
            return cached
        found = await self._call(lambda conn: _read(conn, thread_id))
        self._remember(thread_id, found)
        return found

    def get_nowait(self, thread_id: str) -> ThreadRecord | None:
        """The thread as last read or written through this store (no query)."""
        return self._cache.get(thread_id)

    # -- writing ----------------------------------------------------------------
    async def create(
        self, thread_id: str, *, owner: str, metadata: dict[str, JSONValue] | None = None
    ) -> tuple[ThreadRecord, bool]:
        """Create the thread; returns (the thread, True), or (the existing one, False)
        when the id is taken (whoever owns it)."""
        now = now_ms()
        text = json_text.dumps(metadata or {})

        def write(conn: sqlite3.Connection) -> tuple[ThreadRecord, bool]:
            conn.execute("BEGIN IMMEDIATE")
            try:
                created = (
                    conn.execute(
                        "INSERT OR IGNORE INTO agent_threads VALUES (?, ?, ?, ?, ?)",
                        (thread_id, owner, text, now, now),
                    ).rowcount
                    == 1
                )
                record = _read(conn, thread_id)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            assert record is not None
            return record, created

        record, created = await self._call(write)
        self._remember(thread_id, record)
        return record, created

    async def add_run(
        self,
        thread_id: str,
        run_id: str,
        *,
        owner: str,
        metadata: dict[str, JSONValue] | None = None,
    ) -> ThreadRecord | None:
        """Record `run_id` as the thread's newest run, creating the thread (owned by
        `owner`, with `metadata`) if there is none. Returns the updated thread, or None
        (and records nothing) when the thread belongs to another owner."""
        now = now_ms()
        text = json_text.dumps(metadata or {})

        def write(conn: sqlite3.Connection) -> ThreadRecord | None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT OR IGNORE INTO agent_threads VALUES (?, ?, ?, ?, ?)",
                    (thread_id, owner, text, now, now),
                )
                (holder,) = conn.execute(
                    "SELECT owner FROM agent_threads WHERE thread_id = ?", (thread_id,)
                ).fetchone()
                if holder != owner:
                    conn.execute("ROLLBACK")
                    return None
                conn.execute(
                    "INSERT INTO agent_thread_runs VALUES (?, ?, (SELECT COUNT(*) FROM "
                    "agent_thread_runs WHERE thread_id = ?), ?)",
                    (run_id, thread_id, thread_id, now),
                )
                conn.execute(
                    "UPDATE agent_threads SET updated_at = ? WHERE thread_id = ?", (now, thread_id)
                )
                record = _read(conn, thread_id)
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            return record

        record = await self._call(write)
        if record is not None:
            self._remember(thread_id, record)
        return record

    async def remove_run(self, thread_id: str, run_id: str) -> None:
        """Forget a run that could not be started (it left no event)."""

        def write(conn: sqlite3.Connection) -> ThreadRecord | None:
            conn.execute(
                "DELETE FROM agent_thread_runs WHERE thread_id = ? AND run_id = ?",
                (thread_id, run_id),
            )
            return _read(conn, thread_id)

        self._remember(thread_id, await self._call(write))

    def _remember(self, thread_id: str, record: ThreadRecord | None) -> None:
        if record is None:
            self._cache.pop(thread_id, None)
            self._absent.add(thread_id)
        else:
            self._cache[thread_id] = record
            self._absent.discard(thread_id)


def _read(conn: sqlite3.Connection, thread_id: str) -> ThreadRecord | None:
    row: tuple[Any, ...] | None = conn.execute(
        "SELECT owner, metadata, created_at, updated_at FROM agent_threads WHERE thread_id = ?",
        (thread_id,),
    ).fetchone()
    if row is None:
        return None
    owner, metadata, created_at, updated_at = row
    runs = conn.execute(
        "SELECT run_id FROM agent_thread_runs WHERE thread_id = ? ORDER BY position, added_at",
        (thread_id,),
    ).fetchall()
    return ThreadRecord(
        thread_id=thread_id,
        owner=owner,
        metadata=json.loads(metadata),
        created_at=created_at,
        updated_at=updated_at,
        run_ids=tuple(run_id for (run_id,) in runs),
    )


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
