"""The runner services the official actions call: artifacts (upload-artifact and
download-artifact, v4 and v3) and the cache (actions/cache, v2 and v1).

One implementation (an ASGI app), served two ways: by the daemon from its own port, and
for `stax run --local` by a loopback server in the run's process, started only when the
run needs it. Steps find them through the ACTIONS_* variables the runner sets.

Other packages import from here. Only the decision whether a run needs the services
(and the names of their variables) loads with the package: every run makes it. The
rest is imported on first use (`__getattr__`), so a run that needs no services imports
none of it. The services themselves are imported from their modules by the code that
serves them:

    runner.actions.services.app            RunnerServices, the ASGI app
    runner.actions.services.local_server   LocalServices, its loopback server for a local run
    runner.actions.services.artifacts      Artifact, ArtifactStore
    runner.actions.services.http           ServiceError
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.actions.services.needs import SERVICE_ENVIRONMENT, SERVICE_VARIABLES, needs_services

if TYPE_CHECKING:
    from runner.actions.services.environment import (
        SERVICES_PREFIX,
        RunServices,
        ServiceAccess,
        cache_scopes,
    )
    from runner.actions.services.tokens import (
        CacheScope,
        RuntimeClaims,
        TokenError,
        mint_token,
        new_key,
        verify_token,
    )

_ENVIRONMENT = frozenset({"SERVICES_PREFIX", "RunServices", "ServiceAccess", "cache_scopes"})
_TOKENS = frozenset(
    {"CacheScope", "RuntimeClaims", "TokenError", "mint_token", "new_key", "verify_token"}
)


def __getattr__(name: str) -> object:
    if name in _ENVIRONMENT:
        from runner.actions.services import environment

        return getattr(environment, name)
    if name in _TOKENS:
        from runner.actions.services import tokens

        return getattr(tokens, name)
    raise AttributeError(f"module 'runner.actions.services' has no attribute {name!r}")


__all__ = [
    "SERVICES_PREFIX",
    "SERVICE_ENVIRONMENT",
    "SERVICE_VARIABLES",
    "CacheScope",
    "RunServices",
    "RuntimeClaims",
    "ServiceAccess",
    "TokenError",
    "cache_scopes",
    "mint_token",
    "needs_services",
    "new_key",
    "verify_token",
]
