"""What the two thread dialects (executions, sessions) share: the body of a thread
stream, and the bookkeeping of their open streams.

Invariant: a thread stream is open exactly while its body generator runs; the
subscription and the heartbeat live inside it, so when the client disconnects
(quart-trio cancels the generator and runs its `finally`) both are gone and nothing
more is written.
"""

from __future__ import annotations

from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from runner.api.streaming import live_frames

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterator

    from runner.events.follow import Follower
    from runner.events.types import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadStreamStatistics:
    open: int  # streams whose body is running now
    opened: int  # since the daemon started
    heartbeats: int  # heartbeat comments written, all streams together


class ThreadStreams:
    """The open thread streams of one daemon (Services.thread_streams; for tests and health)."""

    def __init__(self) -> None:
        self._open = 0
        self._opened = 0
        self._heartbeats = 0
        self._changed = trio.Event()

    @contextmanager
    def track(self) -> Iterator[None]:
        """Count one stream as open for the duration of the block."""
        self._open += 1
        self._opened += 1
        self._notify()
        try:
            yield
        finally:
            self._open -= 1
            self._notify()

    def heartbeat(self) -> None:
        self._heartbeats += 1

    async def wait_changed(self) -> None:
        """Wait until a stream opens or closes."""
        await self._changed.wait()

    def statistics(self) -> ThreadStreamStatistics:
        return ThreadStreamStatistics(
            open=self._open, opened=self._opened, heartbeats=self._heartbeats
        )

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()


async def thread_body(
    follower: Follower,
    encode: Callable[[Event], str],
    *,
    first: str,
    heartbeat_s: float,
    heartbeat: str,
    stop: Callable[[Event], bool],
    streams: ThreadStreams,
) -> AsyncGenerator[bytes | str, None]:
    """A thread stream's whole body: `first`, then the frames of every event the follower
    yields (one chunk per batch), and `heartbeat` whenever nothing was written for
    `heartbeat_s` (an idle run, or a busy one whose events all belong to threads this
    view does not show). `encode` sees every event in order (the views fold them).

    Ends after the event for which `stop` is true, or when the bus closes. Owns the
    follower: it subscribes before `first` leaves and unsubscribes when the body ends or
    the client goes away (quart-trio then closes this generator). It is the response
    body itself, never nested in another generator that could be dropped without
    closing it, and it never yields inside a cancel scope.
    """
    with streams.track(), follower:
        yield first
        body = live_frames(
            follower,
            encode,
            keepalive_s=heartbeat_s,
            keepalive=heartbeat,
            stop=stop,
            on_keepalive=streams.heartbeat,
        )
        async with aclosing(body):
            async for chunk in body:
                yield chunk
