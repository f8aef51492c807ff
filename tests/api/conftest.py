"""A real daemon (Hypercorn on an ephemeral loopback port) for each test that asks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trio

from runner.config import Settings, load_settings
from runner.daemon import DaemonAddress, serve


@dataclass
class Daemon:
    address: DaemonAddress
    settings: Settings
    root: Path
    shutdown: trio.Event

    @property
    def url(self) -> str:
        return self.address.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.address.token}"}

    def client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]

    def write_workflow(self, name: str, text: str) -> Path:
        import textwrap

        path = self.root / "workflows" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path


def daemon_settings(root: Path, **overrides: object) -> Settings:
    (root / "stax.toml").write_text('port = 0\n')
    settings = load_settings(start=root)
    return settings.with_overrides(**overrides)


@pytest.fixture
async def daemon(tmp_path: Path, nursery: trio.Nursery) -> AsyncIterator[Daemon]:
    root = tmp_path / "project"
    root.mkdir()
    settings = daemon_settings(root)
    shutdown = trio.Event()
    address = await nursery.start(lambda task_status: serve(settings, shutdown=shutdown,
                                                            task_status=task_status))
    try:
        yield Daemon(address=address, settings=settings, root=root, shutdown=shutdown)
    finally:
        shutdown.set()
