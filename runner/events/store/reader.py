"""Reading the store: a small pool of read connections beside the writer (WAL lets them
read while it writes), and the queries on events.

Reads run in worker threads, so the pool is guarded by a threading lock. A query that
meets a damaged page makes the store degraded (health.py) and still raises.

Once the store's files are lost (health.py), the connections already open are the
only way left to read it, since a new one would open whatever the path leads to now: the
pool then keeps every connection, and a reader waits for one to be free.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from runner.errors import ConfigError
from runner.events.store.schema import (
    connect,
    has_lines_column,
    read_last_seq,
    refuse_newer_schema,
)
from runner.events.store.snapshots import has_step, query_run, query_runs
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from runner.events.store.health import StoreHealth
    from runner.expressions.values import JSONValue

T = TypeVar("T")

IDLE_READERS = 8  # connections kept open between reads


class ReadPool:
    """Read connections, opened on demand, a few kept open between reads."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], health: StoreHealth) -> None:
        self._connect = connect
        self._health = health
        self._idle: list[sqlite3.Connection] = []
        self._open = 0  # idle or in use
        self._lock = threading.Condition()

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`fn(conn)` on a read connection, in a worker thread. A damaged page it meets
        makes the store degraded (and still raises)."""

        def work() -> T:
            with self.reader() as conn:
                try:
                    return fn(conn)
                except sqlite3.DatabaseError as exc:
                    self._health.noticed(exc)
                    raise

        return await trio.to_thread.run_sync(work)

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read connection for the duration of the block (blocking: call it in a worker
        thread). Raises sqlite3.OperationalError when the store can no longer be opened."""
        conn = self._take()
        try:
            yield conn
        finally:
            with self._lock:
                if len(self._idle) < IDLE_READERS or self._health.files_lost:
                    self._idle.append(conn)
                    self._lock.notify()
                else:
                    conn.close()
                    self._open -= 1

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()
            self._open = 0

    def _take(self) -> sqlite3.Connection:
        with self._lock:
            while not self._idle and self._health.files_lost and self._open:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            if self._health.files_lost:
                raise sqlite3.OperationalError(self._health.problem)
            self._open += 1
        try:
            conn = self._connect()
            if not self._health.same_file():  # deleted or replaced since the store opened
                conn.close()
                raise sqlite3.OperationalError(self._health.check_files() or "store replaced")
        except BaseException:
            with self._lock:
                self._open -= 1
            raise
        return conn


class EventReader:
    """The store's reading side: a pool of read connections and the queries. The writer's
    EventStore reads through one; a process that reads beside the writer (the daemon,
    `stax log`) can use one on its own (`open`, then the reads)."""

    def __init__(self, path: Path, health: StoreHealth) -> None:
        self.path = path
        self.health = health
        self._pool = ReadPool(lambda: connect(path), health)
        self._columns = EventColumns()

    def open(self) -> int:
        """Check that there is a store this stax can read; returns its last seq.

        Raises ConfigError when there is no store yet, or one it cannot read."""
        if not self.path.is_file():
            raise ConfigError(f"no runs recorded yet (no store at {self.path})")
        try:
            with self._pool.reader() as conn:
                refuse_newer_schema(conn, self.path)
                last_seq = read_last_seq(conn)
                self._columns.lines(conn)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: cannot read the store: {exc}") from None
        self.health.remember_files()
        return last_seq

    def close(self) -> None:
        self._pool.close()

    async def read_after(
        self,
        seq: int,
        *,
        limit: int = 1000,
        run_id: str | None = None,
        until: int | None = None,
        max_bytes: int | None = None,
    ) -> list[Event]:
        """Committed events with seq > `seq` (and <= `until`), oldest first, at most `limit`
        of them and, with `max_bytes`, about that much stored data (at least one event): a
        page of log chunks can otherwise hold millions of lines."""
        return await self._pool.read(
            lambda conn: query_after(
                conn,
                self._columns,
                seq,
                limit=limit,
                run_id=run_id,
                until=until,
                max_bytes=max_bytes,
            )
        )

    async def get_event(self, seq: int) -> Event | None:
        return await self._pool.read(lambda conn: query_event(conn, self._columns, seq))

    async def get_run(self, run_id: str) -> dict[str, JSONValue] | None:
        """The run's snapshot with its jobs, each with its steps (no replay needed)."""
        return await self._pool.read(lambda conn: query_run(conn, run_id))

    async def list_runs(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        status: str | None = None,
        workflow: str | None = None,
        unfinished: bool = False,
    ) -> list[dict[str, JSONValue]]:
        """Run snapshots (without jobs), newest first; page with `before_seq`."""
        return await self._pool.read(
            lambda conn: query_runs(
                conn,
                limit=limit,
                before_seq=before_seq,
                status=status,
                workflow=workflow,
                unfinished=unfinished,
            )
        )

    async def has_step(self, run_id: str, job_id: str, step_number: int) -> bool:
        return await self._pool.read(lambda conn: has_step(conn, run_id, job_id, step_number))

    async def read_step_log(
        self, run_id: str, job_id: str, step_number: int, *, after: int, until: int, max_bytes: int
    ) -> tuple[int, bytes]:
        """One page of a step's log: the lines of its chunks with seq in (`after`, `until`],
        each line ending in a newline, as UTF-8, about `max_bytes` of them (at least one
        chunk), and the seq of the last chunk read (`after` when none is left). Pages keep
        a reader's memory bounded, however big the log."""
        return await self._pool.read(
            lambda conn: query_step_log(
                conn,
                self._columns,
                (run_id, job_id, step_number),
                after=after,
                until=until,
                max_bytes=max_bytes,
            )
        )

    async def read_last_seq(self) -> int:
        """The last seq committed, as the store itself says (for a store another process
        writes)."""
        return await self._pool.read(read_last_seq)


