"""The core invariant: subscribe-then-replay yields every event exactly once, in order,
even while events are appended and even when the follower falls behind."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import trio

from runner.events import Event, EventType
from runner.events.bus import Bus
from runner.events.follow import Follower
from runner.events.store import EventStore

if TYPE_CHECKING:
    from pathlib import Path


def _event(i: int, run_id: str = "r1") -> Event:
    return Event(type=EventType.JOB_STATUS, run_id=run_id, job_id="j", data={"summary": str(i)})


async def _open(tmp_path: Path) -> tuple[EventStore, Bus]:
    bus = Bus(buffer=8)
    store = EventStore(tmp_path / "data", publish=bus.publish)
    store.open()
    return store, bus


async def test_followers_joining_mid_stream_see_every_event_once_in_order(tmp_path: Path) -> None:
    store, bus = await _open(tmp_path)
    total = 3000
    rng = random.Random(7)
    seen: dict[int, list[int]] = {}
    starts: dict[int, int] = {}

    async def writer() -> None:
        for i in range(total):
            await store.emit(_event(i))
            if i % 10 == 0:
                await trio.sleep(0.0005)  # many small commits

    async def follower(index: int, slow: bool) -> None:
        await trio.sleep(rng.random() * 0.05)
        after = store.last_seq
        starts[index] = after
        got: list[int] = []
        with Follower(store, bus, after_seq=after, buffer=2 if slow else None) as f:
            while not got or got[-1] < total:
                batch = await f.next_batch()
                got.extend(e.seq for e in batch)
                if slow:
                    await trio.sleep(0.01)  # fall behind: forces lag and catch-up
        seen[index] = got

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(store.run)
            async with trio.open_nursery() as clients:
                for index in range(6):
                    clients.start_soon(follower, index, index % 2 == 0)
                await writer()
            store.close_writer()
    store.close()
    for index, got in seen.items():
        assert got == list(range(starts[index] + 1, total + 1)), f"follower {index}"
    assert bus.statistics().lagged > 0  # the slow ones really did fall behind


async def test_follow_filters_by_run_and_predicate(tmp_path: Path) -> None:
    store, bus = await _open(tmp_path)
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for i in range(10):
            await store.emit(_event(i, run_id="a" if i % 2 else "b"))
        with (
            Follower(store, bus, run_id="a", accept=lambda e: e.data["summary"] != "1") as f,
            trio.fail_after(5),
        ):
            got: list[str] = []
            while len(got) < 4:
                got.extend(str(e.data["summary"]) for e in await f.next_batch())
        assert got == ["3", "5", "7", "9"]
        store.close_writer()
    store.close()


async def test_seq_survives_reopen_and_is_never_reused(tmp_path: Path) -> None:
    store, _ = await _open(tmp_path)
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for i in range(5):
            await store.emit(_event(i))
        store.close_writer()
    assert store.last_seq == 5
    store.close()
    store2, _ = await _open(tmp_path)
    assert store2.last_seq == 5
    async with trio.open_nursery() as nursery:
        await nursery.start(store2.run)
        await store2.emit(_event(99))
        store2.close_writer()
    events = await store2.read_after(0)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    store2.close()
