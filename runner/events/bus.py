"""The multicast bus: every committed batch of events, to every subscriber.

Invariant: publishing never blocks and never waits on a subscriber, so no
reader, however slow, can slow a run down. Each subscriber owns a bounded
channel fed with `send_nowait`. A subscriber whose channel is full has
fallen behind: its send side is closed and it is dropped from the bus. Its
reader then drains what was queued, sees EndOfChannel, and catches up from
the store (see follow.py), which is how it still gets every event exactly
once and in order.

Items are whole batches (one store commit each), so a busy run costs one
channel operation per commit per subscriber, not one per event.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from runner.events.types import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class BusStatistics:
    subscribers: int
    published_batches: int
    published_events: int
    lagged: int  # subscribers dropped for falling behind, since start


class Subscription:
    """One subscriber's live feed. Iterate `receive()`; EndOfChannel means "lagged or
    closed: catch up from the store" (check `lagged`)."""

    __slots__ = ("_bus", "_receive", "_send", "lagged")

    def __init__(self, bus: Bus, buffer: int) -> None:
        self._bus = bus
        self._send, self._receive = trio.open_memory_channel[list[Event]](buffer)
        self.lagged = False

    async def receive(self) -> list[Event]:
        """The next committed batch. Raises trio.EndOfChannel once dropped or closed."""
        return await self._receive.receive()

    def receive_nowait(self) -> list[Event]:
        return self._receive.receive_nowait()

    def close(self) -> None:
        """Leave the bus (idempotent). Call it in a `finally`."""
        self._bus._subscribers.discard(self)
        self._send.close()
        self._receive.close()


class Bus:
    def __init__(self, *, buffer: int = 1024) -> None:
        self.buffer = buffer
        self._subscribers: set[Subscription] = set()
        self._closed = False
        self._batches = 0
        self._events = 0
        self._lagged = 0

    def subscribe(self, *, buffer: int | None = None) -> Subscription:
        """Start receiving every batch published from now on."""
        sub = Subscription(self, buffer or self.buffer)
        if self._closed:
            sub._send.close()
        else:
            self._subscribers.add(sub)
        return sub

    def publish(self, batch: list[Event]) -> None:
        """Hand a committed batch to every subscriber. Never blocks."""
        if not batch:
            return
        self._batches += 1
        self._events += len(batch)
        for sub in list(self._subscribers):
            try:
                sub._send.send_nowait(batch)
            except trio.WouldBlock:
                self._drop(sub)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self._subscribers.discard(sub)

    def close(self) -> None:
        """End every subscription (daemon shutdown): readers see EndOfChannel."""
        self._closed = True
        for sub in list(self._subscribers):
            sub._send.close()
        self._subscribers.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    def statistics(self) -> BusStatistics:
        return BusStatistics(
            subscribers=len(self._subscribers),
            published_batches=self._batches,
            published_events=self._events,
            lagged=self._lagged,
        )

    def _drop(self, sub: Subscription) -> None:
        sub.lagged = True
        self._lagged += 1
        self._subscribers.discard(sub)
        sub._send.close()
