"""Session threads (seed 001): the Managed Agents session API shape over runs.

A run is a session (`sess_<runId>`), the run itself its primary thread, each job a
child thread (ids: session_objects.py; events: session_events.py). Routes:

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

from quart import Blueprint, Response, current_app, request

from runner import json_text
from runner.api.app import authorized, register_error_format
from runner.api.openapi import (
    document,
    error_response,
    header_param,
    json_response,
    path_param,
    query_param,
    sse_response,
)
from runner.api.request_numbers import int_arg, parse_uint, shown
from runner.api.session_objects import (
    THREAD_STATUSES,
    job_of_thread,
    job_thread,
    primary_thread,
    primary_thread_id,
    run_id_of,
    session_object,
    threads,
)
from runner.api.session_streams import SessionView, list_arg, read_page, stream, type_filter
from runner.errors import ApiError

if TYPE_CHECKING:
    from runner.api.app import Services
    from runner.expressions.values import JSONValue

blueprint = Blueprint("sessions", __name__)

_RUN_STATUSES = {
    "idle": ("queued",),
    "running": ("in_progress",),
    "terminated": ("completed",),
    "rescheduling": (),
}


def anthropic_error(error: ApiError) -> JSONValue:
    return {"type": "error", "error": {"type": error.error_type, "message": error.message}}


register_error_format("/v1/sessions", anthropic_error)


def _services() -> Services:
    services: Services = current_app.config["STAX_DAEMON"]
    return services


@blueprint.before_request
async def require_token() -> None:
    if authorized(_services()) is None:
        raise ApiError(
            401,
            "authentication_error",
            "a valid token is required: Authorization: Bearer <token> (the "
            "daemon's, in <data_dir>/token, or one listed in stax.toml)",
        )


def _json(payload: JSONValue) -> Response:
    return Response(json_text.dumps(payload), status=200, content_type="application/json")


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
async def _run(services: Services, session: str) -> dict[str, JSONValue]:
    """The run snapshot (with jobs) a session id names, else 404."""
    run_id = run_id_of(session)
    run = await services.store.get_run(run_id) if run_id else None
    active = services.manager.active.get(run_id) if run_id else None
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


# -- routes ----------------------------------------------------------------------------
@blueprint.get("/v1/sessions")
async def list_sessions() -> Response:
    services = _services()
    limit = _limit(20, 1000)
    page = request.args.get("page") or None
    before = parse_uint(page) if page is not None else None
    if page is not None and before is None:
        raise ApiError(400, "invalid_request_error", f"page: {shown(page)} is not a page cursor")
    statuses = _statuses()
    if statuses is None:
        runs = await services.store.list_runs(limit=limit + 1, before_seq=before)
    else:
        runs = []
        for status in sorted(statuses):
            for run_status in _RUN_STATUSES[status]:
                runs.extend(
                    await services.store.list_runs(
                        limit=limit + 1, before_seq=before, status=run_status
                    )
                )
        runs.sort(key=_first_seq, reverse=True)
    data, more = runs[:limit], len(runs) > limit
    return _json(
        {
            "data": [session_object(r) for r in data],
            "next_page": str(data[-1]["first_seq"]) if more else None,
            "prev_page": None,
        }
    )


def _first_seq(run: dict[str, JSONValue]) -> int:
    seq = run.get("first_seq")
    return seq if isinstance(seq, int) else 0


@blueprint.get("/v1/sessions/<session>")
async def get_session(session: str) -> Response:
    return _json(session_object(await _run(_services(), session)))


@blueprint.get("/v1/sessions/<session>/threads")
async def list_threads(session: str) -> Response:
    run = await _run(_services(), session)
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
    return _json({"data": data, "next_page": data[-1]["id"] if more else None})  # type: ignore[dict-item]


@blueprint.get("/v1/sessions/<session>/threads/<thread>")
async def get_thread(session: str, thread: str) -> Response:
    return _json(_thread(await _run(_services(), session), thread))


@blueprint.get("/v1/sessions/<session>/threads/<thread>/events")
async def list_thread_events(session: str, thread: str) -> Response:
    services = _services()
    run = await _run(services, session)
    _thread(run, thread)
    view = SessionView(str(run["id"]), thread, type_filter(request.args))
    limit = _limit(1000, 1000)
    page, cursor = await read_page(services, view, request.args.get("page") or None, limit)
    return _json({"data": [e.body for e in page], "next_page": cursor})


@blueprint.get("/v1/sessions/<session>/threads/<thread>/stream")
async def stream_thread(session: str, thread: str) -> Response:
    services = _services()
    run = await _run(services, session)
    _thread(run, thread)
    view = SessionView(str(run["id"]), thread, type_filter(request.args))
    return await stream(
        services, view, request.headers.get("Last-Event-ID"), last_seq=_last_seq(run)
    )


@blueprint.get("/v1/sessions/<session>/events/stream")
async def stream_session(session: str) -> Response:
    services = _services()
    run = await _run(services, session)
    view = SessionView(str(run["id"]), None, type_filter(request.args))
    return await stream(
        services, view, request.headers.get("Last-Event-ID"), last_seq=_last_seq(run)
    )


# -- OpenAPI ---------------------------------------------------------------------------
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
_SESSION = path_param("session", "session id (sess_<runId>)")
_THREAD_ID = path_param("thread", "thread id (sthr_...)")
_ERRORS = {
    "400": error_response("bad parameter, Last-Event-ID or page cursor"),
    "401": error_response("token missing or wrong"),
    "404": error_response("no such session or thread"),
}
_STREAM_PARAMS = [
    query_param("type", "comma-separated event types"),
    query_param("types[]", "an event type (repeat for more)"),
    header_param("Last-Event-ID", "resume after this event (sevt_...)"),
]

document(
    "/v1/sessions",
    "get",
    {
        "summary": "Runs as sessions, newest first (seed 001)",
        "security": _SECURED,
        "parameters": [
            query_param("limit", "page size (1..1000, default 20)"),
            query_param("page", "cursor from next_page"),
            query_param("statuses[]", "running|idle|terminated (repeat for more)"),
        ],
        "responses": {"200": json_response("{data, next_page, prev_page}"), **_ERRORS},
    },
)
document(
    "/v1/sessions/{session}",
    "get",
    {
        "summary": "A run as a session",
        "security": _SECURED,
        "parameters": [_SESSION],
        "responses": {"200": json_response("The session"), **_ERRORS},
    },
)
document(
    "/v1/sessions/{session}/threads",
    "get",
    {
        "summary": "The session's threads: the run (primary), then its jobs",
        "security": _SECURED,
        "parameters": [
            _SESSION,
            query_param("limit", "page size (1..1000)"),
            query_param("page", "cursor from next_page"),
            query_param("statuses[]", "running|idle|rescheduling|terminated"),
        ],
        "responses": {"200": json_response("{data, next_page}"), **_ERRORS},
    },
)
document(
    "/v1/sessions/{session}/threads/{thread}",
    "get",
    {
        "summary": "One thread",
        "security": _SECURED,
        "parameters": [_SESSION, _THREAD_ID],
        "responses": {"200": json_response("The thread"), **_ERRORS},
    },
)
document(
    "/v1/sessions/{session}/threads/{thread}/events",
    "get",
    {
        "summary": "A thread's events, oldest first, in pages",
        "security": _SECURED,
        "parameters": [
            _SESSION,
            _THREAD_ID,
            query_param("limit", "page size (1..1000)"),
            query_param("page", "cursor from next_page (an event id)"),
            *_STREAM_PARAMS[:2],
        ],
        "responses": {"200": json_response("{data, next_page}"), **_ERRORS},
    },
)
document(
    "/v1/sessions/{session}/threads/{thread}/stream",
    "get",
    {
        "summary": "A thread's events: its history, then live",
        "security": _SECURED,
        "parameters": [_SESSION, _THREAD_ID, *_STREAM_PARAMS],
        "responses": {"200": sse_response("session events"), **_ERRORS},
    },
)
document(
    "/v1/sessions/{session}/events/stream",
    "get",
    {
        "summary": "Every thread's events of a session: history, then live",
        "security": _SECURED,
        "parameters": [_SESSION, *_STREAM_PARAMS],
        "responses": {"200": sse_response("session events"), **_ERRORS},
    },
)
