"""Reading a session's events from a position: views, resume, pages and SSE.

A reader sees a view of the run's session events: one thread's (the events whose `on`
names it) or the whole session's (each event once), optionally of some types only. A
position is an event id (`Last-Event-ID`, or a page cursor): the run is folded from its
start up to that event (the links later events need come from earlier ones), the id is
checked to belong to the view, and reading goes on from there. Nothing is kept between
requests: the log is the only state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from runner.api.run_replay import RunReplay
from runner.api.sessions.fold import SessionFold
from runner.api.sessions.objects import parse_event_id
from runner.api.sessions.projection import Frames, SessionEvent, frames, project
from runner.api.sse import comment
from runner.api.streaming import FrameCache, event_stream
from runner.api.thread_streams import thread_body
from runner.errors import ApiError
from runner.events.follow import Follower
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from quart import Response
    from werkzeug.datastructures import MultiDict

    from runner.api.services import Services

PING = comment("ping")
_TYPE = re.compile(r"[a-z_]+\.[a-z_]+")


def list_arg(args: MultiDict[str, str], name: str) -> list[str]:
    """`name=a,b`, `name=a&name=b` and `name[]=a&name[]=b`, together. 400 on an empty item."""
    values: list[str] = []
    for key in (name, f"{name}[]"):
        for raw in args.getlist(key):
            values.extend(v.strip() for v in raw.split(","))
    if any(not v for v in values):
        raise ApiError(400, "invalid_request_error", f"{name}: empty value in the list")
    return values


def type_filter(args: MultiDict[str, str]) -> frozenset[str] | None:
    """`type=a,b` and repeated `types[]=` (None: every type)."""
    types = [*list_arg(args, "type"), *list_arg(args, "types")]
    for value in types:
        if not _TYPE.fullmatch(value):
            raise ApiError(
                400,
                "invalid_request_error",
                f"type: {value!r} is not an event type (e.g. agent.message)",
            )
    return frozenset(types) or None


@dataclass(frozen=True, slots=True)
class SessionView:
    """Which of a run's session events one reader sees."""

    run_id: str
    thread: str | None  # None: every thread of the session (each event once)
    types: frozenset[str] | None = None

    def sees(self, event: SessionEvent) -> bool:
        return (self.thread is None or self.thread in event.on) and (
            self.types is None or event.type in self.types
        )


@dataclass(slots=True)
class Position:
    fold: SessionFold  # the run folded through `after`
    after: int  # the last canonical seq taken in
    pending: list[SessionEvent]  # the session events of seq `after` that come after it


class SessionReader:
    """One daemon's session events, read from a position: as pages, and as SSE."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # The session events of recent canonical events, encoded. Every reader folds the
        # same log, so an event's session events are the same for all of them: project
        # and encode each once, not once per client; each reader picks its view's frames.
        self.frames: FrameCache[Frames] = FrameCache(size_of=_frames_size)

    async def position(self, view: SessionView, event_id: str | None, what: str) -> Position:
        """Fold the run up to `event_id` (None: the start). ApiError 400 when the id is
        malformed, unknown, or not an event of the view's thread (or session)."""
        fold = SessionFold(view.run_id)
        if event_id is None:
            return Position(fold, 0, [])
        try:
            seq, index = parse_event_id(event_id)
        except ValueError as exc:
            raise ApiError(400, "invalid_request_error", f"{what}: {exc}") from None
        pending: list[SessionEvent] | None = None
        replay = RunReplay(self.services.store, view.run_id, until=seq)
        while batch := await replay.next_page():
            for event in batch:
                produced = project(event, fold)
                if event.seq == seq and index < len(produced):
                    if view.thread is not None and view.thread not in produced[index].on:
                        raise ApiError(
                            400,
                            "invalid_request_error",
                            f"{what} {event_id!r} does not belong to this thread",
                        )
                    pending = produced[index + 1 :]
                fold.advance(event)
        if pending is None:
            where = "thread" if view.thread is not None else "session"
            raise ApiError(
                400, "invalid_request_error", f"{what} {event_id!r} is not an event of this {where}"
            )
        return Position(fold, seq, pending)

    async def read_page(
        self, view: SessionView, cursor: str | None, limit: int
    ) -> tuple[list[SessionEvent], str | None]:
        """Up to `limit` events after the cursor, and the next cursor (None: no more yet)."""
        start = await self.position(view, cursor, "page")
        fold = start.fold
        found = [e for e in start.pending if view.sees(e)]
        replay = RunReplay(self.services.store, view.run_id, after=start.after)
        while len(found) <= limit and (batch := await replay.next_page()):
            for event in batch:
                produced = project(event, fold)
                fold.advance(event)
                found.extend(e for e in produced if view.sees(e))
        page = found[:limit]
        return page, page[-1].id if len(found) > limit else None

    async def stream(
        self, view: SessionView, last_event_id: str | None, *, last_seq: int | None
    ) -> Response:
        """The view as SSE: its history after `last_event_id`, then live, until the run ends.
        `last_seq`: the run's last event when it has finished (None while it runs)."""
        services = self.services
        start = await self.position(view, last_event_id, "Last-Event-ID")
        fold = start.fold
        # Something at once, so the headers leave before the first event does.
        first = PING + "".join(e.encode() for e in start.pending if view.sees(e))
        if last_seq is not None and start.after >= last_seq:
            # Resumed after the finished run's last event: nothing will ever follow.
            return event_stream(first, watch=services.watch)

        cache = self.frames

        def encode(event: Event) -> str:
            encoded = cache.get(event, partial(frames, fold=fold))
            fold.advance(event)
            if view.types is None and view.thread is None:
                return "".join(text for _, _, text in encoded)
            return "".join(
                text
                for on, type_, text in encoded
                if (view.thread is None or view.thread in on)
                and (view.types is None or type_ in view.types)
            )

        follower = Follower(
            services.store,
            services.bus,
            after_seq=start.after,
            run_id=view.run_id,
            buffer=services.settings.streams.subscriber_buffer,
        )
        body = thread_body(
            follower,
            encode,
            first=first,
            heartbeat_s=services.settings.streams.heartbeat_seconds,
            heartbeat=PING,
            stop=_run_completed,
            streams=services.thread_streams,
        )
        return event_stream(body, watch=services.watch)


def _frames_size(encoded: Frames) -> int:
    return sum(len(text) for _, _, text in encoded)


def _run_completed(event: Event) -> bool:
    return event.type is EventType.RUN_COMPLETED
