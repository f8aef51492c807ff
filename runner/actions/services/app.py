"""RunnerServices: the artifact and cache services as one plain ASGI app.

The daemon mounts it beside its own app (runner/api/runner_services.py); `stax run
--local` serves it from a loopback server in its own process (local_server.py).

Who may call what:
- the Host must be one this server answers to (DNS rebinding), and a request from a
  web page (it carries an Origin) is refused;
- the APIs need a runtime token this process signed (`Authorization: Bearer`), and
  reach only the token's run's artifacts and its job's cache scopes;
- a blob URL is its own credential: signed, expiring, read or write.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from runner.actions.services import artifact_routes, cache_routes
from runner.actions.services.artifacts import ArtifactStore
from runner.actions.services.blobs import azure_error, handle_blob
from runner.actions.services.cache import CacheStore
from runner.actions.services.cache_routes import CacheRoutes
from runner.actions.services.environment import SERVICES_PREFIX
from runner.actions.services.http import (
    ClientGone,
    Request,
    Response,
    ServiceError,
    json_response,
    send_response,
)
from runner.actions.services.tokens import TokenError, verify_path, verify_token

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from runner.actions.services.http import Receive, Scope, Send
    from runner.actions.services.tokens import RuntimeClaims

log = logging.getLogger("stax.services")

TWIRP_PREFIX = "/twirp/github.actions.results.api.v1."


class RunnerServices:
    """The ASGI app. `host_allowed(host_header, server_port)` says whether a request's
    Host names this server."""

    def __init__(
        self,
        *,
        data_dir: Path,
        key: bytes,
        cache_max_bytes: int,
        host_allowed: Callable[[str | None, int | None], bool],
        body_idle_timeout_s: float = 30.0,
        cache_dir: Path | None = None,
    ) -> None:
        self.key = key
        self.artifacts = ArtifactStore(data_dir)
        self.cache = CacheStore(cache_dir or data_dir / "cache", max_bytes=cache_max_bytes)
        self.cache_routes = CacheRoutes(self.cache, key)
        self.host_allowed = host_allowed
        self.body_idle_timeout_s = body_idle_timeout_s

    @staticmethod
    def handles(path: str) -> bool:
        """Whether a path is the services' (the daemon hands those to this app)."""
        return path.startswith((TWIRP_PREFIX, SERVICES_PREFIX))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive, idle_timeout_s=self.body_idle_timeout_s)
        try:
            self._check_caller(request)
            response = await self._route(request)
        except ServiceError as error:
            response = self._error(request, error)
        except ClientGone:
            return
        except Exception as exc:  # one request's failure, never the server's
            log.exception("the runner services failed on %s %s", request.method, request.path)
            response = self._error(
                request, ServiceError(500, "internal", f"internal error: {type(exc).__name__}")
            )
        close = not request.body_done and not await request.drain()
        await send_response(send, response, head=request.method == "HEAD", close=close)

    def _check_caller(self, request: Request) -> None:
        port = request.server[1] if request.server else None
        host = request.headers.get("host")
        if not self.host_allowed(host, port):
            raise ServiceError(
                403, "forbidden_host", f"Host {host!r} is not this server (DNS rebinding guard)"
            )
        if "origin" in request.headers:
            raise ServiceError(
                403, "forbidden_origin", "requests from web pages are refused (Origin is set)"
            )

    def _claims(self, request: Request) -> RuntimeClaims:
        token = request.bearer()
        if token is None:
            raise ServiceError(
                401, "unauthenticated", "a runtime token is required (ACTIONS_RUNTIME_TOKEN)"
            )
        try:
            return verify_token(self.key, token)
        except TokenError as exc:
            raise ServiceError(401, "unauthenticated", str(exc)) from None

    async def _route(self, request: Request) -> Response:
        path = request.path
        if path.startswith(TWIRP_PREFIX):
            return await self._twirp(request)
        if path.startswith(artifact_routes.BLOB_PREFIX):
            return await self._artifact_blob(request)
        if path.startswith(cache_routes.BLOB_PREFIX):
            return await self._cache_blob(request)
        if match := artifact_routes.PIPELINES.match(path):
            return await artifact_routes.pipelines(
                request, match.group(1), self._claims(request), self.artifacts
            )
        if match := artifact_routes.CONTAINERS.match(path):
            return await artifact_routes.containers(
                request,
                match.group(1),
                int(match.group(2)),
                bool(match.group(3)),
                self._claims(request),
                self.artifacts,
            )
        if path.startswith(cache_routes.V1_PREFIX):
            resource = path[len(cache_routes.V1_PREFIX) :]
            return await self.cache_routes.v1(request, resource, self._claims(request))
        raise ServiceError(404, "not_found", f"no runner service at {path}")

    async def _twirp(self, request: Request) -> Response:
        service, _, method = request.path[len("/twirp/") :].partition("/")
        if request.method != "POST":
            raise ServiceError(405, "bad_route", "Twirp methods are called with POST")
        claims = self._claims(request)
        if service == artifact_routes.ARTIFACT_SERVICE:
            payload = await artifact_routes.twirp(method, request, claims, self.artifacts, self.key)
        elif service == cache_routes.CACHE_SERVICE:
            payload = await self.cache_routes.twirp(method, request, claims)
        else:
            raise ServiceError(404, "bad_route", f"no Twirp service {service!r}")
        return json_response(200, payload)

    def _verify_url(self, request: Request) -> None:
        permission = "r" if request.method in ("GET", "HEAD") else "w"
        try:
            verify_path(self.key, request.path, request.query, permission)
        except TokenError as exc:
            raise ServiceError(403, "AuthenticationFailed", str(exc)) from None

    async def _artifact_blob(self, request: Request) -> Response:
        self._verify_url(request)
        ids = artifact_routes.parse_blob_path(request.path)
        artifact = self.artifacts.find(*ids) if ids is not None else None
        if artifact is None:
            raise ServiceError(404, "BlobNotFound", "no such artifact")
        return await handle_blob(request, self.artifacts.blob_slot(artifact))

    async def _cache_blob(self, request: Request) -> Response:
        self._verify_url(request)
        entry_id = cache_routes.parse_blob_path(request.path)
        entry = await self.cache.get(entry_id) if entry_id is not None else None
        if entry is None:
            raise ServiceError(404, "BlobNotFound", "no such cache entry (evicted?)")
        slot = (
            self.cache.upload_slot(entry) if request.method == "PUT" else self.cache.slot(entry.id)
        )
        return await handle_blob(request, slot)

    def _error(self, request: Request, error: ServiceError) -> Response:
        path = request.path
        if path.startswith((artifact_routes.BLOB_PREFIX, cache_routes.BLOB_PREFIX)):
            return azure_error(request, error)
        if path.startswith("/twirp/"):
            return json_response(error.status, {"code": error.code, "msg": error.message})
        return json_response(error.status, {"message": error.message, "typeKey": error.code})
