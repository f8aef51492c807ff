"""Session threads (seed 001): the Managed Agents session API shape over runs.

A run is a session (`sess_<runId>`), the run itself its primary thread, each job a
child thread (ids: objects.py; events: projection.py). Routes:

    GET /v1/sessions                                      {data, next_page, prev_page}
    GET /v1/sessions/{id}                                 a session
    GET /v1/sessions/{id}/threads?statuses[]=             {data, next_page}
    GET /v1/sessions/{id}/threads/{tid}                   a thread
    GET /v1/sessions/{id}/threads/{tid}/events?limit=&page=   {data, next_page}
    GET /v1/sessions/{id}/threads/{tid}/stream            SSE: the thread's history, then live
    GET /v1/sessions/{id}/events/stream                   SSE: every thread of the session

Every route needs `Authorization: Bearer <token>` (or `x-api-key`): the daemon's token
or one listed in stax.toml, else 401. Errors anywhere under /v1/sessions are
{"type": "error", "error": {"type", "message"}}: 400 invalid_request_error, 401
authentication_error, 404 not_found_error. Streams take `type=a,b` or repeated
`types[]=`, accept `text/event-stream` or `application/json` (what the SDK sends), and
resume after `Last-Event-ID`, which must name an event of that thread (400 otherwise).
Frames: `id: <event id>`, `event: <type>`, `data: <the event object>`; `: ping`
comments keep an idle stream open. A stream ends after its run's last event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import Response, request

from runner.api.request_numbers import int_arg, parse_uint, shown
from runner.api.responses import ErrorFormat, json_response
from runner.api.routing import RouteGroup, get
from runner.api.sessions.objects import (
    THREAD_STATUSES,
    job_of_thread,
    job_thread,
    primary_thread,
    primary_thread_id,
    run_id_of,
    session_object,
    threads,
)
from runner.api.sessions.streams import SessionReader, SessionView, list_arg, type_filter
from runner.errors import ApiError

if TYPE_CHECKING:
    from runner.api.services import Services
    from runner.expressions.values import JSONValue

_RUN_STATUSES = {
    "idle": ("queued",),
    "running": ("in_progress",),
    "terminated": ("completed",),
    "rescheduling": (),
}


def session_error(error: ApiError) -> JSONValue:
    """The `anthropic` SDK's error body: {"type": "error", "error": {"type", "message"}}."""
    return {"type": "error", "error": {"type": error.error_type, "message": error.message}}


