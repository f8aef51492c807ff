"""Canonical events, the durable store, the multicast bus and following them.

This package exports what the engine needs: the event types and the sink protocol.
The store, the bus and the follower are imported from their modules by the code that
hosts them, so a plain `stax run` does not pay for them at start-up:

    runner.events.store          EventStore, StoreStatistics
    runner.events.bus            Bus, BusStatistics, Subscription
    runner.events.follow         Follower, EventFilter
    runner.events.thread_store   ThreadStore, ThreadRecord
"""

from __future__ import annotations

from runner.events.sink import EventSink, ListSink
from runner.events.types import Conclusion, Event, EventType, Status, now_ms

__all__ = [
    "Conclusion",
    "Event",
    "EventSink",
    "EventType",
    "ListSink",
    "Status",
    "now_ms",
]