class ReadsThroughReader:
    """The StoreReader reads, answered by `self.reader`: the store and the daemon's
    mirror of it (runner.daemon.mirror) read the same files the same way."""

    reader: EventReader

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

    async def get_event(self, seq: int) -> Event | None:
        return await self.reader.get_event(seq)

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


class EventColumns:
    """How to select an event row, in `row_to_event`'s order. `events.lines` reads as NULL
    in a schema 1 store nobody has written since (asked again on each read, until a
    writer adds the column: `stax log -f` may outlive that moment)."""

    def __init__(self) -> None:
        self._lines_sql: str | None = None

    def lines(self, conn: sqlite3.Connection) -> str:
        if self._lines_sql != "lines":
            self._lines_sql = "lines" if has_lines_column(conn) else "NULL"
        return self._lines_sql

    def all(self, conn: sqlite3.Connection) -> str:
        return f"seq, ts, type, run_id, job_id, step_number, data, {self.lines(conn)}"


def row_to_event(row: tuple[Any, ...]) -> Event:
    seq, ts, type_, run_id, job_id, step_number, data, lines = row
    return Event(
        seq=seq,
        ts=ts,
        type=EventType(type_),
        run_id=run_id,
        job_id=job_id,
        step_number=step_number,
        data=_joined_lines(data, lines),
    )


def query_after(
    conn: sqlite3.Connection,
    columns: EventColumns,
    seq: int,
    *,
    limit: int,
    run_id: str | None,
    until: int | None,
    max_bytes: int | None,
) -> list[Event]:
    """Events with seq > `seq` (and <= `until`), oldest first: see EventStore.read_after."""
    sql = f"SELECT {columns.all(conn)} FROM events WHERE seq > ?"
    args: list[Any] = [seq]
    if run_id is not None:
        sql += " AND run_id = ?"
        args.append(run_id)
    if until is not None:
        sql += " AND seq <= ?"
        args.append(until)
    sql += " ORDER BY seq LIMIT ?"
    args.append(limit)
    if max_bytes is None:
        return [row_to_event(row) for row in conn.execute(sql, args)]
    events: list[Event] = []
    total = 0
    for row in conn.execute(sql, args):
        events.append(row_to_event(row))
        total += len(row[-2]) + len(row[-1] or b"")
        if total >= max_bytes:
            break
    return events


def query_event(conn: sqlite3.Connection, columns: EventColumns, seq: int) -> Event | None:
    row = conn.execute(f"SELECT {columns.all(conn)} FROM events WHERE seq = ?", (seq,)).fetchone()
    return row_to_event(row) if row else None


def query_step_log(
    conn: sqlite3.Connection,
    columns: EventColumns,
    where: tuple[str, str, int],
    *,
    after: int,
    until: int,
    max_bytes: int,
) -> tuple[int, bytes]:
    """One page of the log of the step at `where` (run, job, number): see
    EventStore.read_step_log."""
    last, size = after, 0
    parts: list[bytes] = []
    cursor = conn.execute(
        f"SELECT seq, data, {columns.lines(conn)} FROM events "
        "WHERE type = 'step.log' AND run_id = ? AND job_id = ? AND step_number = ? "
        "AND seq > ? AND seq <= ? ORDER BY seq",
        (*where, after, until),
    )
    try:
        for seq, data, stored in cursor:
            last = seq
            text = _log_text(data, stored)
            parts.append(text)
            size += len(text)
            if size >= max_bytes:
                break
    finally:
        cursor.close()
    return last, b"".join(parts)


def _joined_lines(data: str, lines: bytes | None) -> dict[str, Any]:
    """The event data commit.split_lines stored (`lines` comes back last, where it was)."""
    out: dict[str, Any] = json.loads(data)
    if lines is not None:
        out["lines"] = lines.decode("utf-8", "surrogatepass").split("\n")
    return out


def _log_text(data: str, stored: bytes | None) -> bytes:
    """A chunk's lines as the step wrote them, each ending in a newline, in UTF-8. (A lone
    surrogate, which the store keeps but UTF-8 cannot carry, becomes `?`.)"""
    if stored is None:  # a chunk kept whole in JSON
        lines = _joined_lines(data, None).get("lines") or []
        text = "".join(f"{line}\n" for line in lines)
        return text.encode("utf-8", "replace")
    try:
        stored.decode("utf-8")
    except UnicodeDecodeError:
        stored = stored.decode("utf-8", "surrogatepass").encode("utf-8", "replace")
    return stored + b"\n"
