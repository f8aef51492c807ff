"""GET /api/executions/{runId}/threads/stream (seed 000): a run's jobs as threads.

Beyond the seed: every event has `id:` (the canonical seq, `seq.i` for line i of a
log chunk; the `connected` frame carries the position the stream starts after, `0`
for the start); a new connection replays the execution's history; `Last-Event-ID`
resumes; after a finished execution's last event the stream ends, and a reconnect
with nothing left gets 204 (EventSource then stops). `threadIds=build` also selects
build's matrix instances (`build.1`, `build.2`) and, for a called workflow, its jobs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from quart import Response, request

from runner.api.executions.projection import ThreadSequences, encode, frame_count
from runner.api.routing import RouteGroup, get
from runner.api.run_replay import RunReplay
from runner.api.sse import comment, dumps, frame, parse_event_id
from runner.api.streaming import FrameCache, check_issued, event_stream
from runner.api.thread_streams import thread_body
from runner.errors import ApiError
from runner.events.follow import Follower
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

    from runner.api.services import Services
    from runner.expressions.values import JSONValue

HEARTBEAT = comment("heartbeat")
_THREAD_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


class ExecutionRoutes(RouteGroup):
    name = "executions"

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        # Every client numbers the same log the same way, so an event's frames are the
        # same for all of them: encode once.
        self.frames: FrameCache[str] = FrameCache()

    @get("/api/executions/<run_id>/threads/stream")
    async def thread_stream(self, run_id: str) -> Response:
        services = self.services
        store = services.store
        wanted = parse_thread_ids(request.args)
        raw_id = request.headers.get("Last-Event-ID")
        try:
            position = parse_event_id(raw_id)
        except ValueError as exc:
            raise ApiError(400, "invalid_request_error", f"Last-Event-ID: {exc}") from None
        if position is not None:
            await check_issued(store, position[0], f"Last-Event-ID {raw_id!r}")
        run = await store.get_run(run_id)
        if run is None and run_id not in services.manager.active:
            raise ApiError(404, "not_found_error", f"no execution {run_id!r}")
        finished = run is not None and run.get("status") == "completed"

        # Fold the run up to the resume position: the sequences every thread has reached.
        sequences = ThreadSequences()
        after, after_index = position if position is not None else (0, None)
        pending = ""
        if position is not None:
            pending = await self._fold(run_id, sequences, after, after_index, wanted)
            if finished and not pending and not await self._any_frame(run_id, after, wanted):
                return Response("", status=204)

        def frames(event: Event) -> str:
            first = sequences.advance(event)
            if not first or not selects(wanted, event.job_id or ""):
                return ""
            return self.frames.get(event, lambda e: encode(e, first))

        connected = frame(
            dumps({"executionId": run_id, "threadIds": cast("list[JSONValue] | None", wanted)}),
            event="connected",
            id=raw_id.strip() if raw_id and raw_id.strip() else "0",
        )
        follower = Follower(
            store,
            services.bus,
            after_seq=after,
            run_id=run_id,
            buffer=services.settings.streams.subscriber_buffer,
        )
        body = thread_body(
            follower,
            frames,
            first=connected + pending,
            heartbeat_s=services.settings.streams.heartbeat_seconds,
            heartbeat=HEARTBEAT,
            stop=_run_completed,
            streams=services.thread_streams,
        )
        return event_stream(body, watch=services.watch)

    async def _fold(
        self,
        run_id: str,
        sequences: ThreadSequences,
        after: int,
        after_index: int | None,
        wanted: list[str] | None,
    ) -> str:
        """Number the run's events through seq `after`; the frames of the lines of that
        event after line `after_index` (when it is a selected log chunk), else ""."""
        pending = ""
        replay = RunReplay(self.services.store, run_id, until=after)
        while batch := await replay.next_page():
            for event in batch:
                first = sequences.advance(event)
                if (
                    event.seq == after
                    and after_index is not None
                    and first
                    and selects(wanted, event.job_id or "")
                ):
                    pending = encode(event, first, after_index=after_index)
        return pending

    async def _any_frame(self, run_id: str, after: int, wanted: list[str] | None) -> bool:
        """Whether any selected thread event follows seq `after` in a finished run."""
        replay = RunReplay(self.services.store, run_id, after=after)
        while batch := await replay.next_page():
            if any(frame_count(e) and selects(wanted, e.job_id or "") for e in batch):
                return True
        return False


def parse_thread_ids(args: MultiDict[str, str]) -> list[str] | None:
    """`threadIds=a,b` -> ["a", "b"]; None without it. ApiError 400 when malformed."""
    for key in args:
        if key != "threadIds" and key.startswith("threadIds"):
            raise ApiError(
                400,
                "invalid_request_error",
                f"{key!r} is not accepted: give threadIds=a,b (comma-separated)",
            )
    raw = args.getlist("threadIds")
    if not raw:
        return None
    wanted: list[str] = []
    for value in raw:
        for item in value.split(","):
            item = item.strip()
            if not _THREAD_ID.fullmatch(item):
                raise ApiError(
                    400,
                    "invalid_request_error",
                    f"threadIds: {item!r} is not a thread id (give job ids, "
                    "comma-separated, e.g. threadIds=build,test.2)",
                )
            if item not in wanted:
                wanted.append(item)
    return wanted


def selects(wanted: list[str] | None, thread_id: str) -> bool:
    """A thread is selected by its id, or by a prefix ending before a `.` (a job key
    selects its matrix instances; a calling job, the called workflow's jobs)."""
    return wanted is None or any(thread_id == w or thread_id.startswith(w + ".") for w in wanted)


def _run_completed(event: Event) -> bool:
    return event.type is EventType.RUN_COMPLETED
