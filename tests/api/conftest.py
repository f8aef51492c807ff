"""A real daemon (Hypercorn on an ephemeral loopback port) for each test that asks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest
import trio

from runner.config import Settings, load_settings
from runner.daemon.serve import DaemonAddress, serve

if TYPE_CHECKING:
    from pathlib import Path

    from runner.api.services import Services


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
    def services(self) -> Services:
        assert self.address.services is not None
        return self.address.services

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
    (root / "stax.toml").write_text("port = 0\n")
    settings = load_settings(start=root)
    return settings.with_overrides(**overrides)


DaemonFactory = Callable[..., Awaitable[Daemon]]


@pytest.fixture
async def daemon_factory(tmp_path: Path, nursery: trio.Nursery) -> AsyncIterator[DaemonFactory]:
    """Start a daemon with Settings overrides (e.g. environments=..., streams=...)."""
    running: list[tuple[trio.Event, trio.Event]] = []

    async def start(**overrides: object) -> Daemon:
        root = tmp_path / f"project{len(running)}"
        root.mkdir()
        settings = daemon_settings(root, **overrides)
        shutdown, stopped = trio.Event(), trio.Event()
        running.append((shutdown, stopped))

        async def run(task_status: trio.TaskStatus[DaemonAddress]) -> None:
            try:
                await serve(settings, shutdown=shutdown, task_status=task_status)
            finally:
                stopped.set()

        address = await nursery.start(run)
        return Daemon(address=address, settings=settings, root=root, shutdown=shutdown)

    try:
        yield start
    finally:
        # A graceful stop, as SIGTERM would do: runs cancelled, the log flushed.
        with trio.fail_after(15):
            for shutdown, stopped in running:
                shutdown.set()
                await stopped.wait()


@pytest.fixture
async def daemon(daemon_factory: DaemonFactory) -> Daemon:
    return await daemon_factory()
