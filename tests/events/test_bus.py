"""The bus bounds each subscriber by what it holds (a log chunk weighs its lines)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from runner.events.bus import Bus
from runner.events.types import Event, EventType, weight


def chunk(lines: int) -> Event:
    data = {"stream": "stdout", "lines": [f"line {i}" for i in range(lines)]}
    return Event(type=EventType.STEP_LOG, run_id="r", job_id="j", step_number=1, data=data)  # type: ignore[arg-type]


def status() -> Event:
    return Event(type=EventType.RUN_STARTED, run_id="r", data={"run": {}})


def test_weight_counts_events_and_log_lines() -> None:
    assert weight([status(), chunk(1000), chunk(0), status()]) == 1 + 1000 + 0 + 1


async def test_a_subscriber_that_stops_reading_is_dropped_at_its_bound_in_lines() -> None:
    bus = Bus(buffer=2500)
    stuck = bus.subscribe()
    reading = bus.subscribe()
    for _ in range(3):
        bus.publish([chunk(1000)])
        assert len(await reading.receive()) == 1
    # 2,000 lines held, a third chunk would make 3,000 > 2,500: dropped, not queued.
    assert stuck.lagged
    assert not reading.lagged
    assert bus.statistics().subscribers == 1
    held = [await stuck.receive(), await stuck.receive()]
    assert [weight(b) for b in held] == [1000, 1000]
    with pytest.raises(trio.EndOfChannel):
        await stuck.receive()


async def test_an_empty_queue_takes_a_batch_heavier_than_the_bound() -> None:
    bus = Bus(buffer=100)
    sub = bus.subscribe()
    bus.publish([chunk(5000)])  # one heavy commit drops nobody...
    assert not sub.lagged
    assert weight(await sub.receive()) == 5000
    bus.publish([chunk(60)])
    bus.publish([chunk(60)])  # ...but holding more than the bound does
    assert sub.lagged


async def test_a_publisher_waits_for_room_while_readers_keep_taking(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bus = Bus(buffer=2500)
    busy = bus.subscribe()
    for _ in range(3):
        bus.publish([chunk(800)])  # 2,400 lines held

    async def take_slowly() -> None:
        for _ in range(3):  # a batch every 0.6 s: slow, never stuck
            await trio.sleep(0.6)
            await busy.receive()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(take_slowly)
        await bus.wait_for_room([chunk(1000)], stuck_after_s=1.0)
        # Room for 1,000 lines came with the second batch taken, after longer in all
        # than `stuck_after_s`: the wait is for a reader that takes nothing.
        assert trio.current_time() == pytest.approx(1.2)
        bus.publish([chunk(1000)])
    assert not busy.lagged


async def test_a_publisher_waits_no_longer_than_a_reader_takes_nothing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bus = Bus(buffer=2500)
    stuck = bus.subscribe()
    reading = bus.subscribe()
    bus.publish([chunk(2000)])
    await reading.receive()
    started = trio.current_time()
    await bus.wait_for_room([chunk(1000)], stuck_after_s=1.0)
    assert trio.current_time() - started == pytest.approx(1.0)
    bus.publish([chunk(1000)])  # the stuck one is dropped, the reader is not
    assert stuck.lagged
    assert not reading.lagged


async def test_waiting_for_room_with_room_or_nobody_takes_no_time(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bus = Bus(buffer=2500)
    await bus.wait_for_room([chunk(5000)], stuck_after_s=1.0)  # no subscriber
    sub = bus.subscribe()
    await bus.wait_for_room([chunk(5000)], stuck_after_s=1.0)  # an empty queue takes any
    bus.publish([chunk(1000)])
    await bus.wait_for_room([chunk(1500)], stuck_after_s=1.0)  # 2,500 fits
    assert trio.current_time() == 0
    sub.close()
