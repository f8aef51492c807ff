"""The durable event log: SQLite in WAL mode, one writer, batched commits.

Invariant: an event is published (handed to the bus, so anyone can see it)
only after the transaction holding it has committed. A client can therefore
never have seen an event that a crash then loses, and `seq` values are
never reused (the last one is kept in `meta`, even when retention deletes
every event).

One writer task owns the write connection. It takes the first waiting
event, then whatever else arrives within its linger (LINGER_S in the daemon,
longer for a local run nobody follows live; up to BATCH_MAX),
assigns seqs, inserts the events and updates the run/job/step snapshot rows
in one transaction on a worker thread, then publishes. Under load batches
fill at once; when idle an event waits at most a couple of milliseconds.
Reads use a small pool of separate connections (WAL lets them run beside
the writer).

What waits for the writer is bounded by the lines it holds (`queue_lines`),
not by its count of events: the engine then runs at the pace the store
commits, and a run's log never piles up in memory ahead of the disk.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import trio

from runner import json_text
from runner.errors import ConfigError
from runner.events.read_pool import ReadPool
from runner.events.store_health import StoreHealth
from runner.events.store_lock import LOCK_NAME, DataDirLock
from runner.events.types import Event, EventType, weight

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from pathlib import Path

    from runner.expressions.values import JSONValue

BATCH_MAX = 2048
LINGER_S = 0.002
_RETRY_FIRST_S = 0.05
_RETRY_MAX_S = 2.0
log = logging.getLogger("stax.store")
_SCHEMA_VERSION = "2"  # 2: events.lines
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL, run_id TEXT NOT NULL,
    job_id TEXT, step_number INTEGER, data TEXT NOT NULL, lines BLOB);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq);
CREATE INDEX IF NOT EXISTS events_logs ON events (run_id, job_id, step_number, seq)
    WHERE type = 'step.log';
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, workflow TEXT NOT NULL, status TEXT NOT NULL, conclusion TEXT,
    created_at INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    snapshot TEXT NOT NULL);
DROP INDEX IF EXISTS runs_by_created;
CREATE INDEX IF NOT EXISTS runs_by_seq ON runs (first_seq);
CREATE TABLE IF NOT EXISTS jobs (
    run_id TEXT NOT NULL, job_id TEXT NOT NULL, position INTEGER NOT NULL,
    snapshot TEXT NOT NULL, PRIMARY KEY (run_id, job_id));
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, job_id TEXT NOT NULL, number INTEGER NOT NULL,
    snapshot TEXT NOT NULL, PRIMARY KEY (run_id, job_id, number));
CREATE TABLE IF NOT EXISTS run_numbers (workflow TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""

Publisher = Callable[[list[Event]], None]


def run_files_dir(data_dir: Path, run_id: str) -> Path:
    """Where a run keeps files beside its events (its artifacts): removed with the run
    when retention prunes it."""
    return data_dir / "runs" / run_id


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatistics:
    last_seq: int
    committed_batches: int
    committed_events: int
    queued: int
    failed: str | None  # why writing stopped, if it did
    degraded: str | None = None  # why the store cannot be trusted (store_health), once found


def _dumps(data: JSONValue) -> str:
    # ASCII: any string, even one holding a lone surrogate, is storable as it is.
    return json_text.dumps(data)


def _split_lines(event: Event) -> tuple[str, bytes | None]:
    """The stored form of an event's data: JSON, and a log chunk's lines apart.

    A log chunk's lines (most of what the store writes) go in `events.lines` as UTF-8
    joined by newlines: that is one copy, where JSON-encoding them cost the writer more
    than SQLite did (and held the GIL the engine needs). A line never holds a newline
    (the line splitter cuts there); a chunk that breaks that rule, or is empty, stays
    JSON.
    """
    data = event.data
    lines = data.get("lines") if event.type is EventType.STEP_LOG else None
    if isinstance(lines, list) and lines:
        try:
            text = "\n".join(lines)  # type: ignore[arg-type]
        except TypeError:
            return _dumps(data), None
        if text.count("\n") == len(lines) - 1:
            rest = {k: v for k, v in data.items() if k != "lines"}
            return _dumps(rest), text.encode("utf-8", "surrogatepass")
    return _dumps(data), None


def _finite_data(data: dict[str, JSONValue]) -> dict[str, JSONValue]:
    return {key: json_text.finite(value) for key, value in data.items()}


def _joined_lines(data: str, lines: bytes | None) -> dict[str, Any]:
    """The event data `_split_lines` stored (`lines` comes back last, where it was)."""
    out: dict[str, Any] = json.loads(data)
    if lines is not None:
        out["lines"] = lines.decode("utf-8", "surrogatepass").split("\n")
    return out


def _row_to_event(row: tuple[Any, ...]) -> Event:
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


class EventStore:
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
        # Events waiting for the writer, each with its cost, bounded by what they hold
        # (see `emit`), not by their number: the channel itself is unbounded.
        self._send, self._receive = trio.open_memory_channel[tuple[Event, int]](math.inf)
        self.queue_lines = queue_lines
        self.linger_s = linger_s
        self._closing = trio.Event()
        self._queued = 0  # the weight waiting in the channel
        self._room = trio.lowlevel.ParkingLot()  # emitters waiting for the writer
        self._write_limiter = trio.CapacityLimiter(1)
        self._conn: sqlite3.Connection | None = None
        self._lock = DataDirLock(data_dir)
        self.health = StoreHealth(self.path, data_dir / LOCK_NAME)
        self._pool = ReadPool(self._connect, self.health)
        self.last_seq = 0
        self._batches = 0
        self._events = 0
        self.failed: str | None = None
        self._lines_sql: str | None = None  # how to select events.lines (_lines_expression)

    # -- lifecycle ------------------------------------------------------------
    def open_readonly(self) -> None:
        """Open for reading only, beside whoever writes (no lock, no writer).

        Raises ConfigError when there is no store yet."""
        if not self.path.is_file():
            raise ConfigError(f"no runs recorded yet (no store at {self.path})")
        try:
            with self._reader() as conn:
                _refuse_newer_schema(conn, self.path)
                last_seq = read_last_seq(conn)
                self._lines_expression(conn)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: cannot read the store: {exc}") from None
        self.last_seq = last_seq
        self.health.remember_files()

    def open(self) -> None:
        """Take the data dir's lock (store_lock), open the database, create the schema."""
        self._lock.acquire()
        conn: sqlite3.Connection | None = None
        try:
            conn = self._connect(create=True)
            conn.executescript(_SCHEMA)
            _refuse_newer_schema(conn, self.path)
            if not _has_lines_column(conn):  # a store from before schema 2
                conn.execute("ALTER TABLE events ADD COLUMN lines BLOB")
            conn.execute(
                "INSERT INTO meta VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE SET "
                "value = excluded.value",
                (_SCHEMA_VERSION,),
            )
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('last_seq', '0')")
            conn.commit()
            self.last_seq = read_last_seq(conn)
            self.health.remember_files(lock_fd=self._lock.fd)
        except (sqlite3.DatabaseError, ConfigError) as exc:
            if conn is not None:
                conn.close()
            self.close()
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"{self.path}: cannot open the store: {exc}") from None
        self._conn = conn

    def close(self) -> None:
        self._pool.close()
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._lock.release()

    def check(self) -> str | None:
        """Why no run may start now, or None: the store is degraded (its files are checked
        on the spot) or cannot be written."""
        return self.health.check_files() or unwritable(self.failed)

    def _connect(self, *, create: bool = False) -> sqlite3.Connection:
        # Only the writer creates the file: a reader must not make an empty store where
        # the real one was deleted.
        uri = f"file:{quote(str(self.path))}?mode={'rwc' if create else 'rw'}"
        conn = sqlite3.connect(
            uri, uri=True, check_same_thread=False, isolation_level=None, timeout=10
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")
        return conn

    # -- writing ----------------------------------------------------------------
    async def emit(self, event: Event) -> None:
        """Queue an event for the next commit (the engine's EventSink). Waits only when
        the queue holds `queue_lines` (a log chunk weighs its lines): that is the
        engine's backpressure (and, while the disk is full, what holds runs still until
        it is not). An empty queue takes any event, however heavy.

        Raises trio.ClosedResourceError once `close_writer()` was called."""
        # A chunk heavier than the bound counts half the bound: it waits for a half-empty
        # queue, not an empty one, which steady output elsewhere might never leave.
        cost = min(weight((event,)), max(1, self.queue_lines // 2))
        while not self._closing.is_set() and self._queued + cost > self.queue_lines:
            await self._room.park()
        if self._closing.is_set():
            raise trio.ClosedResourceError("the event store is closed for writing")
        await trio.lowlevel.checkpoint_if_cancelled()
        self._send.send_nowait((event, cost))
        self._queued += cost
        await trio.lowlevel.cancel_shielded_checkpoint()

    async def _next(self) -> Event:
        """The writer's next event from the queue (EndOfChannel once closed and drained)."""
        return self._took(await self._receive.receive())

    def _next_nowait(self) -> Event:
        """`_next` for an event already queued (WouldBlock when there is none)."""
        return self._took(self._receive.receive_nowait())

    def _took(self, item: tuple[Event, int]) -> Event:
        """An event (with its cost) left the queue: make room for the emitters."""
        event, cost = item
        self._queued -= cost
        self._room.unpark_all()
        return event

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The writer. Runs until `close_writer()` and the queue is drained."""
        if self._conn is None:
            self.open()
        task_status.started()
        async with self._receive:
            closing = False
            while not closing:
                try:
                    batch = [await self._next()]
                except trio.EndOfChannel:
                    return
                # Linger a moment (one sleep, then take what came): a step's started, log
                # and completed events then share one commit instead of a thread hop and a
                # transaction each, and the writer does not wake once per event. Not when
                # the queue is half full already (the batch is full and emitters may be
                # waiting), nor once closing (the last events need not wait).
                if (
                    self._receive.statistics().current_buffer_used < BATCH_MAX
                    and self._queued < self.queue_lines // 2
                ):
                    with trio.move_on_after(self.linger_s):
                        await self._closing.wait()
                while len(batch) < BATCH_MAX:
                    try:
                        batch.append(self._next_nowait())
                    except trio.WouldBlock:
                        break
                    except trio.EndOfChannel:
                        closing = True
                        break
                await self._commit(batch)

    def close_writer(self) -> None:
        """No more events: the writer drains what is queued, then returns."""
        self._send.close()
        self._closing.set()
        self._room.unpark_all()  # emitters waiting for room: closed now

    async def _commit(self, batch: list[Event]) -> None:
        """Commit `batch`, retrying until the store can be written again.

        A full disk or a store turned read-only must not lose events nor kill the
        daemon: the batch stays in memory and is retried with backoff; meanwhile
        `failed` says why (health reports it, no new run starts) and the queue fills
        up, which pauses the runs that are producing events.
        """
        delay = _RETRY_FIRST_S
        while True:
            try:
                committed = await trio.to_thread.run_sync(
                    self._write_batch, batch, limiter=self._write_limiter
                )
            except sqlite3.Error as exc:
                self.health.noticed(exc)
                if self.failed is None:
                    log.error("the event store cannot write (%s); retrying", exc)
                self.failed = str(exc)
                await trio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_S)
                continue
            if self.failed is not None:
                log.warning("the event store writes again")
                self.failed = None
            break
        self._batches += 1
        self._events += len(committed)
        self.publish(committed)

    def _write_batch(self, batch: list[Event]) -> list[Event]:
        conn = self._conn
        assert conn is not None
        seq = self.last_seq
        committed: list[Event] = []
        rows: list[tuple[Any, ...]] = []
        completed_runs = False
        last_by_run: dict[str, int] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for event in batch:
                seq += 1
                event = replace(event, seq=seq)
                try:
                    stored = _split_lines(event)
                except ValueError:
                    # A non-finite number (JSON has none) reached an event: it is stored,
                    # and published, as null, rather than the writer stopping on it.
                    log.warning(
                        "event %d (%s): a non-finite number stored as null", seq, event.type
                    )
                    event = replace(event, data=_finite_data(event.data))
                    stored = _split_lines(event)
                committed.append(event)
                rows.append(
                    (
                        seq,
                        event.ts,
                        event.type.value,
                        event.run_id,
                        event.job_id,
                        event.step_number,
                        *stored,
                    )
                )
                last_by_run[event.run_id] = seq
                if event.type is not EventType.STEP_LOG:
                    completed_runs |= self._update_snapshots(conn, event)
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            # Once per run and batch, not per event: what `stax log RUN_ID` reads up to.
            conn.executemany(
                "UPDATE runs SET last_seq = ? WHERE id = ?",
                [(last, run_id) for run_id, last in last_by_run.items()],
            )
            conn.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", (str(seq),))
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        self.last_seq = seq
        if completed_runs and self.retention_runs > 0:
            try:
                self._prune(conn)
            except sqlite3.Error as exc:  # the batch is committed: it must not be retried
                self.health.noticed(exc)
                log.warning("pruning old runs failed: %s", exc)
        return committed

    def _update_snapshots(self, conn: sqlite3.Connection, event: Event) -> bool:
        data = event.data
        kind = event.type
        if kind in (EventType.RUN_STARTED, EventType.RUN_COMPLETED):
            run = data.get("run")
            assert isinstance(run, dict)
            snapshot = {k: v for k, v in run.items() if k != "jobs"}
            conn.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "status = excluded.status, conclusion = excluded.conclusion, "
                "last_seq = excluded.last_seq, snapshot = excluded.snapshot",
                (
                    event.run_id,
                    run.get("workflow", ""),
                    run.get("status", ""),
                    run.get("conclusion"),
                    run.get("created_at", event.ts),
                    event.seq,
                    event.seq,
                    _dumps(snapshot),
                ),
            )
            return kind is EventType.RUN_COMPLETED
        if kind in (EventType.JOB_QUEUED, EventType.JOB_STARTED, EventType.JOB_COMPLETED):
            job = data.get("job")
            assert isinstance(job, dict)
            snapshot = {k: v for k, v in job.items() if k != "steps"}
            conn.execute(
                "INSERT INTO jobs VALUES (?, ?, (SELECT COUNT(*) FROM jobs WHERE run_id = ?), ?) "
                "ON CONFLICT(run_id, job_id) DO UPDATE SET snapshot = excluded.snapshot",
                (event.run_id, event.job_id, event.run_id, _dumps(snapshot)),
            )
        elif kind in (EventType.JOB_BLOCKED, EventType.JOB_UNBLOCKED):
            status = "waiting" if kind is EventType.JOB_BLOCKED else "in_progress"
            conn.execute(
                "UPDATE jobs SET snapshot = json_set(snapshot, '$.status', ?) "
                "WHERE run_id = ? AND job_id = ?",
                (status, event.run_id, event.job_id),
            )
        elif kind in (EventType.STEP_STARTED, EventType.STEP_COMPLETED):
            conn.execute(
                "INSERT INTO steps VALUES (?, ?, ?, ?) ON CONFLICT(run_id, job_id, number) "
                "DO UPDATE SET snapshot = excluded.snapshot",
                (event.run_id, event.job_id, event.step_number, _dumps(data.get("step"))),
            )
        return False

    def _prune(self, conn: sqlite3.Connection) -> None:
        """Keep the newest `retention_runs` finished runs; delete older ones and their events.

        Newest by seq, never by `created_at`: a clock set back would make each new run
        the oldest, pruned the moment it completes."""
        old = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM runs WHERE status = 'completed' ORDER BY first_seq DESC "
                "LIMIT -1 OFFSET ?",
                (self.retention_runs,),
            )
        ]
        if not old:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table, column in (
                ("events", "run_id"),
                ("steps", "run_id"),
                ("jobs", "run_id"),
                ("runs", "id"),
            ):
                conn.executemany(
                    f"DELETE FROM {table} WHERE {column} = ?", [(run_id,) for run_id in old]
                )
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        for run_id in old:  # what the run kept beside its events (artifacts) goes with it
            shutil.rmtree(run_files_dir(self.data_dir, run_id), ignore_errors=True)

    async def next_run_number(self, workflow: str) -> int:
        """GitHub's run_number: 1, 2, 3, ... per workflow file."""

        def allocate() -> int:
            conn = self._conn
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO run_numbers VALUES (?, 1) ON CONFLICT(workflow) "
                    "DO UPDATE SET last = last + 1",
                    (workflow,),
                )
                row = conn.execute(
                    "SELECT last FROM run_numbers WHERE workflow = ?", (workflow,)
                ).fetchone()
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
            return int(row[0])

        try:
            return await trio.to_thread.run_sync(allocate, limiter=self._write_limiter)
        except sqlite3.Error as exc:
            self.health.noticed(exc)
            raise

    async def committed_seq(self) -> int:
        """The last seq committed (a store another process writes reads it afresh)."""
        return self.last_seq

    def statistics(self) -> StoreStatistics:
        return StoreStatistics(
            last_seq=self.last_seq,
            committed_batches=self._batches,
            committed_events=self._events,
            queued=self._receive.statistics().current_buffer_used,
            failed=self.failed,
            degraded=self.health.problem,
        )

    # -- reading ----------------------------------------------------------------
    def _lines_expression(self, conn: sqlite3.Connection) -> str:
        """How to select `events.lines`: NULL for a schema 1 store nobody has written since
        (asked again on each read, until a writer adds the column: `stax log -f` may
        outlive that moment)."""
        if self._lines_sql != "lines":
            self._lines_sql = "lines" if _has_lines_column(conn) else "NULL"
        return self._lines_sql

    def _columns(self, conn: sqlite3.Connection) -> str:
        """The events columns, in `_row_to_event`'s order."""
        lines = self._lines_expression(conn)
        return f"seq, ts, type, run_id, job_id, step_number, data, {lines}"

    def _reader(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._pool.reader()

    async def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        def work() -> Any:
            with self._reader() as conn:
                try:
                    return fn(conn)
                except sqlite3.DatabaseError as exc:
                    self.health.noticed(exc)
                    raise

        return await trio.to_thread.run_sync(work)

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

        def query(conn: sqlite3.Connection) -> list[Event]:
            sql = f"SELECT {self._columns(conn)} FROM events WHERE seq > ?"
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
                return [_row_to_event(row) for row in conn.execute(sql, args)]
            events: list[Event] = []
            total = 0
            for row in conn.execute(sql, args):
                events.append(_row_to_event(row))
                total += len(row[-2]) + len(row[-1] or b"")
                if total >= max_bytes:
                    break
            return events

        result: list[Event] = await self._read(query)
        return result

    async def get_event(self, seq: int) -> Event | None:
        def query(conn: sqlite3.Connection) -> Event | None:
            row = conn.execute(
                f"SELECT {self._columns(conn)} FROM events WHERE seq = ?", (seq,)
            ).fetchone()
            return _row_to_event(row) if row else None

        result: Event | None = await self._read(query)
        return result

    async def get_run(self, run_id: str) -> dict[str, JSONValue] | None:
        """The run's snapshot with its jobs, each with its steps (no replay needed)."""

        def query(conn: sqlite3.Connection) -> dict[str, JSONValue] | None:
            row = conn.execute(
                "SELECT snapshot, last_seq FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None:
                return None
            run = json.loads(row[0])
            run["last_seq"] = row[1]
            steps: dict[str, list[JSONValue]] = {}
            for job_id, snapshot in conn.execute(
                "SELECT job_id, snapshot FROM steps WHERE run_id = ? ORDER BY job_id, number",
                (run_id,),
            ):
                steps.setdefault(job_id, []).append(json.loads(snapshot))
            jobs = []
            for job_id, snapshot in conn.execute(
                "SELECT job_id, snapshot FROM jobs WHERE run_id = ? ORDER BY position", (run_id,)
            ):
                job = json.loads(snapshot)
                job["steps"] = steps.get(job_id, [])
                jobs.append(job)
            run["jobs"] = jobs
            return run  # type: ignore[no-any-return]

        result: dict[str, JSONValue] | None = await self._read(query)
        return result

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

        def query(conn: sqlite3.Connection) -> list[dict[str, JSONValue]]:
            sql = "SELECT snapshot, first_seq FROM runs WHERE 1 = 1"
            args: list[Any] = []
            if before_seq is not None:
                sql += " AND first_seq < ?"
                args.append(before_seq)
            if status is not None:
                sql += " AND (status = ? OR conclusion = ?)"
                args.extend([status, status])
            if workflow is not None:
                sql += " AND (workflow = ? OR json_extract(snapshot, '$.name') = ?)"
                args.extend([workflow, workflow])
            if unfinished:
                sql += " AND status != 'completed'"
            sql += " ORDER BY first_seq DESC LIMIT ?"
            args.append(limit)
            out = []
            for snapshot, first_seq in conn.execute(sql, args):
                run = json.loads(snapshot)
                run["first_seq"] = first_seq
                out.append(run)
            return out

        result: list[dict[str, JSONValue]] = await self._read(query)
        return result

    async def has_step(self, run_id: str, job_id: str, step_number: int) -> bool:
        def query(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "SELECT 1 FROM steps WHERE run_id = ? AND job_id = ? AND number = ?",
                    (run_id, job_id, step_number),
                ).fetchone()
                is not None
            )

        known: bool = await self._read(query)
        return known

    async def read_step_log(
        self, run_id: str, job_id: str, step_number: int, *, after: int, until: int, max_bytes: int
    ) -> tuple[int, bytes]:
        """One page of a step's log: the lines of its chunks with seq in (`after`, `until`],
        each line ending in a newline, as UTF-8, about `max_bytes` of them (at least one
        chunk), and the seq of the last chunk read (`after` when none is left). Pages keep
        a reader's memory bounded, however big the log."""

        def query(conn: sqlite3.Connection) -> tuple[int, bytes]:
            last, size = after, 0
            parts: list[bytes] = []
            cursor = conn.execute(
                f"SELECT seq, data, {self._lines_expression(conn)} FROM events "
                "WHERE type = 'step.log' AND run_id = ? AND job_id = ? AND step_number = ? "
                "AND seq > ? AND seq <= ? ORDER BY seq",
                (run_id, job_id, step_number, after, until),
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

        page: tuple[int, bytes] = await self._read(query)
        return page


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


def unwritable(failed: str | None) -> str | None:
    """What a write failure means for the daemon."""
    return f"the event store cannot be written ({failed})" if failed else None


def read_last_seq(conn: sqlite3.Connection) -> int:
    """The last seq committed, as the store records it (in the same transaction)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
    return int(row[0])


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction. SQLite has already rolled back on some errors (a full
    disk), and a second ROLLBACK would then hide the real error behind its own."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _refuse_newer_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A store a newer stax wrote may hold what this one would misread or overwrite."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is not None and row[0].isdigit() and int(row[0]) > int(_SCHEMA_VERSION):
        raise ConfigError(
            f"{path}: written by a newer stax (store schema {row[0]}; this stax knows "
            f"{_SCHEMA_VERSION} at most): upgrade stax, or use another data dir"
        )


def _has_lines_column(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "lines" for row in conn.execute("PRAGMA table_info(events)"))
