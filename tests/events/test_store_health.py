"""The store's health: its files deleted under it, a damaged page, the data dir's lock.
Real SQLite files, damaged the way a disk or a stray `rm -rf` would."""

from __future__ import annotations

import shutil
import sqlite3
from typing import TYPE_CHECKING

import pytest
import trio

from runner.config import load_settings
from runner.daemon.runs import RunManager
from runner.engine import RunRequest
from runner.errors import ConfigError, StoreUnavailable
from runner.events.store import EventStore
from runner.model import parse_workflow
from tests.events.test_store import EventType as Kind
from tests.events.test_store import log_chunk, run_event

if TYPE_CHECKING:
    from pathlib import Path


async def filled_store(data_dir: Path, runs: int = 3) -> EventStore:
    store = EventStore(data_dir)
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for i in range(runs):
            await store.next_run_number("wf")
            await store.emit(run_event(f"r{i}", Kind.RUN_STARTED, i))
            await store.emit(log_chunk(f"r{i}", i, [f"line of r{i}"]))
            await store.emit(run_event(f"r{i}", Kind.RUN_COMPLETED, i))
        store.close_writer()
    return store


def damage_root_page(db: Path, table: str) -> None:
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
    conn.close()
    with db.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * 64)


async def test_a_deleted_data_dir_is_found_and_the_open_connections_go_on_reading(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    store = await filled_store(data_dir)
    assert store.check() is None
    expected = await store.read_after(0)
    shutil.rmtree(data_dir)

    problem = store.check()
    assert problem is not None
    assert "stax.db is gone" in problem
    assert store.statistics().degraded == problem
    # More readers than open connections: they take turns on the ones open; none opens
    # the path again (it would find nothing there, or another store).
    results: list[int] = []

    async def read() -> None:
        results.append(len(await store.read_after(0)))

    async with trio.open_nursery() as nursery:
        for _ in range(20):
            nursery.start_soon(read)
    assert results == [len(expected)] * 20
    assert not data_dir.exists()
    store.close()


async def test_a_store_file_replaced_under_the_daemon_is_found(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = await filled_store(data_dir)
    (data_dir / "stax.db").rename(tmp_path / "moved.db")
    shutil.copy(tmp_path / "moved.db", data_dir / "stax.db")
    problem = store.check()
    assert problem is not None
    assert "stax.db is another file now" in problem
    store.close()


def test_a_second_writer_is_refused_when_the_lock_file_was_deleted(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = EventStore(data_dir)
    first.open()
    shutil.rmtree(data_dir)
    second = EventStore(data_dir)
    with pytest.raises(ConfigError, match="in use by another stax process"):
        second.open()
    assert not data_dir.exists()  # refused before touching the path
    first.close()
    second.open()  # free once the first let go
    second.close()


async def test_a_damaged_page_met_by_a_query_degrades_the_store_at_once(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    (await filled_store(data_dir)).close()
    damage_root_page(data_dir / "stax.db", "run_numbers")
    store = EventStore(data_dir)
    store.open()
    assert store.check() is None  # nothing has read that page yet
    with pytest.raises(sqlite3.DatabaseError):
        await store.next_run_number("wf")
    problem = store.check()
    assert problem is not None
    assert problem.startswith("the store is damaged")
    # A run is refused (StoreUnavailable: the API's 503) before anything is emitted;
    # reads go on.
    text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n"
    workflow = parse_workflow(text, "w.yml")
    async with trio.open_nursery() as nursery:
        manager = RunManager(load_settings(start=tmp_path), store, nursery)
        with pytest.raises(StoreUnavailable) as refused:
            await manager.start(RunRequest(workflow=workflow, workdir=tmp_path))
    assert "the store is damaged" in str(refused.value)
    assert [run["id"] for run in await store.list_runs()] == ["r2", "r1", "r0"]
    store.close()


async def test_the_integrity_check_finds_a_damaged_page_nothing_has_read(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    store = await filled_store(data_dir)
    assert await trio.to_thread.run_sync(store.health.check_integrity) is None
    store.close()
    damage_root_page(data_dir / "stax.db", "events")
    store = EventStore(data_dir)
    store.open()
    problem = await trio.to_thread.run_sync(store.health.check_integrity)
    assert problem is not None
    assert problem.startswith("the store is damaged")
    assert store.check() == problem
    store.close()


async def test_a_prune_failing_after_its_batch_committed_does_not_write_the_batch_again(
    tmp_path: Path,
) -> None:
    """Retention prunes once a batch with a completed run has committed. A damaged page
    met there must not make the writer retry the batch: it was committed already."""
    data_dir = tmp_path / "data"
    (await filled_store(data_dir)).close()
    damage_root_page(data_dir / "stax.db", "sqlite_autoindex_steps_1")  # the prune reads it
    store = EventStore(data_dir, retention_runs=1)
    store.open()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            await nursery.start(store.run)
            await store.emit(run_event("r9", Kind.RUN_STARTED, 9))
            await store.emit(run_event("r9", Kind.RUN_COMPLETED, 9))
            store.close_writer()
    written = [event.type for event in await store.read_after(0) if event.run_id == "r9"]
    assert written == [Kind.RUN_STARTED, Kind.RUN_COMPLETED]
    problem = store.check()
    assert problem is not None
    assert problem.startswith("the store is damaged")
    store.close()
