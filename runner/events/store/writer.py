"""The writer's queue: events waiting for their commit, and the engine's backpressure.

What waits for the writer is bounded by the lines it holds (`queue_lines`), not by its
count of events: the engine then runs at the pace the store commits, and a run's log
never piles up in memory ahead of the disk. An emitter waits (parks) until its event
fits; an empty queue takes any event, however heavy.

The channel under the queue is bounded too, at `queue_lines` items: every event costs
at least one, so an event that fits the weight always fits the channel, and `put`
never has to wait on the channel itself.

The writer takes batches: the first waiting event, then whatever else arrives within
its linger (LINGER_S in the daemon, longer for a local run nobody follows live; up to
BATCH_MAX). Under load batches fill at once; when idle an event waits at most a couple
of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio

from runner.events.types import Event, weight

BATCH_MAX = 2048
LINGER_S = 0.002


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStatistics:
    events: int  # waiting for the writer
    lines: int  # their weight (a log chunk weighs its lines)


class WriteQueue:
    """Events on their way to the writer, bounded by their weight (`queue_lines`)."""

    def __init__(self, queue_lines: int) -> None:
        self.queue_lines = max(1, queue_lines)
        self._send, self._receive = trio.open_memory_channel[tuple[Event, int]](self.queue_lines)
        self.closing = trio.Event()
        self._queued = 0  # the weight waiting in the channel
        self._room = trio.lowlevel.ParkingLot()  # emitters waiting for the writer

    async def put(self, event: Event) -> None:
        """Queue `event`. Waits only while the queue holds `queue_lines`: that is the
        engine's backpressure. Cancellable while it waits; once queued, the event stays.

        Raises trio.ClosedResourceError once `close()` was called."""
        # A chunk heavier than the bound counts half the bound: it waits for a half-empty
        # queue, not an empty one, which steady output elsewhere might never leave. Every
        # event counts at least one, so the channel's own bound is never the one reached.
        cost = max(1, min(weight((event,)), self.queue_lines // 2))
        while not self.closing.is_set() and self._queued + cost > self.queue_lines:
            await self._room.park()
        if self.closing.is_set():
            raise trio.ClosedResourceError("the event store is closed for writing")
        await trio.lowlevel.checkpoint_if_cancelled()
        self._send.send_nowait((event, cost))
        self._queued += cost
        await trio.lowlevel.cancel_shielded_checkpoint()

    def close(self) -> None:
        """No more events: the writer drains what is queued; emitters waiting for room
        are refused."""
        self._send.close()
        self.closing.set()
        self._room.unpark_all()

    async def next_batch(self, linger_s: float) -> list[Event] | None:
        """The next batch to commit (at most BATCH_MAX events), or None once the queue is
        closed and drained."""
        try:
            batch = [self._took(await self._receive.receive())]
        except trio.EndOfChannel:
            return None
        # Linger a moment (one sleep, then take what came): a step's started, log and
        # completed events then share one commit instead of a thread hop and a
        # transaction each, and the writer does not wake once per event. Not when the
        # queue is half full already (the batch is full and emitters may be waiting),
        # nor once closing (the last events need not wait).
        if (
            self._receive.statistics().current_buffer_used < BATCH_MAX
            and self._queued < self.queue_lines // 2
        ):
            with trio.move_on_after(linger_s):
                await self.closing.wait()
        while len(batch) < BATCH_MAX:
            try:
                batch.append(self._took(self._receive.receive_nowait()))
            except (trio.WouldBlock, trio.EndOfChannel):
                break
        return batch

    def close_reading(self) -> None:
        """The writer is done (it returned or failed): nothing more is taken."""
        self._receive.close()

    def statistics(self) -> QueueStatistics:
        return QueueStatistics(
            events=self._receive.statistics().current_buffer_used, lines=self._queued
        )

    def _took(self, item: tuple[Event, int]) -> Event:
        """An event (with its cost) left the queue: make room for the emitters."""
        event, cost = item
        self._queued -= cost
        self._room.unpark_all()
        return event
