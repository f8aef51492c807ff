"""Skills (seed 002): list and describe skills, execute one, follow an execution as SSE.

    GET  /v1/skills                             the valid skills (and what is wrong with the rest)
    GET  /v1/skills/{skill_id}                  one skill, with its inputs' JSON Schema
    POST /v1/skills/{skill_id}/execute          {"inputs": {...}} -> {skill_id, status, outputs, trace_id}
    POST /v1/skills/{skill_id}/execute/stream   the same execution as Server-Sent Events
    GET  /v1/skills/executions/{trace_id}       a stored execution: result, channel, inputs, events

An execution is a run of the daemon's (runner.engine.skill_runs), so it is in the
event log and every stream, and it belongs to the daemon, not to the request:
a client that goes away mid-stream leaves it running, and its result is kept.
Both execute routes follow the run's events (subscribe, then replay from where
the log stood before the run started: nothing can be missed) and project
those of the execution's trace (projection.py).

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
from quart import Response, request

from runner.api.rate_limit import RateDecision, RateLimiter
from runner.api.request_json import json_object
from runner.api.request_numbers import shown
from runner.api.responses import ErrorFormat, as_api_error, error_response, json_response
from runner.api.routing import RouteGroup, get, post
from runner.api.skills.projection import ExecutionView
from runner.api.sse import SSE_HEADERS, WireEvent, comment, dumps
from runner.api.streaming import event_stream, live_frames
from runner.definitions import ParseTimeout
from runner.dotenv import read_dotenv
from runner.engine import execution_request, new_run_id
from runner.errors import ApiError, InvalidField, StaxError
from runner.events.follow import REPLAY_PAGE_BYTES, Follower
from runner.skills import (
    CHANNEL_HEADER,
    InputProblems,
    describe_skill,
    new_trace_id,
    resolve_skill_inputs,
    run_id_of_trace,
    skill_summary,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runner.api.services import Services
    from runner.events.types import Event
    from runner.expressions.values import JSONValue
    from runner.model import Skill
    from runner.skills import SkillCatalog

_READ_PAGE = 1000


class InvalidInputs(ApiError):
    """422 whose body also lists each problem."""

    def __init__(self, problems: InputProblems) -> None:
        super().__init__(422, "invalid_request_error", str(problems))
        self.problems = problems.problems


def skill_error(error: ApiError) -> JSONValue:
    """{"error": {"type", "message"[, "problems"]}}: a 422 lists each problem."""
    body: dict[str, JSONValue] = {"type": error.error_type, "message": error.message}
    if isinstance(error, InvalidInputs):
        body["problems"] = list(error.problems)
    elif isinstance(error, InvalidField):
        body["problems"] = [error.message]
    return {"error": body}


@dataclass(slots=True, kw_only=True)
class _Started:
    skill: Skill
    run_id: str
    trace_id: str
    follower: Follower  # not entered yet: it replays from before the run started


_ERRORS = ErrorFormat(("/v1/skills",), skill_error)


class SkillRoutes(RouteGroup):
    name = "skills"
    errors = _ERRORS

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        limits = services.settings.rate_limit
        self.limiter = RateLimiter(limits.requests, limits.window_seconds)  # of executions

    # -- reading --------------------------------------------------------------------------
    @get("/v1/skills")
    async def list_skills(self) -> Response:
        catalog = await self._catalog()
        return json_response(
            {
                "skills": [skill_summary(skill) for skill in catalog.skills.values()],
                "errors": [str(error) for error in catalog.errors],
            }
        )

    @get("/v1/skills/<skill_id>")
    async def show_skill(self, skill_id: str) -> Response:
        skill = _require(await self._catalog(), skill_id)
        return json_response(describe_skill(skill, self.services.settings.root))

    @get("/v1/skills/executions/<trace_id>")
    async def get_execution(self, trace_id: str) -> Response:
        services = self.services
        run_id = run_id_of_trace(trace_id)
        if run_id is None:
            raise ApiError(404, "not_found_error", f"no skill execution {trace_id!r}")
        view = ExecutionView(trace_id)
        after = 0
        while events := await services.store.read_after(
            after, run_id=run_id, limit=_READ_PAGE, max_bytes=REPLAY_PAGE_BYTES
        ):
            for event in events:
                view.feed(event)
            after = events[-1].seq
        if view.started is None and view.completed is None:
            raise ApiError(404, "not_found_error", f"no skill execution {trace_id!r}")
        return json_response(view.record(running=run_id in services.manager.active))

    # -- executing ------------------------------------------------------------------------
    @post("/v1/skills/<skill_id>/execute")
    async def execute(self, skill_id: str) -> Response:
        decision = self._rate_limit()
        if not decision.allowed:
            return self._too_many(decision)
        try:
            started = await self._start(skill_id, _channel("http"))
            result = await _wait(started)
        except ApiError as exc:
            return _with(error_response(exc, _ERRORS), decision)
        return json_response(result, headers=decision.headers())

    @post("/v1/skills/<skill_id>/execute/stream")
    async def execute_stream(self, skill_id: str) -> Response:
        resume = request.headers.get("Last-Event-ID", "").strip()
        if resume:
            # Its frames have no id (each POST is a new execution), so no id was issued to
            # resume from; a client retrying with one must not run the skill again.
            raise ApiError(
                400,
                "invalid_request_error",
                f"Last-Event-ID {shown(resume)}: this stream does not resume (each POST "
                "starts an execution); GET /v1/skills/executions/{trace_id} has an "
                "execution's events",
            )
        decision = self._rate_limit()
        if not decision.allowed:
            return self._too_many(decision)
        try:
            started = await self._start(skill_id, _channel("http-stream"))
        except ApiError as exc:
            return _with(error_response(exc, _ERRORS), decision)
        return event_stream(
            self._stream_body(started),
            watch=self.services.watch,
            headers={**SSE_HEADERS, **decision.headers()},
        )

    async def _stream_body(self, started: _Started) -> AsyncIterator[bytes]:
        view = ExecutionView(started.trace_id, skill_id=started.skill.id)

        def encode(event: Event) -> str:
            wire = view.feed(event)
            return "".join(WireEvent(kind, dumps(data)).encode() for kind, data in wire)

        with started.follower as follower:
            frames = live_frames(
                follower,
                encode,
                keepalive_s=self.services.settings.streams.heartbeat_seconds,
                keepalive=comment("keepalive"),
                stop=lambda _event: view.finished,
            )
            async with aclosing(frames):
                async for chunk in frames:
                    yield chunk

    async def _start(self, skill_id: str, channel: str) -> _Started:
        """Check the request and start the execution's run; ApiError before anything
        starts."""
        services = self.services
        skill = _require(await self._catalog(), skill_id)
        inputs = _inputs(skill, await json_object(empty_ok=True))
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
        except StaxError as exc:  # a bad request (422), or no run may start now (503)
            raise as_api_error(exc) from None
        return _Started(skill=skill, run_id=run_id, trace_id=trace_id, follower=follower)

    async def _catalog(self) -> SkillCatalog:
        """The skill catalog, built off the event loop (runner.definitions); 503 when
        building it takes longer than a request may wait."""
        settings = self.services.settings
        try:
            return await self.services.definitions.load_skill_catalog(
                settings.skills_dirs, timeout_s=settings.parse_timeout_seconds
            )
        except ParseTimeout as exc:
            raise ApiError(
                503, "unavailable", f"the skill files are still being parsed: {exc}"
            ) from None

    def _rate_limit(self) -> RateDecision:
        # The guard has checked the token; the dashboard's session cookie is one more key.
        return self.limiter.hit(self.services.token_of(request.headers) or "dashboard-session")

    def _too_many(self, decision: RateDecision) -> Response:
        window = self.services.settings.rate_limit.window_seconds
        error = ApiError(
            429,
            "rate_limit_error",
            f"rate limit exceeded: {decision.limit} executions per {window:g} s for this "
            f"key; retry in {decision.retry_after_s} s",
        )
        return _with(error_response(error, _ERRORS), decision)


def _require(catalog: SkillCatalog, skill_id: str) -> Skill:
    skill = catalog.get(skill_id)
    if skill is None:
        raise ApiError(404, "not_found_error", catalog.missing_reason(skill_id))
    return skill


def _inputs(skill: Skill, body: dict[str, Any]) -> dict[str, JSONValue]:
    """The body's `inputs`, checked against the skill's (422 listing every problem)."""
    given = body.get("inputs")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ApiError(422, "invalid_request_error", '"inputs" must be a JSON object')
    try:
        return resolve_skill_inputs(skill, given, strict=True)
    except InputProblems as exc:
        raise InvalidInputs(exc) from None


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


def _channel(default: str) -> str:
    return "cli" if request.headers.get(CHANNEL_HEADER, "").lower() == "cli" else default


def _with(response: Response, decision: RateDecision) -> Response:
    for name, value in decision.headers().items():
        response.headers[name] = value
    return response
