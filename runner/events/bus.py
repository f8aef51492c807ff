"""The multicast bus: every committed batch of events, to every subscriber.

Invariant: publishing never blocks and never waits on a subscriber, so no
reader, however slow, can slow a run down. Each subscriber owns a channel
fed with `send_nowait` and bounded by what it holds: events, a log chunk
counting as its lines. A subscriber that would go over its bound has fallen
behind: its send side is closed and it is dropped from the bus. Its reader
then drains what was queued, sees EndOfChannel, and catches up from the
store (see follow.py), which is how it still gets every event exactly once
and in order.

Items are whole batches (one store commit each), so a busy run costs one
channel operation per commit per subscriber, not one per event. The bound
counts lines, not batches, because a subscriber that stopped reading keeps
every batch it holds alive: under load one batch holds thousands of lines,
and a bound in batches let a few stuck clients pin a whole run's log in
memory (bench/clients.py measured the next run beside 50 of them 1.4-1.5x
slower).
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from runner.events.types import Event, weight


@dataclass(frozen=True, slots=True, kw_only=True)
class BusStatistics:
    subscribers: int
    published_batches: int
    published_events: int
    lagged: int  # subscribers dropped for falling behind, since start


class Subscription:
    """One subscriber's live feed. Iterate `receive()`; EndOfChannel means "lagged or
    closed: catch up from the store" (check `lagged`)."""

    __slots__ = ("_bus", "_queued", "_receive", "_send", "_since", "lagged", "limit")

    def __init__(self, bus: Bus, limit: int) -> None:
        self._bus = bus
        # The bus bounds the queue by weight (see `Bus.publish`); the channel's own bound,
        # in batches, is reached only by batches weighing nothing (empty log chunks), and
        # counts as falling behind just the same.
        self._send, self._receive = trio.open_memory_channel[tuple[list[Event], int]](max(1, limit))
        self._queued = 0  # the weight of the batches waiting here
        # Since when a batch has waited here for its reader (None: nothing waits).
        self._since: float | None = None
        self.limit = limit
        self.lagged = False

    async def receive(self) -> list[Event]:
        """The next committed batch. Raises trio.EndOfChannel once dropped or closed."""
        batch, cost = await self._receive.receive()
        self._took(cost)
        return batch

    def receive_nowait(self) -> list[Event]:
        batch, cost = self._receive.receive_nowait()
        self._took(cost)
        return batch

    def _took(self, cost: int) -> None:
        self._queued -= cost
        self._since = trio.current_time() if self._queued else None
        waiting = self._bus._waiting_for
        if waiting is not None and (not self._queued or self._queued + waiting <= self.limit):
            self._bus._room.unpark_all()  # it has room now (an empty queue takes any batch)

    def close(self) -> None:
        """Leave the bus (idempotent). Call it in a `finally`."""
        self._bus._subscribers.discard(self)
        self._bus._room.unpark_all()
        self._send.close()
        self._receive.close()


class Bus:
    def __init__(self, *, buffer: int = 50_000) -> None:
        self.buffer = buffer  # the weight a subscriber may hold before it is dropped
        self._subscribers: set[Subscription] = set()
        self._closed = False
        self._batches = 0
        self._events = 0
        self._lagged = 0
        self._room = trio.lowlevel.ParkingLot()  # a subscriber made room, or left
        self._waiting_for: int | None = None  # the cost wait_for_room is waiting to fit

    def subscribe(self, *, buffer: int | None = None) -> Subscription:
        """Start receiving every batch published from now on (`buffer`: its bound)."""
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
        if not self._subscribers:
            return
        cost = weight(batch)
        for sub in list(self._subscribers):
            # An empty queue takes any batch, however heavy: dropping everyone for one big
            # commit would only send them all to the store at once.
            if sub._queued and sub._queued + cost > sub.limit:
                self._drop(sub)
                continue
            try:
                sub._send.send_nowait((batch, cost))
            except trio.WouldBlock:
                self._drop(sub)
                continue
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self._subscribers.discard(sub)
                continue
            if not sub._queued:
                sub._since = trio.current_time()
            sub._queued += cost

    async def wait_for_room(self, batch: list[Event], *, stuck_after_s: float) -> None:
        """Wait until publishing `batch` would drop no subscriber that is still reading:
        one short of room is waited for as long as it takes a batch at least every
        `stuck_after_s`; one that takes nothing for that long (stuck, or replaying the
        store) is dropped by the publish, as ever.

        For a publisher that can run ahead of its readers (the daemon reading what its
        engine process committed): when the daemon as a whole falls behind, a burst
        published into busy queues would drop every reader at once, each to catch up
        from the store on its own; paced, they keep up together.
        """
        cost = weight(batch)
        try:
            while True:
                now = trio.current_time()
                short = [
                    s._since
                    for s in self._subscribers
                    if s._queued
                    and s._queued + cost > s.limit
                    and s._since is not None
                    and now - s._since < stuck_after_s
                ]
                if not short:
                    return
                self._waiting_for = cost
                with trio.move_on_at(min(short) + stuck_after_s):
                    await self._room.park()
        finally:
            self._waiting_for = None

    def close(self) -> None:
        """End every subscription (daemon shutdown): readers see EndOfChannel."""
        self._closed = True
        for sub in list(self._subscribers):
            sub._send.close()
        self._subscribers.clear()
        self._room.unpark_all()

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
