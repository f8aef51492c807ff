"""Skills (seed 002): list and describe skills, execute one, follow an execution as SSE.

    GET  /v1/skills                             the valid skills (and what is wrong with the rest)
    GET  /v1/skills/{skill_id}                  one skill, with its inputs' JSON Schema
    POST /v1/skills/{skill_id}/execute          {"inputs": {...}} -> {skill_id, status, outputs, trace_id}
    POST /v1/skills/{skill_id}/execute/stream   the same execution as Server-Sent Events
    GET  /v1/skills/executions/{trace_id}       a stored execution: result, channel, inputs, events

An execution is a run of the daemon's (runner.skills.launch), so it is in the
event log and every stream, and it belongs to the daemon, not to the request:
a client that goes away mid-stream leaves it running, and its result is kept.
Both execute routes follow the run's events (subscribe, then replay from where
the log stood before the run started: nothing can be missed) and project
those of the execution's trace (api/skill_events.py).

Before the first byte, in this order: the token (the app's guard: 401), the
rate limit of that token (429 with Retry-After), the skill (404), the body
(400 not JSON, 422 not an object), the inputs (422 listing every problem). The
stream refuses a Last-Event-ID (400): its frames have no id, and a retry carrying one
must not start the skill again.
Execute answers carry X-RateLimit-Limit/Remaining/Reset, errors included.
Errors are `{"error": {"type", "message"[, "problems"]}}`.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import trio
from quart import Blueprint, Response, current_app, request

from runner import json_text
from runner.api.app import authorized, error_response, register_error_format
from runner.api.openapi import (
    document,
    header_param,
    json_body,
    json_response,
    path_param,
    sse_response,
)
from runner.api.openapi import (
    error_response as documented_error,
)
from runner.api.rate_limit import RateDecision, RateLimiter
from runner.api.request_json import json_object
from runner.api.request_numbers import shown
from runner.api.skill_events import ExecutionView, payloads
from runner.api.sse import SSE_HEADERS, WireEvent, comment, dumps, event_stream, live_frames
from runner.definitions import ParseTimeout, load_skill_catalog
from runner.dotenv import read_dotenv
from runner.engine import new_run_id
from runner.errors import ApiError, InvalidField, RunError, StaxError
from runner.events.follow import REPLAY_PAGE_BYTES, Follower
from runner.skills import (
    CHANNEL_HEADER,
    InputProblems,
    describe_skill,
    execution_request,
    new_trace_id,
    resolve_skill_inputs,
    run_id_of_trace,
    skill_summary,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runner.api.app import Services
    from runner.events.types import Event
    from runner.expressions.values import JSONValue
    from runner.model import Skill
    from runner.skills import SkillCatalog

blueprint = Blueprint("skills", __name__)

_READ_PAGE = 1000


class InvalidInputs(ApiError):
    """422 whose body also lists each problem."""

    def __init__(self, problems: InputProblems) -> None:
        super().__init__(422, "invalid_request_error", str(problems))
        self.problems = problems.problems


def _error_body(error: ApiError) -> JSONValue:
    body: dict[str, JSONValue] = {"type": error.error_type, "message": error.message}
    if isinstance(error, InvalidInputs):
        body["problems"] = list(error.problems)
    elif isinstance(error, InvalidField):
        body["problems"] = [error.message]
    return {"error": body}


register_error_format("/v1/skills", _error_body)


def _services() -> Services:
    services: Services = current_app.config["STAX_DAEMON"]
    return services


async def _catalog(services: Services) -> SkillCatalog:
    """The skill catalog, built off the event loop (runner.definitions); 503 when building
    it takes longer than a request may wait."""
    settings = services.settings
    try:
        return await load_skill_catalog(
            settings.skills_dirs, timeout_s=settings.parse_timeout_seconds
        )
    except ParseTimeout as exc:
        raise ApiError(
            503, "unavailable", f"the skill files are still being parsed: {exc}"
        ) from None


def _json(
    payload: JSONValue, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json_text.dumps(payload, ascii=False),
        status=status,
        content_type="application/json",
        headers=headers,
    )


# -- reading ------------------------------------------------------------------------------


@blueprint.get("/v1/skills")
async def list_skills() -> Response:
    services = _services()
    catalog = await _catalog(services)
    return _json(
        {
            "skills": [skill_summary(skill) for skill in catalog.skills.values()],
            "errors": [str(error) for error in catalog.errors],
        }
    )


@blueprint.get("/v1/skills/<skill_id>")
async def show_skill(skill_id: str) -> Response:
    services = _services()
    skill = _require(await _catalog(services), skill_id)
    return _json(describe_skill(skill, services.settings.root))


@blueprint.get("/v1/skills/executions/<trace_id>")
async def get_execution(trace_id: str) -> Response:
    services = _services()
    run_id = run_id_of_trace(trace_id)
    if run_id is None:
        raise ApiError(404, "not_found_error", f"no skill execution {trace_id!r}")
    view = ExecutionView(trace_id)
    after = 0
    while True:
        events = await services.store.read_after(
            after, run_id=run_id, limit=_READ_PAGE, max_bytes=REPLAY_PAGE_BYTES
        )
        if not events:
            break
        for event in events:
            view.feed(event)
        after = events[-1].seq
    if view.started is None and view.completed is None:
        raise ApiError(404, "not_found_error", f"no skill execution {trace_id!r}")
    return _json(view.record(running=run_id in services.manager.active))


def _require(catalog: SkillCatalog, skill_id: str) -> Skill:
    skill = catalog.get(skill_id)
    if skill is None:
        raise ApiError(404, "not_found_error", catalog.missing_reason(skill_id))
    return skill


# -- executing ----------------------------------------------------------------------------


def project(event: Event) -> list[WireEvent]:
    """The SSE frames of one canonical skill event (skill.completed also gives `done`)."""
    return [WireEvent(kind, dumps(data)) for kind, data in payloads(event)]


@dataclass(slots=True, kw_only=True)
class _Started:
    skill: Skill
    run_id: str
    trace_id: str
    follower: Follower  # not entered yet: it replays from before the run started


@blueprint.post("/v1/skills/<skill_id>/execute")
async def execute(skill_id: str) -> Response:
    services = _services()
    decision = _rate_limit(services)
    if not decision.allowed:
        return _too_many(decision)
    try:
        started = await _start(services, skill_id, _channel("http"))
        result = await _wait(started)
    except ApiError as exc:
        return _with(error_response(exc), decision)
    return _json(result, headers=decision.headers())


async def _wait(started: _Started) -> dict[str, JSONValue]:
    """The execution's result, once its skill.completed is committed."""
    view = ExecutionView(started.trace_id, skill_id=started.skill.id)
    with started.follower as follower:
        while view.result is None:
            try:
                batch = await follower.next_batch()
            except trio.EndOfChannel:
                raise ApiError(
                    503, "unavailable", "the daemon stopped before the skill completed"
                ) from None
            for event in batch:
                view.feed(event)
        return view.result


