"""What the two thread dialects (executions.py, sessions.py) share: following one run from
its first event, the bookkeeping of their open streams, and their time format.

Both dialects number or link their wire events from facts earlier in the run (a
per-thread `sequence`; the `agent.tool_use` an `agent.tool_result` answers). Those
facts are folded from the run's own events, read from the store, and never kept
anywhere else: a stream that resumes mid-run first folds the run up to its resume
position (`replay_run`), then follows from there with a Follower. Every client folds
the same log, so every client computes the same numbers and links.

Invariant: a thread stream is open exactly while its body generator runs; the
subscription and the heartbeat live inside it, so when the client disconnects
(quart-trio cancels the generator and runs its `finally`) both are gone and nothing
more is written.
"""

from __future__ import annotations

import time
import weakref
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from runner.api.sse import live_frames
from runner.events.follow import REPLAY_PAGE_BYTES
from runner.events.types import Conclusion, Event

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterator

    from runner.events.bus import Bus
    from runner.events.follow import Follower
    from runner.events.store import EventStore
    from runner.expressions.values import JSONValue

_REPLAY_PAGE = 2000


def iso_ms(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and `Z`: 2026-03-17T12:00:00.000Z."""
    seconds, millis = divmod(ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


class RunReplay:
    """A run's committed events with `after` < seq <= `until`, oldest first, page by page.

    (A class, not an async generator: readers stop early, and an abandoned generator
    would be finalized by the garbage collector.)
    """

    def __init__(
        self, store: EventStore, run_id: str, *, after: int = 0, until: int | None = None
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.after = after
        self.until = until

    async def next_page(self) -> list[Event]:
        """The next page of events; empty at the end."""
        page = await self.store.read_after(
            self.after,
            limit=_REPLAY_PAGE,
            run_id=self.run_id,
            until=self.until,
            max_bytes=REPLAY_PAGE_BYTES,
        )
        if page:
            self.after = page[-1].seq
        return page


def job_error(job: dict[str, JSONValue]) -> str:
    """Why a job did not succeed: its own error, else its first failed step's."""
    error = job.get("error")
    if isinstance(error, str) and error:
        return error
    steps = job.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and step.get("conclusion") == Conclusion.FAILURE:
            detail = step.get("error")
            name = f"step {step.get('number')} ({step.get('name')})"
            return f"{name} failed: {detail}" if detail else f"{name} failed"
    return str(job.get("conclusion") or "failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadStreamStatistics:
    open: int  # streams whose body is running now
    opened: int  # since the daemon started
    heartbeats: int  # heartbeat comments written, all streams together


class ThreadStreams:
    """The open thread streams of one daemon (for tests and health)."""

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


# One registry per daemon. Keyed by the daemon's bus (which lives exactly as long as the
# daemon) so tests holding `Services` can reach it without the app.
_REGISTRIES: weakref.WeakKeyDictionary[Bus, ThreadStreams] = weakref.WeakKeyDictionary()


def thread_streams(bus: Bus) -> ThreadStreams:
    """The thread-stream registry of the daemon that owns `bus`."""
    registry = _REGISTRIES.get(bus)
    if registry is None:
        registry = _REGISTRIES[bus] = ThreadStreams()
    return registry


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
