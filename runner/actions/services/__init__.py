"""The runner services the official actions call: artifacts (upload-artifact and
download-artifact, v4 and v3) and the cache (actions/cache, v2 and v1).

One implementation (an ASGI app), served two ways: by the daemon from its own port, and
for `stax run --local` by a loopback server in the run's process, started only when the
run needs it. Steps find them through the ACTIONS_* variables the runner sets.

Other packages import from here. The cheap names (what the engine needs to set a
step's environment, and the decision whether a run needs the services at all) load
with the package; the server side loads on first use, so a run that needs no
services never imports it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runner.actions.services.environment import (
    SERVICE_ENVIRONMENT,
    SERVICES_PREFIX,
    RunServices,
    ServiceAccess,
    cache_scopes,
)
from runner.actions.services.needs import SERVICE_VARIABLES, needs_services
from runner.actions.services.tokens import (
    CacheScope,
    RuntimeClaims,
    TokenError,
    mint_token,
    new_key,
    verify_token,
)

if TYPE_CHECKING:
    from runner.actions.services.app import RunnerServices
    from runner.actions.services.artifacts import Artifact, ArtifactStore
    from runner.actions.services.local_server import LocalServices

_LAZY = {
    "RunnerServices": "runner.actions.services.app",
    "Artifact": "runner.actions.services.artifacts",
    "ArtifactStore": "runner.actions.services.artifacts",
    "LocalServices": "runner.actions.services.local_server",
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
    "TokenError",
    "cache_scopes",
    "mint_token",
    "needs_services",
    "new_key",
    "verify_token",
]
