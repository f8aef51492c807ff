"""Committing a batch: seqs, rows, snapshots in one transaction, retried until it holds.

The write connection is used on a worker thread, one call at a time (a CapacityLimiter
of 1), so it is never used by two threads at once. A batch's events get their seqs
here, in the transaction that stores them: a seq is never reused (the last one is kept
in `meta`, even when retention deletes every event).

A full disk or a store turned read-only must not lose events nor kill the daemon: the
batch stays in memory and is retried with backoff; meanwhile `failed` says why (health
reports it, no new run starts) and the writer's queue fills up, which pauses the runs
that are producing events.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any

import trio

from runner import json_text
from runner.events.store.schema import rollback
from runner.events.store.snapshots import allocate_run_number, prune, update_snapshots
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from pathlib import Path

    from runner.events.store.health import StoreHealth
    from runner.expressions.values import JSONValue

_RETRY_FIRST_S = 0.05
_RETRY_MAX_S = 2.0
log = logging.getLogger("stax.store")


class Committer:
    """The owner of the write connection: commits batches and allocates run numbers."""

    def __init__(
        self, conn: sqlite3.Connection, health: StoreHealth, *, data_dir: Path, retention_runs: int
    ) -> None:
        self.conn = conn
        self.health = health
        self.data_dir = data_dir
        self.retention_runs = retention_runs
        self.failed: str | None = None  # why writing stopped, while it does
        self.batches = 0
        self.events = 0
        self._limiter = trio.CapacityLimiter(1)

    async def commit(self, batch: list[Event], *, after_seq: int) -> list[Event]:
        """Commit `batch` with the seqs after `after_seq`, retrying until the store can be
        written again; returns the events as committed (with their seqs)."""
        delay = _RETRY_FIRST_S
        while True:
            try:
                committed = await trio.to_thread.run_sync(
                    self._write_batch, batch, after_seq, limiter=self._limiter
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
        self.batches += 1
        self.events += len(committed)
        return committed

    async def next_run_number(self, workflow: str) -> int:
        """GitHub's run_number: 1, 2, 3, ... per workflow file."""
        try:
            return await trio.to_thread.run_sync(
                allocate_run_number, self.conn, workflow, limiter=self._limiter
            )
        except sqlite3.Error as exc:
            self.health.noticed(exc)
            raise

    def _write_batch(self, batch: list[Event], after_seq: int) -> list[Event]:
        conn = self.conn
        seq = after_seq
        committed: list[Event] = []
        rows: list[tuple[Any, ...]] = []
        completed_runs = False
        last_by_run: dict[str, int] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for event in batch:
                seq += 1
                event, stored = _stored(event.replaced(seq=seq))
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
                    completed_runs |= update_snapshots(conn, event)
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            # Once per run and batch, not per event: what `stax log RUN_ID` reads up to.
            conn.executemany(
                "UPDATE runs SET last_seq = ? WHERE id = ?",
                [(last, run_id) for run_id, last in last_by_run.items()],
            )
            conn.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", (str(seq),))
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)
            raise
        if completed_runs and self.retention_runs > 0:
            try:
                prune(conn, self.data_dir, self.retention_runs)
            except sqlite3.Error as exc:  # the batch is committed: it must not be retried
                self.health.noticed(exc)
                log.warning("pruning old runs failed: %s", exc)
        return committed


def _stored(event: Event) -> tuple[Event, tuple[str, bytes | None]]:
    """The event as it is committed, and its stored data."""
    try:
        return event, split_lines(event)
    except ValueError:
        # A non-finite number (JSON has none) reached an event: it is stored, and
        # published, as null, rather than the writer stopping on it.
        log.warning("event %d (%s): a non-finite number stored as null", event.seq, event.type)
        event = event.replaced(data=_finite_data(event.data))
        return event, split_lines(event)


def split_lines(event: Event) -> tuple[str, bytes | None]:
    """The stored form of an event's data: JSON, and a log chunk's lines apart.

    A log chunk's lines (most of what the store writes) go in `events.lines` as UTF-8
    joined by newlines: that is one copy, where JSON-encoding them cost the writer more
    than SQLite did (and held the GIL the engine needs). A line never holds a newline
    (the line splitter cuts there); a chunk that breaks that rule, or is empty, stays
    JSON. (ASCII JSON: any string, even one holding a lone surrogate, is storable.)
    """
    data = event.data
    lines = data.get("lines") if event.type is EventType.STEP_LOG else None
    if isinstance(lines, list) and lines:
        try:
            text = "\n".join(lines)  # type: ignore[arg-type]
        except TypeError:
            return json_text.dumps(data), None
        if text.count("\n") == len(lines) - 1:
            rest = {k: v for k, v in data.items() if k != "lines"}
            return json_text.dumps(rest), text.encode("utf-8", "surrogatepass")
    return json_text.dumps(data), None


def _finite_data(data: dict[str, JSONValue]) -> dict[str, JSONValue]:
    return {key: json_text.finite(value) for key, value in data.items()}
