"""Streaming responses: the live part of every stream, its frame cache, its writes watched.

Every stream writes in batches: all frames of one committed batch go out as
one chunk (one write per event caps Hypercorn's trio worker near 15k
events/s; coalesced writes go past 200k/s).

Streams never yield inside a cancel scope (ruff ASYNC119): they wait for
the next batch under `move_on_after(keepalive)`, then, outside the scope,
yield either the frames or a keepalive.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

import trio
from quart import Response

from runner.api.sse import SSE_HEADERS, to_wire
from runner.errors import ApiError
from runner.events.types import Event

if TYPE_CHECKING:
    from runner.events.follow import Follower
    from runner.events.store_reader import StoreReader

Encoder = Callable[[Event], str]
T = TypeVar("T")
WRITE_MAX = 1 << 18  # characters per write


class FrameCache(Generic[T]):
    """What recent events encode to, by seq: every live subscriber of a stream gets the
    same committed events, so each is projected and encoded once, not once per client.
    (Seqs belong to one store, so a cache belongs to one app's routes, never to a module.)

    Bounded by the characters it holds (log chunks encode to hundreds of kilobytes), not
    by the number of events; the oldest go first.
    """

    def __init__(self, *, max_chars: int = 16 << 20, size_of: Callable[[T], int] = len) -> None:  # type: ignore[assignment]
        self.max_chars = max_chars
        self.size_of = size_of
        self._items: dict[int, tuple[T, int]] = {}
        self._chars = 0

    def get(self, event: Event, compute: Callable[[Event], T]) -> T:
        hit = self._items.get(event.seq)
        if hit is not None:
            return hit[0]
        value = compute(event)
        size = self.size_of(value)
        if size <= self.max_chars // 4:  # a huge one would only evict everything else
            while self._chars + size > self.max_chars and self._items:
                _, old = self._items.pop(next(iter(self._items)))  # the oldest
                self._chars -= old
            self._items[event.seq] = (value, size)
            self._chars += size
        return value


async def live_frames(
    follower: Follower,
    encode: Encoder,
    *,
    keepalive_s: float,
    keepalive: str,
    stop: Callable[[Event], bool] | None = None,
    on_keepalive: Callable[[], None] | None = None,
    idle_close_s: float | None = None,
    busy: Callable[[], bool] | None = None,
) -> AsyncGenerator[bytes, None]:
    """The live part of every stream: the frames of each batch the follower yields.

    - `encode(event)` gives an event's frames as one string ("" to show nothing); it sees
      every event in order, so views may fold them.
    - `keepalive` is written whenever nothing was written for `keepalive_s`.
    - Ends after the event for which `stop` is true, when the bus closes, or, with
      `idle_close_s`, once no event came for that long and `busy()` is false.
    - Writes as soon as WRITE_MAX characters are ready: a stalled client then holds about
      one such piece, not a whole replay page.

    The caller owns (and closes) the follower. Never yields inside a cancel scope.
    """
    last_write = last_event = trio.current_time()
    while True:
        wake = last_write + keepalive_s
        if idle_close_s is not None:
            wake = min(wake, last_event + idle_close_s)
        batch: list[Event] | None = None
        with trio.move_on_at(wake):
            try:
                batch = await follower.next_batch()
            except trio.EndOfChannel:
                return
        now = trio.current_time()
        if batch is not None:
            last_event = now
            parts: list[str] = []
            size = 0
            done = False
            for event in batch:
                text = encode(event)
                if text:
                    parts.append(text)
                    size += len(text)
                if size >= WRITE_MAX:  # write as we go: a client holds one bounded piece
                    last_write = now
                    yield to_wire("".join(parts))
                    parts, size = [], 0
                if stop is not None and stop(event):
                    done = True
                    break
            if parts:
                last_write = now
                yield to_wire("".join(parts))
            if done:
                return
            continue
        if (
            idle_close_s is not None
            and now >= last_event + idle_close_s
            and not (busy is not None and busy())
        ):
            return
        if now >= last_write + keepalive_s:
            last_write = now
            if on_keepalive is not None:
                on_keepalive()
            yield keepalive.encode()


async def check_issued(store: StoreReader, seq: int, given: str) -> None:
    """ApiError 400 when event `seq` is past the last one the store has committed: an
    id this daemon never issued (one from another daemon, another data dir, or made
    up), which would otherwise be answered 200 and then silence until the log caught
    up. (The head this process knows may lag the commit a moment: the store is asked
    before refusing.)"""
    if seq > store.last_seq and seq > (head := await store.committed_seq()):
        raise ApiError(
            400,
            "invalid_request_error",
            f"{given} is after the last event this daemon has recorded ({head}): not an id "
            "it issued (another daemon's, or another data dir's?)",
        )


# -- writes that never finish ----------------------------------------------------------
# Hypercorn has no write timeout: a client that stops reading (or vanished without a
# FIN) blocks the send of its stream forever once the socket buffers fill. Its
# subscription is already off the bus by then (it lagged), but the connection, its task
# and its replay position would stay. So every stream goes through `event_stream`, which
# notes when a write started; the daemon's StreamWatch cancels the connection of any
# stream whose write has waited longer than `write_timeout_s`.


@dataclass(slots=True, eq=False)
class _Watched:
    scope: trio.CancelScope | None
    sending_since: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamWatchStatistics:
    open: int
    cut: int  # connections ended because a write waited too long


class StreamWatch:
    """The daemon's open streams, and the janitor that ends stuck ones."""

    def __init__(self, *, write_timeout_s: float) -> None:
        self.write_timeout_s = write_timeout_s
        self._open: set[_Watched] = set()
        self._cut = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await trio.sleep(min(1.0, self.write_timeout_s / 4))
            now = trio.current_time()
            for watched in list(self._open):
                since = watched.sending_since
                if since is not None and now - since > self.write_timeout_s and watched.scope:
                    watched.scope.cancel()
                    self._open.discard(watched)
                    self._cut += 1

    def statistics(self) -> StreamWatchStatistics:
        return StreamWatchStatistics(open=len(self._open), cut=self._cut)

    async def guard(self, body: AsyncIterator[bytes | str]) -> AsyncGenerator[bytes, None]:
        """`body`, with each write timed. Runs in the connection's request task, whose
        parent nursery is the connection: cancelling it ends the response and the socket."""
        nursery = trio.lowlevel.current_task().parent_nursery
        watched = _Watched(scope=nursery.cancel_scope if nursery is not None else None)
        self._open.add(watched)
        try:
            async for chunk in body:
                watched.sending_since = trio.current_time()
                yield to_wire(chunk) if isinstance(chunk, str) else chunk
                watched.sending_since = None
        finally:
            self._open.discard(watched)
            closer = getattr(body, "aclose", None)
            if closer is not None:
                with trio.CancelScope(shield=True):
                    await closer()


def event_stream(
    body: AsyncIterator[bytes | str] | bytes | str,
    *,
    watch: StreamWatch,
    headers: dict[str, str] | None = None,
) -> Response:
    """The streaming response of every SSE route: the headers, no overall timeout (Quart's
    default would cut a stream at 60 s) and the daemon's write watch."""
    if not isinstance(body, (bytes, str)):
        body = watch.guard(body)
    response = Response(body, status=200, headers=headers or SSE_HEADERS)
    response.timeout = None
    return response
