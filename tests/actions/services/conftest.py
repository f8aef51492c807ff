"""The runner services on a real loopback server (the one `stax run --local` starts), and
runtime tokens signed with its key, for tests that speak HTTP to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trio

from runner.actions.services import (
    CacheScope,
    RuntimeClaims,
    ServiceAccess,
    mint_token,
)
from runner.actions.services.local_server import LocalServices
from runner.config import Settings, load_settings

MAIN = CacheScope(scope="refs/heads/main", writable=True)


@dataclass
class Served:
    access: ServiceAccess
    server: LocalServices
    data_dir: Path

    @property
    def url(self) -> str:
        return self.access.url

    def token(
        self, run_id: str = "run1", job_id: str = "build", scopes: tuple[CacheScope, ...] = (MAIN,)
    ) -> str:
        claims = RuntimeClaims(run_id=run_id, job_id=job_id, cache_scopes=scopes)
        return mint_token(self.access.key, claims)

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, timeout=10, headers=headers)

    async def twirp(
        self, client: httpx.AsyncClient, service: str, method: str, body: dict[str, object]
    ) -> httpx.Response:
        return await client.post(
            f"/twirp/github.actions.results.api.v1.{service}/{method}", json=body
        )


def services_settings(root: Path, text: str = "") -> Settings:
    (root / "stax.toml").write_text(text)
    return load_settings(start=root)


@pytest.fixture
async def served(tmp_path: Path, nursery: trio.Nursery) -> AsyncIterator[Served]:
    settings = services_settings(tmp_path, "[services]\ncache_size_mb = 1\n")
    server = LocalServices(settings, data_dir=settings.data_dir)
    access = await nursery.start(server.run)
    return Served(access=access, server=server, data_dir=settings.data_dir)
