"""create_app(): the one Quart-Trio app serving every endpoint family.

Guards run before every route: the Host check (DNS rebinding), the Origin
check (cross-site requests) and, for mutating requests (and for reads when
stax.toml asks), the token. Errors leave as JSON with the right status, in
the error format of the family the path belongs to (ERROR_FORMATS); a traceback never
reaches a client. An unexpected exception is a 500 for that request only:
the `crash` handler answers those raised by a route or a guard, and
runner/api/last_resort.py, around the whole app, anything raised outside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from runner.api import faults
from runner.api.agent.routes import AgentRoutes
from runner.api.auth import allowed_hosts, check_host, check_origin, is_loopback
from runner.api.dashboard.routes import DashboardRoutes
from runner.api.executions.routes import ExecutionRoutes
from runner.api.last_resort import LastResort
from runner.api.login import COOKIE_NAME, session_valid
from runner.api.openapi import OpenApiRoutes
from runner.api.responses import (
    REST_ERRORS,
    ErrorFormat,
    as_api_error,
    error_response,
    error_text,
)
from runner.api.runner_events.routes import RunnerEventRoutes
from runner.api.runner_services import ServicesMount
from runner.api.runs.artifacts import ArtifactRoutes
from runner.api.runs.routes import RunRoutes
from runner.api.sessions.routes import SessionRoutes
from runner.api.skills.routes import SkillRoutes
from runner.api.whole_body import WholeBody
from runner.errors import ApiError, StaxError

if TYPE_CHECKING:
    from quart import Response

    from runner.api.last_resort import ASGIApp
    from runner.api.routing import RouteGroup
    from runner.api.services import Services

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The largest request body any route accepts (bodies are small JSON documents).
MAX_BODY_BYTES = 4 * 1024 * 1024

FAMILIES: tuple[type[RouteGroup], ...] = (
    RunnerEventRoutes,
    RunRoutes,
    ArtifactRoutes,
    OpenApiRoutes,
    ExecutionRoutes,
    SessionRoutes,
    SkillRoutes,
    AgentRoutes,
    DashboardRoutes,
)
# Path prefix -> that family's error body, as each family declares it; a path no family
# claims gets REST_ERRORS.
ERROR_FORMATS: tuple[ErrorFormat, ...] = tuple(
    family.errors for family in FAMILIES if family.errors is not None
)
# Endpoints that answer without a token whatever the settings (health checks, the
# dashboard's pages and login).
PUBLIC_ENDPOINTS = frozenset().union(*(family.public_endpoints() for family in FAMILIES))


def error_format(path: str) -> ErrorFormat:
    """The error format of the family `path` belongs to."""
    return next((f for f in ERROR_FORMATS if f.claims(path)), REST_ERRORS)


def create_app(services: Services) -> QuartTrio:
    """The app, its routes bound to `services`, wrapped in the middleware that answers
    before it (the body limit and deadline, the runner services' paths) and after it
    (the last resort)."""
    app = QuartTrio("stax")
    app.url_map.converters["int"] = _DecimalInt
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    _guard(app, services)
    _answer_errors(app, services)
    for family in FAMILIES:
        app.register_blueprint(family(services).blueprint())
    if faults.enabled():  # tests only (runner/api/faults.py)
        faults.inject_faults(app)
    body: ASGIApp = WholeBody(
        app.asgi_app,
        limit=MAX_BODY_BYTES,
        timeout_s=services.settings.connections.body_timeout_seconds,
        refusal=_refusal,
    )
    if services.runner_services is not None:  # past the body limit, with their own auth
        body = ServicesMount(body, services.runner_services)
    app.asgi_app = LastResort(body, error_body=_refusal)  # type: ignore[method-assign]
    return app


def _guard(app: QuartTrio, services: Services) -> None:
    settings = services.settings
    reads_need_token = settings.auth.read == "token" or not is_loopback(settings.host)

    @app.before_request
    async def guard() -> None:
        server = request.scope.get("server")
        port = server[1] if server and server[1] is not None else settings.port
        allowed = allowed_hosts(settings.host, int(port))
        check_host(request.headers.get("Host"), allowed)
        check_origin(request.headers.get("Origin"), allowed)
        needs_token = request.method not in _SAFE_METHODS or reads_need_token
        if (
            needs_token
            and getattr(request.url_rule, "endpoint", "") not in PUBLIC_ENDPOINTS
            and services.token_of(request.headers) is None
            and not session_valid(request.cookies.get(COOKIE_NAME), services.token)
        ):
            raise ApiError(
                401,
                "authentication_error",
                "a valid token is required (Authorization: Bearer <token> or "
                "x-api-key: <token>; the daemon's is in <data_dir>/token)",
            )


def _answer_errors(app: QuartTrio, services: Services) -> None:
    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> Response:
        return _error_response(error)

    @app.errorhandler(StaxError)
    async def stax_error(error: StaxError) -> Response:
        return _error_response(as_api_error(error))

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        kind = _HTTP_ERRORS.get(status, "http_error")
        response = _error_response(ApiError(status, kind, error.description or error.name))
        valid = getattr(error, "valid_methods", None)
        if status == 405 and valid:
            response.headers["Allow"] = ", ".join(sorted(valid))  # RFC 9110
        return response

    @app.errorhandler(Exception)
    async def crash(error: Exception) -> Response:
        health = services.store.health
        if health.noticed(error):  # a damaged page: the store is degraded
            return _error_response(ApiError(503, "store_unavailable", health.problem or ""))
        app.logger.exception("unhandled error", exc_info=error)
        return _error_response(
            ApiError(500, "internal_error", f"internal error: {type(error).__name__}")
        )


_HTTP_ERRORS = {
    400: "invalid_request_error",
    404: "not_found_error",
    405: "method_not_allowed",
    413: "request_too_large",
}


def _error_response(error: ApiError) -> Response:
    return error_response(error, error_format(request.path if request else ""))


class _DecimalInt(IntegerConverter):
    """`<int:...>` in a route: ASCII digits, at most 18 (werkzeug's takes any Unicode
    digit and any length, and int() of 5,000 digits raised while matching the URL)."""

    regex = r"[0-9]{1,18}"


_REFUSALS = {413: "request_too_large", 408: "request_timeout", 500: "internal_error"}


def _refusal(path: str, status: int, message: str) -> str:
    """The body of an answer the middleware gives before (or after) the app."""
    return error_text(ApiError(status, _REFUSALS[status], message), error_format(path))
