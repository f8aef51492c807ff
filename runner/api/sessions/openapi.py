"""The session threads' part of the OpenAPI document (seed 001)."""

from __future__ import annotations

from runner.api.openapi_fragment import (
    Fragment,
    Operation,
    error_response,
    header_param,
    json_response,
    path_param,
    query_param,
    sse_response,
)

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

FRAGMENT = Fragment(
    operations=(
        Operation(
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
        ),
        Operation(
            "/v1/sessions/{session}",
            "get",
            {
                "summary": "A run as a session",
                "security": _SECURED,
                "parameters": [_SESSION],
                "responses": {"200": json_response("The session"), **_ERRORS},
            },
        ),
        Operation(
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
        ),
        Operation(
            "/v1/sessions/{session}/threads/{thread}",
            "get",
            {
                "summary": "One thread",
                "security": _SECURED,
                "parameters": [_SESSION, _THREAD_ID],
                "responses": {"200": json_response("The thread"), **_ERRORS},
            },
        ),
        Operation(
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
        ),
        Operation(
            "/v1/sessions/{session}/threads/{thread}/stream",
            "get",
            {
                "summary": "A thread's events: its history, then live",
                "security": _SECURED,
                "parameters": [_SESSION, _THREAD_ID, *_STREAM_PARAMS],
                "responses": {"200": sse_response("session events"), **_ERRORS},
            },
        ),
        Operation(
            "/v1/sessions/{session}/events/stream",
            "get",
            {
                "summary": "Every thread's events of a session: history, then live",
                "security": _SECURED,
                "parameters": [_SESSION, *_STREAM_PARAMS],
                "responses": {"200": sse_response("session events"), **_ERRORS},
            },
        ),
    ),
)
