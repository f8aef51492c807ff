"""The engine process: the daemon's runs and the store's writer, beside its HTTP server.

Every connection costs the event loop that serves it a millisecond or two, and a
log-heavy run keeps its event loop busy. In one process a crowd of clients slows the
runs; here the runs have an event loop (and a core) of their own, and the daemon's
process serves HTTP. The daemon starts this process (`python -m runner.daemon.engine_host
FD PARENT_PID`), hands it the settings over the socket FD, and from then on they talk
in the messages of wire.py.

Events themselves do not travel: the daemon reads them from the store (SQLite, WAL)
when it has subscribers to hand them to, so the engine's loop pays nothing per event,
and a daemon with nobody listening reads nothing. Messages leave in the order they were
queued. The engine dies with the daemon (PDEATHSIG), and its runs' steps die with the
engine (process.watchdog); what escaped their process groups is swept by its marker when
the next daemon starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING

import trio

from runner.daemon.channel import MessageChannel
from runner.daemon.recovery import close_unfinished_runs
from runner.daemon.runs import RunManager
from runner.daemon.wire import (
    Answer,
    ApproveJob,
    CancelRun,
    Configure,
    Failure,
    OpenFailed,
    Progress,
    Ready,
    Refused,
    Request,
    RunEnded,
    Shutdown,
    StartRun,
    Stopped,
    refusal,
)
from runner.errors import ConfigError
from runner.events.store import EventStore
from runner.memory import trim_memory_periodically
from runner.process.watchdog import set_watchdog_grace, start_watchdog

if TYPE_CHECKING:
    from runner.daemon.wire import ToDaemon
    from runner.engine.records import RunRecord
    from runner.events.store import StoreStatistics
    from runner.events.types import Event

log = logging.getLogger("stax.engine")

STATS_INTERVAL_S = 0.25  # how often the writer's state is reported while nothing commits
_PR_SET_PDEATHSIG = 1
_EXIT_NOTICE_S = 0.5
_DEFAULT_GRACE_S = 5.0


class _Outbox:
    """Messages for the daemon, sent in order by one task, then the writer's progress
    (its StoreStatistics: how far the log is committed) whenever that changed. Once the
    daemon is gone, nothing is sent."""

    def __init__(self, channel: MessageChannel, store: EventStore) -> None:
        self.channel = channel
        self.store = store
        self._messages: list[ToDaemon] = []
        self._wake = trio.Event()
        self._reported: StoreStatistics | None = None
        self.sent_last = trio.Event()  # Stopped went out (or the daemon is gone)

    def put(self, message: ToDaemon) -> None:
        self._messages.append(message)
        self._wake.set()

    def committed(self, batch: list[Event]) -> None:
        """The store's publish hook: the daemon reads the events, where it needs them."""
        self._wake.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while not self.sent_last.is_set():
                with trio.move_on_after(STATS_INTERVAL_S):
                    await self._wake.wait()
                await self._flush()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self.sent_last.set()  # the daemon is gone: nobody to tell

    async def _flush(self) -> None:
        self._wake = trio.Event()
        messages, self._messages = self._messages, []
        for message in messages:
            if isinstance(message, Stopped):
                await self._send_stats()  # the last commits, before the last word
                await self.channel.send(message)
                self.sent_last.set()
                return
            await self._send(message)
        await self._send_stats()

    async def _send(self, message: ToDaemon) -> None:
        """Send one message; one that cannot be sent (it does not pickle, say) is logged,
        and an answer becomes a refusal, so that the daemon's request still ends."""
        try:
            await self.channel.send(message)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            raise
        except Exception:
            log.exception("the engine could not send its %s", type(message).__name__)
            if isinstance(message, Answer):
                refused = Refused(
                    request_id=message.request_id,
                    failure=Failure.ENGINE,
                    message="the engine could not send its answer",
                )
                await self.channel.send(refused)

    async def _send_stats(self) -> None:
        stats = self.store.statistics()
        if stats != self._reported:
            self._reported = stats
            await self.channel.send(Progress(stats=stats))


