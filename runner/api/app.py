"""create_app(): the one Quart-Trio app serving every endpoint family.

Guards run before every route: the Host check (DNS rebinding), the Origin
check (cross-site requests) and, for mutating requests (and for reads when
stax.toml asks), the token. Errors leave as JSON with the right status, in
the error format of the family the path belongs to; a traceback never
reaches a client. An unexpected exception is a 500 for that request only:
the `crash` handler answers those raised by a route or a guard, and
runner/api/last_resort.py, around the whole app, anything raised outside them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quart import Response, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from runner import __version__, json_text
from runner.api import faults
from runner.api.auth import (
    allowed_hosts,
    check_host,
    check_origin,
    is_loopback,
    presented_token,
    token_matches,
)
from runner.api.last_resort import LastResort
from runner.api.request_body import WholeBody
from runner.errors import ApiError, StaxError
from runner.expressions.values import JSONValue

if TYPE_CHECKING:
    from runner.actions.services import RunnerServices
    from runner.api.last_resort import ASGIApp
    from runner.api.sse import StreamWatch
    from runner.config import Settings
    from runner.engine.manager import Runs
    from runner.events.bus import Bus
    from runner.events.store import EventStore
    from runner.events.thread_store import ThreadStore

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The largest request body any route accepts (bodies are small JSON documents).
MAX_BODY_BYTES = 4 * 1024 * 1024

ErrorFormat = Callable[[ApiError], JSONValue]


@dataclass(slots=True, kw_only=True)
class Services:
    """What the routes reach: owned by the daemon, shared by every request."""

    settings: Settings
    store: EventStore
    bus: Bus
    manager: Runs
    token: str
    threads: ThreadStore
    watch: StreamWatch
    runner: RunnerServices | None = None  # artifacts and cache, for the runs' steps
    started_at: float = field(default_factory=time.time)

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token, *self.settings.auth.tokens)


def rest_error(error: ApiError) -> JSONValue:
    return {"error": {"type": error.error_type, "message": error.message}}


# Path prefix -> that family's error body. The first match wins.
ERROR_FORMATS: list[tuple[str, ErrorFormat]] = []


def register_error_format(prefix: str, fmt: ErrorFormat) -> None:
    ERROR_FORMATS.insert(0, (prefix, fmt))


def error_response(error: ApiError) -> Response:
    path = request.path if request else ""
    response = Response(
        error_text(path, error), status=error.status, content_type="application/json"
    )
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stax"'
    return response


def error_text(path: str, error: ApiError) -> str:
    """The error's JSON body in the format of the family `path` belongs to."""
    fmt = next((f for prefix, f in ERROR_FORMATS if path.startswith(prefix)), rest_error)
    return _json_text(fmt(error))


def _json_text(payload: JSONValue) -> str:
    return json_text.dumps(payload)


def authorized(services: Services) -> str | None:
    """The token the request presents, if it is an accepted one."""
    given = presented_token(request.headers.get("Authorization"), request.headers.get("x-api-key"))
    return token_matches(given, services.tokens)


def dashboard_session(req: Any) -> bool:
    """True when the request carries the dashboard's session cookie (see api/dashboard.py)."""
    from runner.api.dashboard import session_authorized

    return session_authorized(req)


def create_app(services: Services) -> QuartTrio:
    from runner.api import (
        agent_protocol,
        artifacts,
        dashboard,
        executions,
        openapi,
        rest,
        runner_events,
        sessions,
        skills,
    )

    app = QuartTrio("stax")
    app.url_map.converters["int"] = _DecimalInt
    app.config["STAX_DAEMON"] = services
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
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
            and getattr(request.url_rule, "endpoint", "") not in _PUBLIC
            and authorized(services) is None
            and not dashboard_session(request)
        ):
            raise ApiError(
                401,
                "authentication_error",
                "a valid token is required (Authorization: Bearer <token> or "
                "x-api-key: <token>; the daemon's is in <data_dir>/token)",
            )

    @app.errorhandler(ApiError)
    async def api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(StaxError)
    async def stax_error(error: StaxError) -> Response:
        return error_response(ApiError(422, "invalid_request_error", str(error)))

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        kinds = {
            400: "invalid_request_error",
            404: "not_found_error",
            405: "method_not_allowed",
            413: "request_too_large",
        }
        response = error_response(
            ApiError(status, kinds.get(status, "http_error"), error.description or error.name)
        )
        valid = getattr(error, "valid_methods", None)
        if status == 405 and valid:
            response.headers["Allow"] = ", ".join(sorted(valid))  # RFC 9110
        return response

    @app.errorhandler(Exception)
    async def crash(error: Exception) -> Response:
        if services.store.health.noticed(error):  # a damaged page: the store is degraded
            return error_response(
                ApiError(503, "store_unavailable", services.store.health.problem or "")
            )
        app.logger.exception("unhandled error", exc_info=error)
        return error_response(
            ApiError(500, "internal_error", f"internal error: {type(error).__name__}")
        )

    for family in (
        runner_events,
        rest,
        openapi,
        executions,
        sessions,
        skills,
        agent_protocol,
        artifacts,
        dashboard,
    ):
        app.register_blueprint(family.blueprint)
    if faults.enabled():  # tests only (runner/api/faults.py)
        faults.inject_faults(app)
    body: ASGIApp = WholeBody(
        app.asgi_app,
        limit=MAX_BODY_BYTES,
        timeout_s=settings.connections.body_timeout_seconds,
        refusal=_refusal,
    )
    if services.runner is not None:  # the runner services: past the body limit, own auth
        from runner.api.runner_services import ServicesMount

        body = ServicesMount(body, services.runner)
    app.asgi_app = LastResort(body, error_body=_refusal)  # type: ignore[method-assign]
    return app


class _DecimalInt(IntegerConverter):
    """`<int:...>` in a route: ASCII digits, at most 18 (werkzeug's takes any Unicode
    digit and any length, and int() of 5,000 digits raised while matching the URL)."""

    regex = r"[0-9]{1,18}"


_REFUSALS = {413: "request_too_large", 408: "request_timeout", 500: "internal_error"}


def _refusal(path: str, status: int, message: str) -> str:
    return error_text(path, ApiError(status, _REFUSALS[status], message))


# Endpoints that answer without a token whatever the settings (health checks).
_PUBLIC = frozenset(
    {
        "rest.health",
        "dashboard.login",
        "dashboard.page",
        "dashboard.asset",
        "dashboard.favicon",
        "dashboard.session",
    }
)


def version_info() -> dict[str, Any]:
    return {"name": "stax", "version": __version__}