@blueprint.post("/v1/skills/<skill_id>/execute/stream")
async def execute_stream(skill_id: str) -> Response:
    services = _services()
    resume = request.headers.get("Last-Event-ID", "").strip()
    if resume:
        # Its frames have no id (each POST is a new execution), so no id was issued to
        # resume from; a client retrying with one must not run the skill again.
        raise ApiError(
            400,
            "invalid_request_error",
            f"Last-Event-ID {shown(resume)}: this stream does not resume (each POST starts "
            "an execution); GET /v1/skills/executions/{trace_id} has an execution's events",
        )
    decision = _rate_limit(services)
    if not decision.allowed:
        return _too_many(decision)
    try:
        started = await _start(services, skill_id, _channel("http-stream"))
    except ApiError as exc:
        return _with(error_response(exc), decision)
    view = ExecutionView(started.trace_id, skill_id=started.skill.id)

    def encode(event: Event) -> str:
        return "".join(WireEvent(kind, dumps(data)).encode() for kind, data in view.feed(event))

    async def body() -> AsyncIterator[bytes]:
        with started.follower as follower:
            frames = live_frames(
                follower,
                encode,
                keepalive_s=services.settings.streams.heartbeat_seconds,
                keepalive=comment("keepalive"),
                stop=lambda _event: view.finished,
            )
            async with aclosing(frames):
                async for chunk in frames:
                    yield chunk

    return event_stream(body(), headers={**SSE_HEADERS, **decision.headers()})


async def _start(services: Services, skill_id: str, channel: str) -> _Started:
    """Check the request and start the execution's run; ApiError before anything starts."""
    skill = _require(await _catalog(services), skill_id)
    body = await json_object(empty_ok=True)
    given = body.get("inputs")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ApiError(422, "invalid_request_error", '"inputs" must be a JSON object')
    try:
        inputs = resolve_skill_inputs(skill, given, strict=True)
    except InputProblems as exc:
        raise InvalidInputs(exc) from None
    settings = services.settings
    run_id = new_run_id()
    trace_id = new_trace_id(run_id)
    try:
        secrets = read_dotenv(settings.secrets_file) if settings.secrets_file.is_file() else {}
    except StaxError as exc:
        raise ApiError(500, "internal_error", f"cannot read the secrets file: {exc}") from None
    run_request = execution_request(
        skill,
        inputs,
        channel=channel,
        workdir=settings.root,
        run_id=run_id,
        trace_id=trace_id,
        secrets=secrets,
    )
    # Where the log stands before the run exists: the follower replays from here.
    follower = Follower(
        services.store,
        services.bus,
        after_seq=services.store.last_seq,
        run_id=run_id,
        buffer=settings.streams.subscriber_buffer,
    )
    try:
        await services.manager.start(run_request)
    except RunError as exc:
        raise ApiError(422, "invalid_request_error", str(exc)) from None
    return _Started(skill=skill, run_id=run_id, trace_id=trace_id, follower=follower)