async def serve_engine(channel: MessageChannel, *, daemon_pidfd: int | None = None) -> None:
    """The engine until the daemon says Shutdown (or goes away). `daemon_pidfd`: the
    daemon's pidfd, to tell a daemon that died from one that closed the socket."""
    match await channel.receive():
        case Configure(settings=settings):
            pass
        case other:
            raise AssertionError(f"the engine's first message is {other!r}, not Configure")
    set_watchdog_grace(settings.step_kill_grace_seconds)
    store = EventStore(settings.data_dir, retention_runs=settings.retention_runs)
    try:
        store.open()
    except ConfigError as exc:
        await channel.send(OpenFailed(message=str(exc)))
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
                    runs_nursery.start_soon(store.health.watch, settings.store)
                    manager = RunManager(
                        settings,
                        store,
                        runs_nursery,
                        on_end=lambda run_id: outbox.put(RunEnded(run_id=run_id)),
                    )
                    outbox.put(Ready(stats=store.statistics()))  # the first message
                    await nursery.start(outbox.run)
                    grace_s = await _serve_requests(channel, manager, outbox)
                    if grace_s is None:  # the socket closed
                        if await _has_exited(daemon_pidfd):
                            # Killed (kill -9, say): go with it, as PDEATHSIG would have
                            # us do, and leave the runs to the next daemon's recovery.
                            os._exit(1)
                        grace_s = 0.0  # closed on purpose: end the runs now
                    await manager.shutdown(grace_s=grace_s)
                    runs_nursery.cancel_scope.cancel()
                store.close_writer()  # the writer drains the queue, then returns
            outbox.put(Stopped())
            await outbox.sent_last.wait()
            nursery.cancel_scope.cancel()
    finally:
        store.close()


async def _serve_requests(
    channel: MessageChannel, manager: RunManager, outbox: _Outbox
) -> float | None:
    """Answer the daemon until it asks for a shutdown; returns the grace it gave, or None
    when its socket closed. Each request is answered by a task of its own: a start
    waiting for the store must not hold up a cancel."""
    grace_s: float | None = None
    async with trio.open_nursery() as requests:
        while True:
            try:
                message = await channel.receive()
            except (trio.EndOfChannel, trio.BrokenResourceError, trio.ClosedResourceError):
                break
            except Exception:  # one message that does not unpickle: it has no id to answer
                log.exception("the engine could not read a request")
                continue
            match message:
                case Shutdown(grace_s=given):
                    grace_s = _grace(given)
                    break
                case StartRun() | CancelRun() | ApproveJob():
                    requests.start_soon(_answer, message, manager, outbox)
                case _:
                    log.error("the engine got a malformed request: %.200r", message)
        requests.cancel_scope.cancel()
    return grace_s


def _grace(given: object) -> float:
    """The grace a shutdown gives its runs (the default one, if it gives none that makes
    sense)."""
    if isinstance(given, bool) or not isinstance(given, int | float):
        return _DEFAULT_GRACE_S
    return float(given) if 0 <= given < math.inf else _DEFAULT_GRACE_S


async def _answer(request: Request, manager: RunManager, outbox: _Outbox) -> None:
    """Answer one request. Whatever goes wrong with it is its own failure (a refusal),
    never the engine's."""
    try:
        match request:
            case StartRun(request=run_request):
                value: RunRecord | bool = await manager.start(run_request)
            case CancelRun(run_id=run_id, reason=reason):
                value = await manager.cancel(run_id, reason)
            case ApproveJob(run_id=run_id, job_id=job_id, approved=approved, by=by):
                value = await manager.approve(run_id, job_id, approved=approved, by=by)
    except Exception as exc:
        refused = refusal(request.request_id, exc)
        if refused.failure is Failure.ENGINE:  # one request's failure, not the engine's
            log.exception("the engine could not answer %s", type(request).__name__)
        outbox.put(refused)
    else:
        outbox.put(Answer(request_id=request.request_id, value=value))


async def _has_exited(pidfd: int | None) -> bool:
    """Whether the process behind `pidfd` exits within a moment. (A daemon killed closes
    its sockets a little before the kernel reports it dead, or sends PDEATHSIG.)"""
    if pidfd is None:
        return False
    with trio.move_on_after(_EXIT_NOTICE_S):
        await trio.lowlevel.wait_readable(pidfd)
        return True
    return False


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
    try:
        daemon_pidfd: int | None = os.pidfd_open(parent_pid)
    except (AttributeError, OSError):
        daemon_pidfd = None
    logging.basicConfig(level=logging.WARNING, format="stax engine: %(message)s")
    sock = socket.socket(fileno=fd)
    # Before trio starts threads: the steps' groups die with this process, however it dies.
    start_watchdog()

    async def run() -> None:
        stream = trio.SocketStream(trio.socket.from_stdlib_socket(sock))
        # A SIGTERM for the whole service (systemd's stop, say) reaches the daemon too,
        # which stops the runs through its socket; taken here, it is not the end of the
        # store's writer. (A handler, not SIG_IGN: steps do not inherit it.)
        with trio.open_signal_receiver(signal.SIGTERM):
            await serve_engine(MessageChannel(stream), daemon_pidfd=daemon_pidfd)

    trio.run(run)


if __name__ == "__main__":
    main()
