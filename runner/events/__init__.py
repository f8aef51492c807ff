"""Canonical events, the durable store, the multicast bus and following them.

The store, bus and follower are loaded on first use: the engine needs only the
event types and the sink protocol, and a plain `stax run` should not pay for
more at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runner.events.sink import EventSink, ListSink
from runner.events.types import Conclusion, Event, EventType, Status, now_ms

if TYPE_CHECKING:
    from runner.events.bus import Bus, BusStatistics, Subscription
    from runner.events.follow import EventFilter, Follower
    from runner.events.store import EventStore, StoreStatistics
    from runner.events.store_reader import StoreReader
    from runner.events.thread_store import ThreadRecord, ThreadStore

_LAZY = {
    "Bus": "runner.events.bus",
    "BusStatistics": "runner.events.bus",
    "Subscription": "runner.events.bus",
    "EventFilter": "runner.events.follow",
    "Follower": "runner.events.follow",
    "EventStore": "runner.events.store",
    "StoreStatistics": "runner.events.store",
    "StoreReader": "runner.events.store_reader",
    "ThreadRecord": "runner.events.thread_store",
    "ThreadStore": "runner.events.thread_store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner.events' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Bus",
    "BusStatistics",
    "Conclusion",
    "Event",
    "EventFilter",
    "EventSink",
    "EventStore",
    "EventType",
    "Follower",
    "ListSink",
    "Status",
    "StoreReader",
    "StoreStatistics",
    "Subscription",
    "ThreadRecord",
    "ThreadStore",
    "now_ms",
]
