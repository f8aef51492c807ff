"""serve(settings): the daemon, as one nursery that owns everything.

Start order, each with a readiness handshake: the engine process
(engine_process.py: there the store is opened, its writer runs, runs a crash left
open are closed, the run manager starts), then Hypercorn. Stop order on
SIGINT/SIGTERM (or `shutdown` being set): stop accepting runs and cancel the running
ones (their process groups are killed), stop Hypercorn, close the bus (every stream
ends), the engine drains its writer and closes the store.

The runs always live in the engine process: this process serves HTTP and reads the
store. (`stax run --local` runs the engine in the CLI's own process, without HTTP.)
"""

from __future__ import annotations

import logging
import signal
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio
from hypercorn.trio import serve as hypercorn_serve

from runner.actions.services import ServiceAccess, new_key
from runner.api.app import create_app
from runner.api.auth import check_bind, load_or_create_token
from runner.api.http_server import hypercorn_config
from runner.api.runner_services import runner_services
from runner.api.services import Services
from runner.api.streaming import StreamWatch
from runner.daemon.engine_process import EngineProcess
from runner.daemon.mirror import StoreMirror
from runner.events.bus import Bus
from runner.events.thread_store import ThreadStore
from runner.memory import trim_memory_periodically

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runner.config import Settings

log = logging.getLogger("stax.daemon")


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonAddress:
    """Where the started daemon listens, its token, and (for tests and tools in the same
    process) its services."""

    host: str
    port: int
    token: str
    services: Services | None = field(default=None, compare=False, repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def login_url(self) -> str:
        """A fresh one-time login URL for the daemon's dashboard (what `stax serve`
        prints). Each call mints a new token."""
        assert self.services is not None  # serve() always sets it
        return self.services.logins.login_url(self.url)


async def serve(
    settings: Settings,
    *,
    shutdown: trio.Event | None = None,
    handle_signals: bool = False,
    task_status: trio.TaskStatus[DaemonAddress] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the daemon until `shutdown` is set (or a signal arrives, if handled)."""
    check_bind(settings.host, allow_remote=settings.allow_remote)
    shutdown = shutdown if shutdown is not None else trio.Event()
    bus = Bus(buffer=settings.streams.subscriber_buffer)
    async with _engine_process(settings, bus) as (store, runs):
        threads = ThreadStore(store.path)  # agent-protocol threads, beside the event log
        try:
            threads.open()
            token = load_or_create_token(settings.data_dir)
            services_key = new_key()  # signs the steps' runtime tokens; never on disk
            async with trio.open_nursery() as nursery:
                services = Services(
                    settings=settings,
                    store=store,
                    bus=bus,
                    manager=runs,
                    token=token,
                    agent_threads=threads,
                    watch=StreamWatch(write_timeout_s=settings.streams.write_timeout_seconds),
                    runner_services=runner_services(settings, services_key),
                )
                app = create_app(services)
                await nursery.start(services.watch.run)
                nursery.start_soon(trim_memory_periodically)
                config = hypercorn_config(settings)
                http_stopped = trio.Event()

                async def stop_trigger() -> None:
                    await http_stopped.wait()

                async def run_http(
                    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
                ) -> None:
                    await hypercorn_serve(
                        app, config, shutdown_trigger=stop_trigger, task_status=task_status
                    )

                binds = await nursery.start(run_http)
                port = _port_of(binds[0]) if binds else settings.port
                # Steps reach the services on this port, over loopback when bound to all.
                runs.services = ServiceAccess(
                    url=_loopback_url(settings.host, port), key=services_key
                )
                if handle_signals:
                    nursery.start_soon(_wait_for_signal, shutdown)
                task_status.started(
                    DaemonAddress(host=settings.host, port=port, token=token, services=services)
                )
                await shutdown.wait()
                await runs.shutdown(grace_s=settings.step_kill_grace_seconds)
                bus.close()
                http_stopped.set()
                nursery.cancel_scope.cancel()
        finally:
            threads.close()


@asynccontextmanager
async def _engine_process(
    settings: Settings, bus: Bus
) -> AsyncIterator[tuple[StoreMirror, EngineProcess]]:
    """The runs and the store's writer in the engine process; this process reads."""
    store = StoreMirror(settings.data_dir)
    try:
        async with trio.open_nursery() as nursery:
            engine = EngineProcess(settings, store, bus)
            await nursery.start(engine.run)
            yield store, engine
    finally:
        store.close()


async def _wait_for_signal(shutdown: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            shutdown.set()
            return


def _loopback_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _port_of(bind: str) -> int:
    return int(bind.rsplit(":", 1)[1])
