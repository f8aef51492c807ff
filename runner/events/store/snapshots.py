"""Run, job and step snapshot rows, kept beside the events, and retention.

Each run, job and step has a row holding its latest state, updated in the transaction
that commits the event that changed it: `GET /api/runs/{id}` then reads a few rows
instead of replaying the run. Retention keeps the newest `retention_runs` finished runs
and deletes older ones with their events, snapshots and files.
"""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

from runner import json_text
from runner.events.store.schema import rollback
from runner.events.types import EventType

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

    from runner.events.types import Event
    from runner.expressions.values import JSONValue


def run_files_dir(data_dir: Path, run_id: str) -> Path:
    """Where a run keeps files beside its events (its artifacts): removed with the run
    when retention prunes it."""
    return data_dir / "runs" / run_id


def update_snapshots(conn: sqlite3.Connection, event: Event) -> bool:
    """Update the snapshot row `event` changes (in the caller's transaction); returns
    whether it completed a run."""
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
                json_text.dumps(snapshot),
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
            (event.run_id, event.job_id, event.run_id, json_text.dumps(snapshot)),
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
            (event.run_id, event.job_id, event.step_number, json_text.dumps(data.get("step"))),
        )
    return False


def prune(conn: sqlite3.Connection, data_dir: Path, retention_runs: int) -> None:
    """Keep the newest `retention_runs` finished runs; delete older ones and their events.

    Newest by seq, never by `created_at`: a clock set back would make each new run
    the oldest, pruned the moment it completes."""
    old = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM runs WHERE status = 'completed' ORDER BY first_seq DESC "
            "LIMIT -1 OFFSET ?",
            (retention_runs,),
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
        rollback(conn)
        raise
    for run_id in old:  # what the run kept beside its events (artifacts) goes with it
        shutil.rmtree(run_files_dir(data_dir, run_id), ignore_errors=True)


def allocate_run_number(conn: sqlite3.Connection, workflow: str) -> int:
    """The workflow's next run number, committed (blocking: on the writer's thread)."""
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
        rollback(conn)
        raise
    return int(row[0])


def query_run(conn: sqlite3.Connection, run_id: str) -> dict[str, JSONValue] | None:
    """The run's snapshot with its jobs, each with its steps."""
    row = conn.execute("SELECT snapshot, last_seq FROM runs WHERE id = ?", (run_id,)).fetchone()
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


def query_runs(
    conn: sqlite3.Connection,
    *,
    limit: int,
    before_seq: int | None,
    status: str | None,
    workflow: str | None,
    unfinished: bool,
) -> list[dict[str, JSONValue]]:
    """Run snapshots (without jobs), newest first, each with its `first_seq`."""
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


def has_step(conn: sqlite3.Connection, run_id: str, job_id: str, step_number: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM steps WHERE run_id = ? AND job_id = ? AND number = ?",
        (run_id, job_id, step_number),
    ).fetchone()
    return row is not None