def _channel(default: str) -> str:
    return "cli" if request.headers.get(CHANNEL_HEADER, "").lower() == "cli" else default


def _rate_limit(services: Services) -> RateDecision:
    limiter: RateLimiter | None = current_app.config.get("STAX_SKILL_RATE_LIMITER")
    if limiter is None:
        limits = services.settings.rate_limit
        limiter = RateLimiter(limits.requests, limits.window_seconds)
        current_app.config["STAX_SKILL_RATE_LIMITER"] = limiter
    # The guard has checked the token; the dashboard's session cookie is one more key.
    key = authorized(services) or "dashboard-session"
    return limiter.hit(key)


def _too_many(decision: RateDecision) -> Response:
    error = ApiError(
        429,
        "rate_limit_error",
        f"rate limit exceeded: {decision.limit} executions per "
        f"{_settings_window()} s for this key; retry in {decision.retry_after_s} s",
    )
    return _with(error_response(error), decision)


def _settings_window() -> str:
    window = _services().settings.rate_limit.window_seconds
    return f"{window:g}"


def _with(response: Response, decision: RateDecision) -> Response:
    for name, value in decision.headers().items():
        response.headers[name] = value
    return response


# -- OpenAPI ------------------------------------------------------------------------------

_SECURED: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}, {"dashboardSession": []}]
_SKILL_ID = path_param(
    "skill_id", "a skill id (dotted)", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"}
)
_RATE_HEADERS = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Unix time (s)"},
}
_RESULT = {
    "type": "object",
    "required": ["skill_id", "status", "outputs", "trace_id"],
    "properties": {
        "skill_id": {"type": "string"},
        "status": {"type": "string", "enum": ["completed", "degraded", "failed", "cancelled"]},
        "outputs": {"type": "object"},
        "trace_id": {"type": "string"},
    },
}
_BODY = json_body(
    {"type": "object", "properties": {"inputs": {"type": "object"}}},
    required=False,
)


def _execute_responses(ok: dict[str, Any]) -> dict[str, Any]:
    too_many = documented_error("rate limit exceeded (Retry-After says when to retry)")
    too_many["headers"] = {**_RATE_HEADERS, "Retry-After": {"schema": {"type": "integer"}}}
    return {
        "200": {**ok, "headers": _RATE_HEADERS},
        "400": documented_error(
            "the body is not JSON; for the stream, also a Last-Event-ID (it does not resume)"
        ),
        "401": documented_error("token missing or wrong"),
        "404": documented_error("no such (valid) skill"),
        "422": documented_error("the body or the inputs do not fit (each problem listed)"),
        "429": too_many,
        "503": documented_error("the daemon is stopping or cannot record runs"),
    }


document(
    "/v1/skills",
    "get",
    {
        "summary": "The skills in the skill dirs (seed 002)",
        "responses": {"200": json_response("Skills, and problems of invalid skill files")},
    },
)
document(
    "/v1/skills/{skill_id}",
    "get",
    {
        "summary": "One skill, with its inputs' JSON Schema",
        "parameters": [_SKILL_ID],
        "responses": {
            "200": json_response("The skill"),
            "404": documented_error("no such (valid) skill"),
        },
    },
)
document(
    "/v1/skills/{skill_id}/execute",
    "post",
    {
        "summary": "Execute a skill and wait for its result",
        "security": _SECURED,
        "parameters": [_SKILL_ID, header_param(CHANNEL_HEADER, '"cli" for stax\'s own CLI')],
        "requestBody": _BODY,
        "responses": _execute_responses(json_response("The result", _RESULT)),
    },
)
document(
    "/v1/skills/{skill_id}/execute/stream",
    "post",
    {
        "summary": "Execute a skill and stream its events (Server-Sent Events, seed 002)",
        "security": _SECURED,
        "parameters": [
            _SKILL_ID,
            header_param(CHANNEL_HEADER, '"cli" for stax\'s own CLI'),
            header_param("Last-Event-ID", "refused (400): the stream does not resume"),
        ],
        "requestBody": _BODY,
        "responses": _execute_responses(
            sse_response("skill_start, step_*, skill_completed, then done (the result)")
        ),
    },
)
document(
    "/v1/skills/executions/{trace_id}",
    "get",
    {
        "summary": "A skill execution: its result (or running), channel, inputs and events",
        "parameters": [path_param("trace_id", "the execution's trace id")],
        "responses": {
            "200": json_response("The execution"),
            "404": documented_error("no such execution"),
        },
    },
)
