"""The runner services the official actions call: artifacts (upload-artifact and
download-artifact, v4 and v3) and the cache (actions/cache, v2 and v1).

One implementation (an ASGI app), served two ways: by the daemon from its own port, and
for `stax run --local` by a loopback server in the run's process, started only when the
run needs it. Steps find them through the ACTIONS_* variables the runner sets.

Other packages import from here. Only the decision whether a run needs the services
(and the names of their variables) loads with the package: every run makes it. The
rest loads on first use, so a run that needs no services imports none of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runner.actions.services.needs import SERVICE_ENVIRONMENT, SERVICE_VARIABLES, needs_services

if TYPE_CHECKING:
    from runner.actions.services.app import RunnerServices
    from runner.actions.services.artifacts import Artifact, ArtifactStore
    from runner.actions.services.environment import (
        SERVICES_PREFIX,
        RunServices,
        ServiceAccess,
        cache_scopes,
    )
    from runner.actions.services.http import ServiceError
    from runner.actions.services.local_server import LocalServices
    from runner.actions.services.tokens import (
        CacheScope,
        RuntimeClaims,
        TokenError,
        mint_token,
        new_key,
        verify_token,
    )

_LAZY = {
    "RunnerServices": "runner.actions.services.app",
    "Artifact": "runner.actions.services.artifacts",
    "ArtifactStore": "runner.actions.services.artifacts",
    "SERVICES_PREFIX": "runner.actions.services.environment",
    "RunServices": "runner.actions.services.environment",
    "ServiceAccess": "runner.actions.services.environment",
    "cache_scopes": "runner.actions.services.environment",
    "ServiceError": "runner.actions.services.http",
    "LocalServices": "runner.actions.services.local_server",
    "CacheScope": "runner.actions.services.tokens",
    "RuntimeClaims": "runner.actions.services.tokens",
    "TokenError": "runner.actions.services.tokens",
    "mint_token": "runner.actions.services.tokens",
    "new_key": "runner.actions.services.tokens",
    "verify_token": "runner.actions.services.tokens",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner.actions.services' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "SERVICES_PREFIX",
    "SERVICE_ENVIRONMENT",
    "SERVICE_VARIABLES",
    "Artifact",
    "ArtifactStore",
    "CacheScope",
    "LocalServices",
    "RunServices",
    "RunnerServices",
    "RuntimeClaims",
    "ServiceAccess",
    "ServiceError",
    "TokenError",
    "cache_scopes",
    "mint_token",
    "needs_services",
    "new_key",
    "verify_token",
]
