"""A thread's event stream: its history, then live, across runs, until it has been idle.

What a stream shows is its StreamView (channels, namespaces, depth; the exact rule is
on the class) and everything after `since`; see projection.py for what is shown.

Subscribe-then-replay, thread-wide. The route reads the log's last seq H, then the
thread's runs (a run is recorded on its thread before it starts, so every run with
an event at or below H is listed). The body subscribes (a Follower from H: every
event after H, from the store or the bus, exactly once), then replays the listed runs
up to H from the store, merged in log order, then goes live. Every event goes through
one ThreadFold, so job namespaces and waiting jobs are known from each run's start;
a resumed stream still folds its runs from their start and only skips *sending*
what is at or below `since` (a run that had ended before `since` is not read at all).

The stream stays open across runs (a run started on the thread later flows through
it), writes a heartbeat comment after `streams.agent_heartbeat_seconds` of silence,
and ends once no run of the thread is unfinished and nothing has happened on the
thread for `streams.agent_idle_close_seconds`, or when the daemon stops.

Invariant: the stream is open exactly while its body generator runs; the subscription
lives inside it, so a client going away (quart-trio closes the generator) unsubscribes.
The body never yields inside a cancel scope.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.api.agent.projection import ThreadFold, log_frames
from runner.api.agent.wire import STRIDE, Namespace, ProtocolEvent
from runner.api.request_numbers import parse_uint, shown
from runner.api.run_replay import RunReplay
from runner.api.sse import comment, to_wire
from runner.api.streaming import live_frames
from runner.errors import ApiError, InvalidField
from runner.events.follow import Follower
from runner.events.payloads import LogChunk

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from runner.api.services import Services
    from runner.events.store_reader import StoreReader
    from runner.events.thread_store import ThreadStore
    from runner.events.types import Event

HEARTBEAT = comment("heartbeat")
_OPENED = comment("open")

CHANNELS = frozenset(
    {
        "values",
        "updates",
        "messages",
        "tools",
        "lifecycle",
        "input",
        "checkpoints",
        "tasks",
        "custom",
    }
)


def is_channel(name: str) -> bool:
    """A channel the protocol defines: one of CHANNELS, or `custom:<name>`."""
    return name in CHANNELS or (name.startswith("custom:") and len(name) > len("custom:"))


@dataclass(frozen=True, slots=True)
class StreamView:
    """Which protocol events one stream shows.

    Channels: an event passes when its channel is asked for; `custom` takes every
    custom event, `custom:<name>` those named so. Namespaces: the root `[]` always
    passes. Any other namespace passes when it starts with one of `namespaces` (all
    of them when none are given) and lies at most `depth` levels below that prefix
    (any depth when none is given). So `depth` caps the namespace's length at
    `len(prefix) + depth`, and at `depth` without `namespaces`.
    """

    channels: frozenset[str]
    namespaces: tuple[Namespace, ...] | None = None
    depth: int | None = None

    def sees(self, event: ProtocolEvent) -> bool:
        channel = event.channel
        if channel not in self.channels and not (
            event.method == "custom" and "custom" in self.channels
        ):
            return False
        namespace = event.namespace
        if not namespace:
            return True
        if self.namespaces is None:
            return self.depth is None or len(namespace) <= self.depth
        return any(
            namespace[: len(prefix)] == prefix
            and (self.depth is None or len(namespace) - len(prefix) <= self.depth)
            for prefix in self.namespaces
        )


@dataclass(frozen=True, slots=True)
class StreamRequest:
    view: StreamView
    since: int | None


def parse_stream_request(body: dict[str, Any], last_event_id: str | None) -> StreamRequest:
    """The body {channels, namespaces?, depth?, since?} (other keys are ignored, as the
    protocol's Extensible allows). 422 when malformed; 400 for an empty channel list or
    a channel the protocol does not define. Without `since`, a `Last-Event-ID` header
    (a seq) resumes the same way."""
    channels = body.get("channels")
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise InvalidField(("body", "channels"), "expected an array of channel names")
    if not channels:
        raise _invalid(400, "channels: the list is empty (ask for at least one channel)")
    unknown = [c for c in channels if not is_channel(c)]
    if unknown:
        raise _invalid(
            400,
            f"channels: unknown channel(s) {', '.join(map(repr, unknown))} (known: values, "
            "updates, messages, tools, lifecycle, input, checkpoints, tasks, custom, "
            "custom:<name>)",
        )
    raw_namespaces = body.get("namespaces")
    namespaces: tuple[tuple[str, ...], ...] | None = None
    if raw_namespaces is not None:
        if not isinstance(raw_namespaces, list) or not all(
            isinstance(ns, list) and all(isinstance(s, str) for s in ns) for ns in raw_namespaces
        ):
            raise InvalidField(
                ("body", "namespaces"), "expected an array of namespaces (arrays of strings)"
            )
        namespaces = tuple(tuple(ns) for ns in raw_namespaces)
    depth = _optional_uint(body.get("depth"), "depth")
    since = _optional_uint(body.get("since"), "since")
    if since is None and last_event_id and last_event_id.strip():
        since = parse_uint(last_event_id.strip())
        if since is None:
            raise _invalid(400, f"Last-Event-ID: {shown(last_event_id)} is not a seq")
    return StreamRequest(StreamView(frozenset(channels), namespaces, depth), since)


def _optional_uint(value: object, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidField(("body", name), "expected a non-negative integer or null")
    return value


def _invalid(status: int, message: str) -> ApiError:
    return ApiError(status, "invalid_request_error", message)


class ThreadReplay:
    """The committed events of several runs, up to `until`, merged in log order, page by
    page (runs of one thread may overlap in the log)."""

    def __init__(self, store: StoreReader, run_ids: Iterable[str], *, until: int) -> None:
        self._replays = [RunReplay(store, run_id, until=until) for run_id in run_ids]
        self._pending: list[list[Event]] = [[] for _ in self._replays]
        self._done = [False] * len(self._replays)

    async def next_page(self) -> list[Event]:
        """The next events in log order; empty at the end."""
        for i, replay in enumerate(self._replays):
            if not self._pending[i] and not self._done[i]:
                self._pending[i] = await replay.next_page()
                self._done[i] = not self._pending[i]
        live = [pending for pending in self._pending if pending]
        if not live:
            return []
        # Every unread event of a run comes after its pending page, so everything up to
        # the smallest last pending seq is already here.
        bound = min(pending[-1].seq for pending in live)
        page: list[Event] = []
        for i, pending in enumerate(self._pending):
            cut = next((k for k, e in enumerate(pending) if e.seq > bound), len(pending))
            page.extend(pending[:cut])
            self._pending[i] = pending[cut:]
        page.sort(key=lambda e: e.seq)
        return page


@dataclass(slots=True)
class ThreadStream:
    """Everything one stream needs, decided by the route before the body starts."""

    services: Services
    threads: ThreadStore
    thread_id: str
    owner: str
    request: StreamRequest
    head: int  # the log's last seq when the stream opened
    replay: tuple[str, ...]  # runs to read from the store up to `head`, in thread order
    ended: frozenset[str]  # runs taken for over without being read (unless events come)

    def on_thread(self, event: Event) -> bool:
        thread = self.threads.get_nowait(self.thread_id)
        return thread is not None and thread.owner == self.owner and event.run_id in thread.run_ids

    def unfinished(self, fold: ThreadFold) -> bool:
        """Whether a run of the thread has not ended yet (or has not begun)."""
        thread = self.threads.get_nowait(self.thread_id)
        if thread is None or thread.owner != self.owner:
            return False
        return any(
            not fold.finished(r) and (r in fold.runs or r not in self.ended) for r in thread.run_ids
        )


async def plan_stream(
    services: Services,
    threads: ThreadStore,
    thread_id: str,
    owner: str,
    request: StreamRequest,
) -> ThreadStream:
    """Decide where the stream starts: read H first, then the thread's runs."""
    head = services.store.last_seq
    thread = threads.get_nowait(thread_id)
    run_ids = thread.run_ids if thread is not None and thread.owner == owner else ()
    since_seq = request.since // STRIDE if request.since is not None else 0
    replay: list[str] = []
    ended: set[str] = set()
    for run_id in run_ids:
        run = await services.store.get_run(run_id)
        if run is None:
            # No event yet: starting (its events come live) or never started (a crash
            # between recording it and starting it left nothing to wait for).
            if run_id not in services.manager.active:
                ended.add(run_id)
            continue
        last = run.get("last_seq")
        if run.get("status") == "completed" and isinstance(last, int) and last < since_seq:
            ended.add(run_id)  # over before `since`: nothing of it is sent
            continue
        replay.append(run_id)
    return ThreadStream(
        services=services,
        threads=threads,
        thread_id=thread_id,
        owner=owner,
        request=request,
        head=head,
        replay=tuple(replay),
        ended=frozenset(ended),
    )


async def stream_body(stream: ThreadStream) -> AsyncIterator[bytes]:
    """The response body: history, then live, with heartbeats, until idle (see above)."""
    services = stream.services
    settings = services.settings.streams
    view, since = stream.request.view, stream.request.since
    fold = ThreadFold()

    def encode(event: Event) -> str:
        if isinstance(chunk := event.payload, LogChunk):  # the bulk: one view check per chunk
            probe = ProtocolEvent(0, "custom", (event.job_id or "",), 0, {"name": "log"})
            if event.job_id is not None and view.sees(probe):
                return log_frames(event, chunk, since=since)
            return ""
        return "".join(
            protocol_event.encode()
            for protocol_event in fold.project(event)
            if (since is None or protocol_event.seq > since) and view.sees(protocol_event)
        )

    follower = Follower(
        services.store,
        services.bus,
        after_seq=stream.head,
        accept=stream.on_thread,
        buffer=settings.subscriber_buffer,
    )
    with follower:
        # Something at once, so the headers leave before the first event does.
        yield _OPENED.encode()
        replay = ThreadReplay(services.store, stream.replay, until=stream.head)
        while page := await replay.next_page():
            text = "".join(encode(event) for event in page)
            if text:
                yield to_wire(text)
        # Live; stays open across runs, closes after an idle while with no run unfinished.
        body = live_frames(
            follower,
            encode,
            keepalive_s=settings.agent_heartbeat_seconds,
            keepalive=HEARTBEAT,
            idle_close_s=settings.agent_idle_close_seconds,
            busy=lambda: stream.unfinished(fold),
        )
        async with aclosing(body):
            async for chunk in body:
                yield chunk
