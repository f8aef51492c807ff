"""GET /api/events (seed 003): every state change of every run, as it happens.

Every event carries `id:` (the canonical seq, or `seq.i` for line i of a log chunk),
so `Last-Event-ID` (or `?lastEventId=` on a first request) resumes exactly, to the
line; an id past the last recorded event is 400. Filters: `?runId=` and `?types=a,b`.
Without a resume position the stream starts live, at the present. A `ping` event
comes on connect and every `streams.ping_seconds`.

`?format=canonical` (stax's own clients: `stax log`, `stax run` through the daemon)
sends the canonical events themselves, one per seq, log chunks whole.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING

from quart import Response, request

from runner.api.routing import RouteGroup, get
from runner.api.runner_events.projection import canonical_frame, frames, project
from runner.api.sse import frame, parse_event_id
from runner.api.streaming import FrameCache, check_issued, event_stream, live_frames
from runner.errors import ApiError
from runner.events.follow import Follower
from runner.events.types import EventType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from runner.api.services import Services
    from runner.events.types import Event

_RETRY_MS = 2000
_KNOWN_TYPES = {t.value for t in EventType}


class RunnerEventRoutes(RouteGroup):
    name = "runner_events"

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        # Every live client gets the same events: each is encoded once, not per client.
        self.frames: FrameCache[str] = FrameCache()
        self.canonical_frames: FrameCache[str] = FrameCache()

    @get("/api/events")
    async def events(self) -> Response:
        store = self.services.store
        raw_id = request.headers.get("Last-Event-ID") or request.args.get("lastEventId")
        try:
            position = parse_event_id(raw_id)
        except ValueError as exc:
            raise ApiError(400, "invalid_request_error", str(exc)) from None
        types = _types(request.args.get("types"))
        if position is None:
            after, resume_index = store.last_seq, None
        else:
            seq, resume_index = position
            await check_issued(store, seq, f"event id {raw_id!r}")
            after = seq - 1 if resume_index is not None else seq

        canonical = request.args.get("format") == "canonical"

        def encode(event: Event) -> str:
            if canonical:
                return self.canonical_frames.get(event, canonical_frame)
            if resume_index is not None and event.seq == after + 1:
                resumed = project(event, skip_lines_through=resume_index)
                return "".join(w.encode() for w in resumed)
            return self.frames.get(event, frames)

        follower = Follower(
            store,
            self.services.bus,
            after_seq=after,
            accept=lambda event: types is None or event.type.value in types,
            run_id=request.args.get("runId") or None,
            buffer=self.services.settings.streams.subscriber_buffer,
        )
        return event_stream(self._body(follower, encode), watch=self.services.watch)

    async def _body(
        self, follower: Follower, encode: Callable[[Event], str]
    ) -> AsyncIterator[bytes]:
        with follower:
            yield frame("{}", event="ping", id=None, retry=_RETRY_MS).encode()
            body = live_frames(
                follower,
                encode,
                keepalive_s=self.services.settings.streams.ping_seconds,
                keepalive=frame("{}", event="ping"),
            )
            # Closed explicitly: a browser leaving the page must not leave it to the GC.
            async with aclosing(body):
                async for chunk in body:
                    yield chunk


def _types(raw: str | None) -> set[str] | None:
    if not raw:
        return None
    types = {t.strip() for t in raw.split(",") if t.strip()}
    unknown = sorted(types - _KNOWN_TYPES)
    if unknown:
        raise ApiError(
            400,
            "invalid_request_error",
            f"unknown event type(s): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_KNOWN_TYPES))})",
        )
    return types
