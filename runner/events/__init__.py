"""Canonical events, the durable store, the multicast bus and following them."""

from runner.events.bus import Bus, BusStatistics, Subscription
from runner.events.follow import EventFilter, Follower
from runner.events.sink import EventSink, ListSink
from runner.events.store import EventStore, StoreStatistics
from runner.events.types import Conclusion, Event, EventType, Status, now_ms

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
    "StoreStatistics",
    "Subscription",
    "now_ms",
]
