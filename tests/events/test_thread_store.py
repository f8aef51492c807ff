"""ThreadStore: agent-protocol threads and their runs, in stax.db beside the event log."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest
import trio

from runner.events.bus import Bus
from runner.events.store import EventStore
from runner.events.thread_store import ThreadStore
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def threads(tmp_path: Path) -> Iterator[ThreadStore]:
    store = ThreadStore(tmp_path / "stax.db")
    store.open()
    try:
        yield store
    finally:
        store.close()


async def test_create_then_get(threads: ThreadStore) -> None:
    thread, created = await threads.create("t-1", owner="alice", metadata={"topic": "ci"})
    assert created
    assert (thread.thread_id, thread.owner, thread.metadata, thread.run_ids) == (
        "t-1",
        "alice",
        {"topic": "ci"},
        (),
    )
    assert thread.created_at > 0
    assert await threads.get("t-1") == thread
    assert threads.get_nowait("t-1") == thread
    assert await threads.get("nope") is None
    assert threads.get_nowait("nope") is None


async def test_creating_a_taken_id_returns_the_existing_thread(threads: ThreadStore) -> None:
    first, _ = await threads.create("t", owner="alice", metadata={"a": 1})
    again, created = await threads.create("t", owner="bob", metadata={"b": 2})
    assert not created
    assert again == first


async def test_runs_are_kept_in_order_and_a_first_run_creates_the_thread(
    threads: ThreadStore,
) -> None:
    assert await threads.get("t") is None  # remembered as absent...
    one = await threads.add_run("t", "r1", owner="alice")
    assert one is not None  # ...and created by the run
    assert one.owner == "alice"
    await threads.add_run("t", "r2", owner="alice")
    three = await threads.add_run("t", "r3", owner="alice")
    assert three is not None
    assert three.run_ids == ("r1", "r2", "r3")
    assert threads.get_nowait("t") == three
    assert three.updated_at >= three.created_at


async def test_another_owner_cannot_add_a_run(threads: ThreadStore) -> None:
    await threads.create("t", owner="alice")
    assert await threads.add_run("t", "r1", owner="bob") is None
    thread = await threads.get("t")
    assert thread is not None
    assert thread.run_ids == ()


async def test_a_run_that_did_not_start_is_forgotten(threads: ThreadStore) -> None:
    await threads.add_run("t", "r1", owner="alice")
    await threads.add_run("t", "r2", owner="alice")
    await threads.remove_run("t", "r2")
    await threads.add_run("t", "r3", owner="alice")
    thread = threads.get_nowait("t")
    assert thread is not None
    assert thread.run_ids == ("r1", "r3")


async def test_threads_survive_a_reopen(tmp_path: Path, threads: ThreadStore) -> None:
    await threads.create("t", owner="alice", metadata={"x": [1, 2]})
    await threads.add_run("t", "r1", owner="alice")
    threads.close()
    again = ThreadStore(tmp_path / "stax.db")
    again.open()
    try:
        thread = await again.get("t")
        assert thread is not None
        assert (thread.owner, thread.metadata, thread.run_ids) == ("alice", {"x": [1, 2]}, ("r1",))
    finally:
        again.close()


async def test_beside_the_event_writer_in_the_same_file(tmp_path: Path) -> None:
    """Both write stax.db at once (WAL, each its own connection), and neither loses a write."""
    bus = Bus()
    events = EventStore(tmp_path, publish=bus.publish)
    events.open()
    threads = ThreadStore(tmp_path / "stax.db")
    threads.open()
    try:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                await nursery.start(events.run)

                async def emit() -> None:
                    for i in range(300):
                        await events.emit(
                            Event(type=EventType.JOB_STATUS, run_id="r", job_id="j", data={"i": i})
                        )

                async def add() -> None:
                    for i in range(50):
                        await threads.add_run("t", f"r{i}", owner="alice")

                async with trio.open_nursery() as writers:
                    writers.start_soon(emit)
                    writers.start_soon(add)
                events.close_writer()
        assert len(await events.read_after(0, limit=1000)) == 300
        thread = await threads.get("t")
        assert thread is not None
        assert thread.run_ids == tuple(f"r{i}" for i in range(50))
    finally:
        threads.close()
        events.close()
    conn = sqlite3.connect(tmp_path / "stax.db")
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"events", "agent_threads", "agent_thread_runs"} <= tables
    finally:
        conn.close()
