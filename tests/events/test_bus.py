"""The bus bounds each subscriber by what it holds (a log chunk weighs its lines)."""

from __future__ import annotations

import pytest
import trio

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
