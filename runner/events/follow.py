"""follow: replay from the store, then go live, without a gap or a duplicate.

Every stream uses this. The order of operations is the whole trick:

1. Subscribe to the bus first. From here on, every batch published is
   queued for us.
2. Read the store after the client's last seq. Since an event is published
   only after it is committed, any event we did not get from this read is
   committed later, so it is published later, so it is in our queue.
3. Deliver queued batches, skipping seq <= the last one delivered (the
   store read and the queue may overlap).

If the queue overflows (the client reads too slowly), the bus drops us; we
then resubscribe and go back to step 2 from the last seq delivered. The
client sees every event exactly once, in order, and the engine never waits.

`Follower.next_batch()` is cancel-safe: a timeout around it (heartbeats)
loses nothing, because `last_seq` only moves when a batch is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import trio

from runner.events.types import Event

if TYPE_CHECKING:
    from runner.events.bus import Bus, Subscription
    from runner.events.store_reader import StoreReader

EventFilter = Callable[[Event], bool]

_REPLAY_PAGE = 2000
REPLAY_PAGE_BYTES = 2 << 20  # log chunks are big: bound a page's memory, not only its count


class Follower:
    """Events with seq > `after_seq` that pass `accept`, in batches, forever."""

    def __init__(
        self,
        store: StoreReader,
        bus: Bus,
        *,
        after_seq: int = 0,
        accept: EventFilter | None = None,
        run_id: str | None = None,
        buffer: int | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self.last_seq = after_seq
        self.accept = accept
        self.run_id = run_id  # narrows store reads (an index) when following one run
        self.buffer = buffer
        self._sub: Subscription | None = None
        self._replaying = True

    def __enter__(self) -> Follower:
        self._subscribe()
        return self

    def _subscribe(self) -> None:
        self._sub = self.bus.subscribe(buffer=self.buffer)
        # Nothing committed after our position yet: there is nothing to replay. (The
        # store counts an event as committed before publishing it, so whatever commits
        # after this point is published to us.) Saves a store read per live connection.
        if self.last_seq >= self.store.last_seq:
            self._replaying = False

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sub is not None:
            self._sub.close()
            self._sub = None

    @property
    def closed(self) -> bool:
        """True once the bus has closed (daemon shutting down) and nothing is left."""
        return self.bus.closed and not self._replaying and self._sub is None

    async def next_batch(self) -> list[Event]:
        """The next non-empty batch of accepted events. Raises trio.EndOfChannel when the
        bus closes. Cancel-safe."""
        while True:
            if self._sub is None:
                if self.bus.closed:
                    raise trio.EndOfChannel
                self._subscribe()
            if self._replaying:
                events = await self.store.read_after(
                    self.last_seq,
                    limit=_REPLAY_PAGE,
                    run_id=self.run_id,
                    max_bytes=REPLAY_PAGE_BYTES,
                )
                if not events:
                    self._replaying = False
                    continue
                batch = self._deliver(events)
                if batch:
                    return batch
                continue
            sub = self._sub
            assert sub is not None
            try:
                events = await sub.receive()
            except trio.EndOfChannel:
                lagged = sub.lagged
                sub.close()
                self._sub = None
                if not lagged:
                    raise
                self._replaying = True  # resubscribe (top of loop), then read the store
                continue
            batch = self._deliver(events)
            if batch:
                return batch

    def _deliver(self, events: list[Event]) -> list[Event]:
        if events[-1].seq <= self.last_seq:
            return []
        fresh = (
            [e for e in events if e.seq > self.last_seq]
            if events[0].seq <= self.last_seq
            else events
        )
        self.last_seq = fresh[-1].seq
        if self.accept is None and self.run_id is None:
            return fresh
        return [
            e
            for e in fresh
            if (self.run_id is None or e.run_id == self.run_id)
            and (self.accept is None or self.accept(e))
        ]
