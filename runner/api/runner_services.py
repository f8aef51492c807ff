"""The runner services (runner.actions.services) on the daemon's own port.

The paths they own (/twirp/github.actions.results.api.v1.* and /_services/…) go
straight to their ASGI app, in front of the daemon's: their bodies are artifact and
cache uploads, far over the 4 MiB the daemon's own routes accept, and they answer in
the formats their clients read (Twirp, Azure Storage, the pipelines API). They keep
the daemon's Host check and authenticate by the runtime token, not the daemon token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.actions.services.app import RunnerServices
from runner.api.auth import allowed_hosts

if TYPE_CHECKING:
    from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope

    from runner.api.whole_body import ASGIApp
    from runner.config import Settings


def runner_services(settings: Settings, key: bytes) -> RunnerServices:
    """The daemon's services: artifacts and cache in its data dir, answering to the
    addresses the daemon answers to."""

    def host_allowed(host: str | None, port: int | None) -> bool:
        allowed = allowed_hosts(settings.host, port if port is not None else settings.port)
        return host is not None and host.lower() in allowed

    return RunnerServices(
        data_dir=settings.data_dir,
        key=key,
        cache_max_bytes=int(settings.services.cache_size_mb * 1024 * 1024),
        host_allowed=host_allowed,
        body_idle_timeout_s=settings.connections.body_timeout_seconds,
    )


class ServicesMount:
    """ASGI: the services' paths to them, every other request to the daemon's app."""

    def __init__(self, app: ASGIApp, services: RunnerServices) -> None:
        self.app = app
        self.services = services

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http" and RunnerServices.handles(scope["path"]):
            await self.services(scope, receive, send)  # type: ignore[arg-type]
        else:
            await self.app(scope, receive, send)
