"""The engine process: the daemon's runs and the store's writer, beside its HTTP server.

Every connection costs the event loop that serves it a millisecond or two, and a
log-heavy run keeps its event loop busy. In one process a crowd of clients slows the
runs; here the runs have an event loop (and a core) of their own, and the daemon's
process serves HTTP. The daemon starts this process (`python -m runner.engine.host
FD PARENT_PID`), hands it the settings over the socket FD, and from then on:

    daemon -> engine   ("start", id, RunRequest)  ("cancel", id, run_id, reason)
                       ("approve", id, run_id, job_id, approved, by)  ("shutdown", grace_s)
    engine -> daemon   ("ready", StoreStatistics)  ("failed", message)
                       ("stats", StoreStatistics)   the writer's progress: the log is
                                                    committed through its last_seq
                       ("reply", id, ok, value)  ("ended", run_id)  ("stopped",)

Events themselves do not travel: the daemon reads them from the store (SQLite, WAL)
when it has subscribers to hand them to, so the engine's loop pays nothing per event,
and a daemon with nobody listening reads nothing. Messages leave in the order they were
queued. The engine dies with the daemon (PDEATHSIG), and its runs' steps are swept by
their markers when the next daemon starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING, Any

import trio

from runner.engine.channel import MessageChannel
from runner.engine.manager import RunManager
from runner.engine.recovery import close_unfinished_runs
from runner.errors import ApiError, ConfigError, RunError
from runner.events.store import EventStore
from runner.memory import trim_memory_periodically

if TYPE_CHECKING:
    from runner.events.store import StoreStatistics
    from runner.events.types import Event

log = logging.getLogger("stax.engine")

STATS_INTERVAL_S = 0.25  # how often the writer's state is reported while nothing commits
_PR_SET_PDEATHSIG = 1


class _Outbox:
    """Messages for the daemon, sent in order by one task, then the writer's progress
    (its StoreStatistics: how far the log is committed) whenever that changed."""

    def __init__(self, channel: MessageChannel, store: EventStore) -> None:
        self.channel = channel
        self.store = store
        self._messages: list[tuple[Any, ...]] = []
        self._wake = trio.Event()
        self._reported: StoreStatistics | None = None

    def put(self, message: tuple[Any, ...]) -> None:
        self._messages.append(message)
        self._wake.set()

    def committed(self, batch: list[Event]) -> None:
        """The store's publish hook: the daemon reads the events, where it needs them."""
        self._wake.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            with trio.move_on_after(STATS_INTERVAL_S):
                await self._wake.wait()
            await self.flush()

    async def flush(self) -> None:
        self._wake = trio.Event()
        messages, self._messages = self._messages, []
        for message in messages:
            await self.channel.send(message)
        stats = self.store.statistics()
        if stats != self._reported:
            self._reported = stats
            await self.channel.send(("stats", stats))


async def serve_engine(channel: MessageChannel) -> None:
    """The engine until the daemon says "shutdown" (or goes away)."""
    kind, settings = await channel.receive()
    assert kind == "settings", kind
    store = EventStore(settings.data_dir, retention_runs=settings.retention_runs)
    try:
        store.open()
    except ConfigError as exc:
        await channel.send(("failed", str(exc)))
        return
    outbox = _Outbox(channel, store)
    store.publish = outbox.committed
    try:
        async with trio.open_nursery() as nursery:
            async with trio.open_nursery() as writer_nursery:
                await writer_nursery.start(store.run)
                await close_unfinished_runs(store, reason="daemon stopped")
                async with trio.open_nursery() as runs_nursery:
                    runs_nursery.start_soon(trim_memory_periodically)
                    manager = RunManager(
                        settings,
                        store,
                        runs_nursery,
                        on_end=lambda run_id: outbox.put(("ended", run_id)),
                    )
                    outbox.put(("ready", store.statistics()))  # the first message
                    await nursery.start(outbox.run)
                    grace_s = await _serve_requests(channel, manager, outbox)
                    await manager.shutdown(grace_s=grace_s)
                    runs_nursery.cancel_scope.cancel()
                store.close_writer()  # the writer drains the queue, then returns
            await outbox.flush()
            await channel.send(("stopped",))
            nursery.cancel_scope.cancel()
    finally:
        store.close()


async def _serve_requests(channel: MessageChannel, manager: RunManager, outbox: _Outbox) -> float:
    """Answer the daemon until it asks for a shutdown; returns the grace it gave (none
    when the daemon is gone: the runs end now, freeing the store for the next one). Each
    request is answered by a task of its own: a start waiting for the store must not
    hold up a cancel."""
    grace_s = 0.0
    async with trio.open_nursery() as requests:
        while True:
            try:
                message = await channel.receive()
            except (trio.EndOfChannel, trio.BrokenResourceError):
                break
            if message[0] == "shutdown":
                grace_s = float(message[1])
                break
            requests.start_soon(_answer, message, manager, outbox)
        requests.cancel_scope.cancel()
    return grace_s


async def _answer(message: tuple[Any, ...], manager: RunManager, outbox: _Outbox) -> None:
    kind, request_id, *args = message
    try:
        if kind == "start":
            value: Any = await manager.start(args[0])
        elif kind == "cancel":
            value = await manager.cancel(args[0], args[1])
        elif kind == "approve":
            value = await manager.approve(args[0], args[1], approved=args[2], by=args[3])
        else:
            raise ApiError(500, "internal_error", f"the engine has no {kind!r}")
    except ApiError as exc:
        outbox.put(("reply", request_id, False, ("api", exc.status, exc.error_type, exc.message)))
    except RunError as exc:
        outbox.put(("reply", request_id, False, ("run", str(exc))))
    else:
        outbox.put(("reply", request_id, True, value))


def _die_with(parent_pid: int) -> None:
    """Be killed when the daemon dies, even by SIGKILL (Linux); elsewhere the closed
    socket tells this process to stop."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # it died before the line above took effect
        os._exit(1)


def main() -> None:
    fd, parent_pid = int(sys.argv[1]), int(sys.argv[2])
    # A Ctrl-C in the daemon's terminal does not reach this process (a session of its
    # own): the daemon decides when runs stop. (Not SIG_IGN: steps would inherit it.)
    _die_with(parent_pid)
    logging.basicConfig(level=logging.WARNING, format="stax engine: %(message)s")
    sock = socket.socket(fileno=fd)

    async def run() -> None:
        stream = trio.SocketStream(trio.socket.from_stdlib_socket(sock))
        await serve_engine(MessageChannel(stream))

    trio.run(run)


if __name__ == "__main__":
    main()
