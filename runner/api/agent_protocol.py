"""Agent Protocol (seed 004): threads of runs, their commands and their event stream.

Routes (the LangGraph SDK's `client.threads.stream(...)` flow and what it reads):

    POST /threads                              create {thread_id?, metadata?, if_exists?}
    GET  /threads/{thread_id}                  the thread
    GET  /threads/{thread_id}/state            its state (the SDK's `thread.values`/`output`)
    POST /assistants/search                    the workflows {graph_id?, name?, metadata?,
                                               limit?, offset?}
    GET  /assistants/{assistant_id}            one workflow
    POST /threads/{thread_id}/commands         {id, method, params} (agent_commands.py)
    POST /threads/{thread_id}/stream/events    {channels, namespaces?, depth?, since?}: SSE
                                               (agent_events.py, agent_streams.py)

Every route needs a token (`Authorization: Bearer` or `x-api-key`, the SDK's
`api_key`), else 401; a thread another token owns is 404. `agent_protocol = false`
in stax.toml turns the family off: 503. HTTP errors are {"error": type, "detail":
message}, except 422 (a body, or a thread id, that does not validate), which is the
seed's HTTPValidationError {"detail": [{"loc", "msg", "type"}]}. The stream and the commands accept a thread id
that does not exist yet (the SDK mints it and `run.start` creates the thread).
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from quart import Blueprint, Response, current_app, request

from runner import json_text
from runner.api.agent_commands import run_command
from runner.api.agent_events import STRIDE
from runner.api.agent_streams import parse_stream_request, plan_stream, stream_body
from runner.api.agent_threads import (
    agent_threads,
    assistant_object,
    assistants,
    find_assistant,
    latest_run,
    owner_of,
    thread_object,
    thread_state,
)
from runner.api.app import authorized, register_error_format
from runner.api.openapi import (
    document,
    error_response,
    json_body,
    json_response,
    path_param,
    register_error_schema,
)
from runner.api.request_json import json_object
from runner.api.sse import check_issued, event_stream
from runner.errors import ApiError, InvalidField

if TYPE_CHECKING:
    from runner.api.app import Services
    from runner.events.thread_store import ThreadRecord
    from runner.expressions.values import JSONValue

blueprint = Blueprint("agent_protocol", __name__)

_THREAD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def langgraph_error(error: ApiError) -> JSONValue:
    """A 422 is the seed's HTTPValidationError, {"detail": [{"loc", "msg", "type"}]};
    any other error is {"error": type, "detail": message}."""
    if error.status == 422:
        if isinstance(error, InvalidField):
            loc, msg, kind = error.loc, error.detail, error.kind
        else:
            loc, msg, kind = ("body",), error.message, "value_error"
        return {"detail": [{"loc": list(loc), "msg": msg, "type": kind}]}
    return {"error": error.error_type, "detail": error.message}


LANGGRAPH_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
}
# Seed 004's HTTPValidationError, as its OpenAPI document has it.
HTTP_VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "title": "HTTPValidationError",
    "properties": {
        "detail": {
            "type": "array",
            "title": "Detail",
            "items": {
                "type": "object",
                "title": "ValidationError",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "title": "Location",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string", "title": "Message"},
                    "type": {"type": "string", "title": "Error Type"},
                    "input": {"title": "Input"},
                    "ctx": {"type": "object", "title": "Context"},
                },
            },
        }
    },
}

for _prefix in ("/threads", "/assistants"):
    register_error_format(_prefix, langgraph_error)
    register_error_schema(
        _prefix, LANGGRAPH_ERROR_SCHEMA, by_status={"422": HTTP_VALIDATION_ERROR_SCHEMA}
    )


def _services() -> Services:
    services: Services = current_app.config["STAX_DAEMON"]
    return services


@blueprint.before_request
async def guard() -> None:
    services = _services()
    if not services.settings.agent_protocol:
        raise ApiError(
            503,
            "unavailable",
            "the Agent Protocol is turned off (agent_protocol = false in stax.toml)",
        )
    if authorized(services) is None:
        raise ApiError(
            401,
            "authentication_error",
            "a valid token is required: x-api-key: <token> (the SDK's api_key) or "
            "Authorization: Bearer <token> (the daemon's, in <data_dir>/token)",
        )


def _owner() -> str:
    token = authorized(_services())
    assert token is not None  # the guard let the request through
    return owner_of(token)


def _json(payload: JSONValue, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json_text.dumps(payload),
        status=status,
        content_type="application/json",
        headers=headers,
    )


async def _body() -> dict[str, Any]:
    """The JSON object the request carries ({} when empty); 422 otherwise (seed 004)."""
    return await json_object(empty_ok=True, not_json_status=422)


def _checked_id(thread_id: str) -> str:
    if not _THREAD_ID.fullmatch(thread_id):
        raise InvalidField(
            ("path", "thread_id"),
            f"{thread_id[:140]!r} is not a thread id: 1-128 letters, digits, '.', '_', ':' or '-'",
        )
    return thread_id


async def _own_thread(thread_id: str, *, may_be_new: bool = False) -> ThreadRecord | None:
    """The caller's thread; 404 when another token owns it, or when there is none and
    the route needs one."""
    threads = await agent_threads(_services())
    thread = await threads.store.get(_checked_id(thread_id))
    if (thread is None and not may_be_new) or (thread is not None and thread.owner != _owner()):
        raise ApiError(404, "not_found_error", f"no thread {thread_id!r}")
    return thread


# -- threads -----------------------------------------------------------------------------
@blueprint.post("/threads")
async def create_thread() -> Response:
    services = _services()
    body = await _body()
    thread_id = body.get("thread_id")
    thread_id = str(uuid.uuid4()) if thread_id is None else thread_id
    metadata = body.get("metadata")
    metadata = {} if metadata is None else metadata
    if_exists = body.get("if_exists") or "raise"
    if not isinstance(thread_id, str):
        raise InvalidField(("body", "thread_id"), "must be a string", kind="string_type")
    if not isinstance(metadata, dict):
        raise InvalidField(("body", "metadata"), "must be an object", kind="dict_type")
    if if_exists not in ("raise", "do_nothing"):
        raise InvalidField(("body", "if_exists"), 'must be "raise" or "do_nothing"', kind="enum")
    threads = await agent_threads(services)
    owner = _owner()
    thread, created = await threads.store.create(
        _checked_id(thread_id), owner=owner, metadata=metadata
    )
    if not created and (if_exists == "raise" or thread.owner != owner):
        raise ApiError(409, "conflict", f"thread {thread_id!r} already exists")
    return _json(thread_object(thread, await latest_run(services, thread)))


@blueprint.get("/threads/<thread_id>")
async def get_thread(thread_id: str) -> Response:
    thread = await _own_thread(thread_id)
    assert thread is not None
    return _json(thread_object(thread, await latest_run(_services(), thread)))


@blueprint.get("/threads/<thread_id>/state")
async def get_thread_state(thread_id: str) -> Response:
    thread = await _own_thread(thread_id)
    assert thread is not None
    return _json(thread_state(thread, await latest_run(_services(), thread)))


# -- assistants --------------------------------------------------------------------------
@blueprint.post("/assistants/search")
async def search_assistants() -> Response:
    settings = _services().settings
    body = await _body()
    limit, offset = body.get("limit", 10), body.get("offset", 0)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidField(("body", "limit"), "must be an integer from 1 to 1000")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidField(("body", "offset"), "must be a non-negative integer")
    graph_id, name, metadata = body.get("graph_id"), body.get("name"), body.get("metadata")
    found = []
    for assistant in await assistants(settings):
        item = assistant_object(assistant, settings)
        shown = item["metadata"]
        assert isinstance(shown, dict)
        if graph_id is not None and item["graph_id"] != graph_id:
            continue
        if isinstance(name, str) and name.lower() not in f"{item['name']} {assistant.id}".lower():
            continue
        if isinstance(metadata, dict) and any(shown.get(k) != v for k, v in metadata.items()):
            continue
        found.append(item)
    page = found[offset : offset + limit]
    more = offset + limit < len(found)
    headers = {"X-Pagination-Next": str(offset + limit)} if more else None
    return _json(page, headers=headers)  # type: ignore[arg-type]


@blueprint.get("/assistants/<assistant_id>")
async def get_assistant(assistant_id: str) -> Response:
    settings = _services().settings
    assistant = await find_assistant(settings, assistant_id)
    if assistant is None:
        raise ApiError(404, "not_found_error", f"no assistant (workflow) named {assistant_id!r}")
    return _json(assistant_object(assistant, settings))


# -- commands and the event stream ---------------------------------------------------------
@blueprint.post("/threads/<thread_id>/commands")
async def thread_command(thread_id: str) -> Response:
    services = _services()
    body = await _body()
    await _own_thread(thread_id, may_be_new=True)
    threads = await agent_threads(services)
    # Protocol errors ride HTTP 200: the SDK reads the envelope, not the status.
    return _json(await run_command(services, threads, thread_id, _owner(), body))


@blueprint.post("/threads/<thread_id>/stream/events")
async def thread_events(thread_id: str) -> Response:
    services = _services()
    body = await _body()
    stream_request = parse_stream_request(body, request.headers.get("Last-Event-ID"))
    if stream_request.since is not None:
        given = f"since {stream_request.since}"
        await check_issued(services.store, stream_request.since // STRIDE, given)
    await _own_thread(thread_id, may_be_new=True)
    threads = await agent_threads(services)
    stream = await plan_stream(services, threads.store, thread_id, _owner(), stream_request)
    return event_stream(stream_body(stream))


# -- OpenAPI -----------------------------------------------------------------------------
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
_THREAD = path_param("thread_id", "the thread's id (client-chosen or a UUID)")
_COMMON = {
    "401": error_response("token missing or wrong"),
    "503": error_response("the Agent Protocol is turned off in stax.toml"),
}
_OBJECT: dict[str, Any] = {"type": "object"}

document(
    "/threads",
    "post",
    {
        "summary": "Create an agent-protocol thread (a container of runs)",
        "security": _SECURED,
        "requestBody": json_body(
            {
                "type": "object",
                "properties": {
                    "thread_id": {"type": "string"},
                    "metadata": _OBJECT,
                    "if_exists": {"enum": ["raise", "do_nothing"]},
                },
            },
            required=False,
        ),
        "responses": {
            "200": json_response("The thread"),
            "409": error_response("a thread with this id exists"),
            "422": error_response("malformed body or thread id"),
            **_COMMON,
        },
    },
)
document(
    "/threads/{thread_id}",
    "get",
    {
        "summary": "A thread: metadata, status, its latest run as `values`",
        "security": _SECURED,
        "parameters": [_THREAD],
        "responses": {
            "200": json_response("The thread"),
            "404": error_response("no such thread (or another token's)"),
            "422": error_response("not a valid thread id"),
            **_COMMON,
        },
    },
)
document(
    "/threads/{thread_id}/state",
    "get",
    {
        "summary": "A thread's state: values, next (unfinished jobs), tasks (waiting jobs)",
        "security": _SECURED,
        "parameters": [_THREAD],
        "responses": {
            "200": json_response("The thread state"),
            "404": error_response("no such thread (or another token's)"),
            "422": error_response("not a valid thread id"),
            **_COMMON,
        },
    },
)
document(
    "/assistants/search",
    "post",
    {
        "summary": "The assistants: one per workflow, assistant_id = the workflow's name",
        "security": _SECURED,
        "requestBody": json_body(
            {
                "type": "object",
                "properties": {
                    "graph_id": {"type": "string"},
                    "name": {"type": "string"},
                    "metadata": _OBJECT,
                    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "offset": {"type": "integer", "minimum": 0},
                },
            },
            required=False,
        ),
        "responses": {
            "200": json_response(
                "An array of assistants (X-Pagination-Next: the next offset)",
                {"type": "array", "items": {"type": "object"}},
            ),
            "422": error_response("malformed body"),
            **_COMMON,
        },
    },
)
document(
    "/assistants/{assistant_id}",
    "get",
    {
        "summary": "One assistant (workflow)",
        "security": _SECURED,
        "parameters": [path_param("assistant_id", "the workflow's name")],
        "responses": {
            "200": json_response("The assistant"),
            "404": error_response("no such workflow"),
            **_COMMON,
        },
    },
)
document(
    "/threads/{thread_id}/commands",
    "post",
    {
        "summary": "Run a thread command: run.start, input.respond",
        "security": _SECURED,
        "parameters": [_THREAD],
        "requestBody": json_body(
            {
                "type": "object",
                "required": ["id", "method"],
                "properties": {
                    "id": {"type": "integer", "minimum": 0},
                    "method": {"type": "string"},
                    "params": _OBJECT,
                },
            }
        ),
        "responses": {
            "200": json_response(
                "The response envelope: {type: success, id, result, meta?} or "
                "{type: error, id, error, message}"
            ),
            "404": error_response("the thread belongs to another token"),
            "422": error_response("the body is not a JSON object"),
            **_COMMON,
        },
    },
)
document(
    "/threads/{thread_id}/stream/events",
    "post",
    {
        "summary": "The thread's events (every run on it), channel-filtered, as SSE",
        "security": _SECURED,
        "parameters": [_THREAD],
        "requestBody": json_body(
            {
                "type": "object",
                "required": ["channels"],
                "properties": {
                    "channels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "namespaces": {
                        "type": ["array", "null"],
                        "items": {"type": "array", "items": {"type": "string"}},
                    },
                    "depth": {"type": ["integer", "null"], "minimum": 0},
                    "since": {"type": ["integer", "null"], "minimum": 0},
                },
            }
        ),
        "responses": {
            "200": {
                "description": "event: <method>, data: <envelope>, id: <seq>",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            "400": error_response("empty or unknown channel"),
            "404": error_response("the thread belongs to another token"),
            "422": error_response("malformed body"),
            **_COMMON,
        },
    },
)
