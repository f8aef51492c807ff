"""Where a run's steps find the services, and the ACTIONS_* variables that say so.

`ServiceAccess` travels with a run request (into the engine process, too): the
services' origin and the key that signs runtime tokens. `RunServices` is the engine's
side of it for one run: the variables every step gets, with a token minted per job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.actions.services.tokens import CacheScope, RuntimeClaims, mint_token

if TYPE_CHECKING:
    from collections.abc import Callable

# The path prefix of every service route but Twirp's (which the clients put at the root).
SERVICES_PREFIX = "/_services/"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceAccess:
    """The services' origin (`http://127.0.0.1:PORT`) and the key their tokens are signed
    with. (The key never reaches a step: only tokens signed with it do.)"""

    url: str
    key: bytes = field(repr=False)

    def run_environment(self) -> dict[str, str]:
        """The variables that are the same for every job of a run."""
        base = self.url.rstrip("/")
        return {
            "ACTIONS_RUNTIME_URL": f"{base}{SERVICES_PREFIX}",
            "ACTIONS_RESULTS_URL": f"{base}/",
            "ACTIONS_CACHE_URL": f"{base}{SERVICES_PREFIX}",
            "ACTIONS_CACHE_SERVICE_V2": "true",
        }


def cache_scopes(*, ref: str, base_ref: str, default_branch: str) -> tuple[CacheScope, ...]:
    """The refs a run's jobs restore caches from, in GitHub's order: the run's own ref
    (the only one they save to), a pull request's base branch, the default branch."""
    own = ref or f"refs/heads/{default_branch}"
    scopes = [CacheScope(scope=own, writable=True)]
    for branch in (base_ref, default_branch):
        scope = f"refs/heads/{branch}" if branch else ""
        if scope and all(s.scope != scope for s in scopes):
            scopes.append(CacheScope(scope=scope))
    return tuple(scopes)


class RunServices:
    """The ACTIONS_* environment of one run's steps. Each job gets a token of its own
    (its id is in the token's scopes); `on_token` is told each one, to mask it."""

    def __init__(
        self,
        access: ServiceAccess,
        *,
        run_id: str,
        scopes: tuple[CacheScope, ...],
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        self.access = access
        self.run_id = run_id
        self.scopes = scopes
        self.on_token = on_token
        self._run_env = access.run_environment()
        self._tokens: dict[str, str] = {}

    def job_environment(self, job_id: str) -> dict[str, str]:
        token = self._tokens.get(job_id)
        if token is None:
            claims = RuntimeClaims(run_id=self.run_id, job_id=job_id, cache_scopes=self.scopes)
            token = self._tokens[job_id] = mint_token(self.access.key, claims)
            if self.on_token is not None:
                self.on_token(token)
        return {**self._run_env, "ACTIONS_RUNTIME_TOKEN": token}
