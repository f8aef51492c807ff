"""Agent Protocol (seed 004): threads of runs, their commands and their event stream.

Routes (the LangGraph SDK's `client.threads.stream(...)` flow and what it reads):

    POST /threads                              create {thread_id?, metadata?, if_exists?}
    GET  /threads/{thread_id}                  the thread
    GET  /threads/{thread_id}/state            its state (the SDK's `thread.values`/`output`)
    POST /assistants/search                    the workflows {graph_id?, name?, metadata?,
                                               limit?, offset?}
    GET  /assistants/{assistant_id}            one workflow
    POST /threads/{thread_id}/commands         {id, method, params} (commands.py)
    POST /threads/{thread_id}/stream/events    {channels, namespaces?, depth?, since?}: SSE
                                               (projection.py, streams.py)

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

from quart import Response, request

from runner.api.agent.commands import run_command
from runner.api.agent.streams import parse_stream_request, plan_stream, stream_body
from runner.api.agent.threads import (
    AgentThreads,
    assistant_object,
    assistants,
    find_assistant,
    latest_run,
    owner_of,
    thread_object,
    thread_state,
)
from runner.api.agent.wire import STRIDE
from runner.api.request_json import json_object
from runner.api.responses import ErrorFormat, json_response
from runner.api.routing import RouteGroup, get, post
from runner.api.streaming import check_issued, event_stream
from runner.errors import ApiError, InvalidField

if TYPE_CHECKING:
    from runner.api.services import Services
    from runner.events.thread_store import ThreadRecord
    from runner.expressions.values import JSONValue

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


class AgentRoutes(RouteGroup):
    name = "agent_protocol"
    errors = ErrorFormat(("/threads", "/assistants"), langgraph_error)

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.threads = AgentThreads(services.agent_threads)

    async def before_request(self) -> None:
        if not self.services.settings.agent_protocol:
            raise ApiError(
                503,
                "unavailable",
                "the Agent Protocol is turned off (agent_protocol = false in stax.toml)",
            )
        if self.services.token_of(request.headers) is None:
            raise ApiError(
                401,
                "authentication_error",
                "a valid token is required: x-api-key: <token> (the SDK's api_key) or "
                "Authorization: Bearer <token> (the daemon's, in <data_dir>/token)",
            )

    # -- threads ---------------------------------------------------------------------------
    @post("/threads")
    async def create_thread(self) -> Response:
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
            raise InvalidField(
                ("body", "if_exists"), 'must be "raise" or "do_nothing"', kind="enum"
            )
        owner = self._owner()
        thread, created = await self.threads.store.create(
            _checked_id(thread_id), owner=owner, metadata=metadata
        )
        if not created and (if_exists == "raise" or thread.owner != owner):
            raise ApiError(409, "conflict", f"thread {thread_id!r} already exists")
        return json_response(thread_object(thread, await latest_run(self.services, thread)))

    @get("/threads/<thread_id>")
    async def get_thread(self, thread_id: str) -> Response:
        thread = await self._own_thread(thread_id)
        assert thread is not None
        return json_response(thread_object(thread, await latest_run(self.services, thread)))

    @get("/threads/<thread_id>/state")
    async def get_thread_state(self, thread_id: str) -> Response:
        thread = await self._own_thread(thread_id)
        assert thread is not None
        return json_response(thread_state(thread, await latest_run(self.services, thread)))

    # -- assistants ------------------------------------------------------------------------
    @post("/assistants/search")
    async def search_assistants(self) -> Response:
        settings = self.services.settings
        body = await _body()
        limit, offset = body.get("limit", 10), body.get("offset", 0)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidField(("body", "limit"), "must be an integer from 1 to 1000")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidField(("body", "offset"), "must be a non-negative integer")
        found = []
        for assistant in await assistants(self.services):
            item = assistant_object(assistant, settings)
            if _matches(item, assistant.id, body):
                found.append(item)
        page = found[offset : offset + limit]
        more = offset + limit < len(found)
        headers = {"X-Pagination-Next": str(offset + limit)} if more else None
        return json_response(page, headers=headers)  # type: ignore[arg-type]

    @get("/assistants/<assistant_id>")
    async def get_assistant(self, assistant_id: str) -> Response:
        settings = self.services.settings
        assistant = await find_assistant(self.services, assistant_id)
        if assistant is None:
            raise ApiError(
                404, "not_found_error", f"no assistant (workflow) named {assistant_id!r}"
            )
        return json_response(assistant_object(assistant, settings))

    # -- commands and the event stream -----------------------------------------------------
    @post("/threads/<thread_id>/commands")
    async def thread_command(self, thread_id: str) -> Response:
        body = await _body()
        await self._own_thread(thread_id, may_be_new=True)
        # Protocol errors ride HTTP 200: the SDK reads the envelope, not the status.
        return json_response(
            await run_command(self.services, self.threads, thread_id, self._owner(), body)
        )

    @post("/threads/<thread_id>/stream/events")
    async def thread_events(self, thread_id: str) -> Response:
        services = self.services
        body = await _body()
        stream_request = parse_stream_request(body, request.headers.get("Last-Event-ID"))
        if stream_request.since is not None:
            given = f"since {stream_request.since}"
            await check_issued(services.store, stream_request.since // STRIDE, given)
        await self._own_thread(thread_id, may_be_new=True)
        stream = await plan_stream(
            services, self.threads.store, thread_id, self._owner(), stream_request
        )
        return event_stream(stream_body(stream), watch=services.watch)

    def _owner(self) -> str:
        token = self.services.token_of(request.headers)
        assert token is not None  # the guard let the request through
        return owner_of(token)

    async def _own_thread(self, thread_id: str, *, may_be_new: bool = False) -> ThreadRecord | None:
        """The caller's thread; 404 when another token owns it, or when there is none and
        the route needs one."""
        thread = await self.threads.store.get(_checked_id(thread_id))
        if (thread is None and not may_be_new) or (
            thread is not None and thread.owner != self._owner()
        ):
            raise ApiError(404, "not_found_error", f"no thread {thread_id!r}")
        return thread


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


def _matches(item: dict[str, JSONValue], assistant_id: str, body: dict[str, Any]) -> bool:
    """Whether an assistant passes /assistants/search's filters: graph_id (exactly), name
    (a part of its name or id, any case), metadata (every key given, equal)."""
    graph_id, name, metadata = body.get("graph_id"), body.get("name"), body.get("metadata")
    shown = item["metadata"]
    assert isinstance(shown, dict)
    if graph_id is not None and item["graph_id"] != graph_id:
        return False
    if isinstance(name, str) and name.lower() not in f"{item['name']} {assistant_id}".lower():
        return False
    return not (isinstance(metadata, dict) and any(shown.get(k) != v for k, v in metadata.items()))