class SessionRoutes(RouteGroup):
    name = "sessions"
    errors = ErrorFormat(("/v1/sessions",), session_error)

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.reader = SessionReader(services)

    async def before_request(self) -> None:
        if self.services.token_of(request.headers) is None:
            raise ApiError(
                401,
                "authentication_error",
                "a valid token is required: Authorization: Bearer <token> (the "
                "daemon's, in <data_dir>/token, or one listed in stax.toml)",
            )

    @get("/v1/sessions")
    async def list_sessions(self) -> Response:
        store = self.services.store
        limit = _limit(20, 1000)
        page = request.args.get("page") or None
        before = parse_uint(page) if page is not None else None
        if page is not None and before is None:
            raise ApiError(
                400, "invalid_request_error", f"page: {shown(page)} is not a page cursor"
            )
        statuses = _statuses()
        if statuses is None:
            runs = await store.list_runs(limit=limit + 1, before_seq=before)
        else:
            runs = []
            for status in sorted(statuses):
                for run_status in _RUN_STATUSES[status]:
                    runs.extend(
                        await store.list_runs(limit=limit + 1, before_seq=before, status=run_status)
                    )
            runs.sort(key=_first_seq, reverse=True)
        data, more = runs[:limit], len(runs) > limit
        return json_response(
            {
                "data": [session_object(r) for r in data],
                "next_page": str(data[-1]["first_seq"]) if more else None,
                "prev_page": None,
            }
        )

    @get("/v1/sessions/<session>")
    async def get_session(self, session: str) -> Response:
        return json_response(session_object(await self._run(session)))

    @get("/v1/sessions/<session>/threads")
    async def list_threads(self, session: str) -> Response:
        run = await self._run(session)
        limit = _limit(1000, 1000)
        statuses = _statuses()
        page = request.args.get("page") or None
        every = threads(run)
        if page is not None:
            ids = [t["id"] for t in every]
            if page not in ids:
                raise ApiError(400, "invalid_request_error", f"page: {page!r} is not a page cursor")
            every = every[ids.index(page) + 1 :]
        chosen = [t for t in every if statuses is None or t["status"] in statuses]
        data, more = chosen[:limit], len(chosen) > limit
        return json_response({"data": data, "next_page": data[-1]["id"] if more else None})  # type: ignore[dict-item]

    @get("/v1/sessions/<session>/threads/<thread>")
    async def get_thread(self, session: str, thread: str) -> Response:
        return json_response(_thread(await self._run(session), thread))

    @get("/v1/sessions/<session>/threads/<thread>/events")
    async def list_thread_events(self, session: str, thread: str) -> Response:
        run = await self._run(session)
        _thread(run, thread)
        view = SessionView(str(run["id"]), thread, type_filter(request.args))
        limit = _limit(1000, 1000)
        page, cursor = await self.reader.read_page(view, request.args.get("page") or None, limit)
        return json_response({"data": [e.body for e in page], "next_page": cursor})

    @get("/v1/sessions/<session>/threads/<thread>/stream")
    async def stream_thread(self, session: str, thread: str) -> Response:
        run = await self._run(session)
        _thread(run, thread)
        view = SessionView(str(run["id"]), thread, type_filter(request.args))
        return await self.reader.stream(
            view, request.headers.get("Last-Event-ID"), last_seq=_last_seq(run)
        )

    @get("/v1/sessions/<session>/events/stream")
    async def stream_session(self, session: str) -> Response:
        run = await self._run(session)
        view = SessionView(str(run["id"]), None, type_filter(request.args))
        return await self.reader.stream(
            view, request.headers.get("Last-Event-ID"), last_seq=_last_seq(run)
        )

    async def _run(self, session: str) -> dict[str, JSONValue]:
        """The run snapshot (with jobs) a session id names, else 404."""
        run_id = run_id_of(session)
        run = await self.services.store.get_run(run_id) if run_id else None
        active = self.services.manager.active.get(run_id) if run_id else None
        if active is not None and active.record is not None:
            # Started a moment ago: its first events (the run's, or its jobs') may not be
            # committed yet, but its threads exist from the start.
            live: list[JSONValue] = [job.snapshot() for job in active.record.jobs.values()]
            if run is None:
                run = active.record.snapshot()
                run["jobs"] = live
            else:
                stored = run.get("jobs")
                jobs = list(stored) if isinstance(stored, list) else []
                known = {job.get("id") for job in jobs if isinstance(job, dict)}
                run["jobs"] = jobs + [
                    job for job in live if isinstance(job, dict) and job.get("id") not in known
                ]
        if run is None:
            raise ApiError(404, "not_found_error", f"no session {session!r}")
        return run


# -- query parameters ------------------------------------------------------------------
def _limit(default: int, maximum: int) -> int:
    return int_arg(request.args, "limit", default, 1, maximum)


def _statuses() -> frozenset[str] | None:
    statuses = list_arg(request.args, "statuses")
    for value in statuses:
        if value not in THREAD_STATUSES:
            raise ApiError(
                400,
                "invalid_request_error",
                f"statuses: {value!r} is not one of {', '.join(THREAD_STATUSES)}",
            )
    return frozenset(statuses) or None


# -- lookups ---------------------------------------------------------------------------
def _last_seq(run: dict[str, JSONValue]) -> int | None:
    """The seq of a finished run's last event (None while it runs)."""
    last = run.get("last_seq")
    return last if run.get("status") == "completed" and isinstance(last, int) else None


def _thread(run: dict[str, JSONValue], thread_id: str) -> dict[str, JSONValue]:
    """The thread object `thread_id` of the run, else 404."""
    if thread_id == primary_thread_id(str(run["id"])):
        return primary_thread(run)
    job = job_of_thread(run, thread_id)
    if job is None:
        raise ApiError(
            404, "not_found_error", f"session {run.get('id')!r} has no thread {thread_id!r}"
        )
    return job_thread(run, job)


def _first_seq(run: dict[str, JSONValue]) -> int:
    seq = run.get("first_seq")
    return seq if isinstance(seq, int) else 0
