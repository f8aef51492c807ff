"""The bus bounds each subscriber by what it holds (a log chunk weighs its lines)."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from runner.events.bus import Bus, Subscription
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


def drain(sub: Subscription) -> None:
    """Its reader takes every batch queued for it."""
    while True:
        try:
            sub.receive_nowait()
        except trio.WouldBlock:
            return


async def take_after(sub: Subscription, delays: list[float]) -> None:
    """Its reader takes a batch after each delay."""
    for delay in delays:
        await trio.sleep(delay)
        await sub.receive()


async def reading(bus: Bus) -> Subscription:
    """A subscriber whose reader has taken a batch just now."""
    sub = bus.subscribe()
    bus.publish([status()])
    await sub.receive()
    return sub


async def test_a_publisher_waits_for_room_while_readers_keep_taking(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bus = Bus(buffer=2500)
    busy = await reading(bus)
    for _ in range(3):
        bus.publish([chunk(800)])  # 2,400 lines held

    async with trio.open_nursery() as nursery:
        nursery.start_soon(take_after, busy, [0.6] * 3)  # slow, never stuck
        await bus.wait_for_room([chunk(1000)], stuck_after_s=1.0)
        # Room for 1,000 lines came with the second batch taken, after longer in all
        # than `stuck_after_s`: what counts is how long since the reader took one.
        assert trio.current_time() == pytest.approx(1.2)
        bus.publish([chunk(1000)])
    assert not busy.lagged


async def test_a_stuck_reader_holds_the_others_up_no_longer_than_the_limit(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bus = Bus(buffer=2500)
    stuck = await reading(bus)
    fast = [await reading(bus) for _ in range(2)]
    bus.publish([chunk(2000)])
    for sub in fast:
        drain(sub)
    await bus.wait_for_room([chunk(1000)], stuck_after_s=1.0)
    assert trio.current_time() == pytest.approx(1.0)
    bus.publish([chunk(1000)])
    assert stuck.lagged
    assert not any(sub.lagged for sub in fast)


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


async def test_a_reader_emptying_its_queue_wakes_the_publisher_at_once(
    autojump_clock: trio.testing.MockClock,
) -> None:
    bus = Bus(buffer=100)
    sub = await reading(bus)
    bus.publish([chunk(500)])  # heavier than the bound: an empty queue takes it
    async with trio.open_nursery() as nursery:
        nursery.start_soon(take_after, sub, [0.3])
        await bus.wait_for_room([chunk(500)], stuck_after_s=1.0)
        assert trio.current_time() == pytest.approx(0.3)


async def test_a_subscriber_holding_its_bound_in_weightless_batches_is_dropped_too() -> None:
    # Empty log chunks weigh nothing: the channel's own bound (in batches) stops them.
    bus = Bus(buffer=3)
    stuck = bus.subscribe()
    for _ in range(3):
        bus.publish([chunk(0)])
    assert not stuck.lagged
    bus.publish([chunk(0)])
    assert stuck.lagged
    held = [await stuck.receive() for _ in range(3)]
    assert [len(batch) for batch in held] == [1, 1, 1]
    with pytest.raises(trio.EndOfChannel):
        await stuck.receive()
