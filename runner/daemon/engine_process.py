"""EngineProcess: the daemon's runs, kept in the engine process (runner.daemon.engine_host).

The daemon's routes ask it what they would ask a RunManager (runner.api.services.Runs):
start, cancel and approve go to the engine as wire.py's requests and wait for the
reply; a refusal is raised as its domain error. `active` is kept from the engine's
messages. The engine reports how far the log is committed (Progress); while the bus
has subscribers, the daemon reads the new events through its StoreMirror (SQLite,
beside the engine's writer) and publishes them, in seq order, as a store in this
process would have. With nobody subscribed it reads nothing: a subscriber that comes
later starts at the committed head, or replays from the store like any other.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import trio

from runner.daemon.channel import MessageChannel
from runner.daemon.runs import refuse_if_unsound
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
    RunEnded,
    Shutdown,
    StartRun,
    Stopped,
    refused_error,
)
from runner.errors import ConfigError, StaxError, Unavailable
from runner.events.follow import REPLAY_PAGE_BYTES
from runner.events.types import weight

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from runner.actions.services import ServiceAccess
    from runner.config import Settings
    from runner.daemon.mirror import StoreMirror
    from runner.daemon.wire import Request
    from runner.engine.records import RunRecord
    from runner.engine.run_request import RunRequest
    from runner.events.bus import Bus
    from runner.events.types import Event

log = logging.getLogger("stax.daemon")


class EngineGone(StaxError):
    """The engine process ended without being asked to."""


@dataclass(slots=True)
class RemoteRun:
    """A run the engine is running, as it was when it started (what the routes show
    until the run's first events are committed)."""

    record: RunRecord | None


@dataclass(slots=True)
class _Call:
    """A request waiting for its reply."""

    starts_run: bool
    done: trio.Event = field(default_factory=trio.Event)
    reply: Answer | Refused | None = None


_PUBLISH_PAGE = 2000  # events read from the store at a time
# The engine runs ahead of busy readers, and a page published into full queues would
# drop them all, to catch up from the store one by one: so the publisher waits for room,
# as long as readers take something at least this often. A stuck reader is still
# dropped, and a shutdown still flushes.
_READER_STUCK_S = 1.0
_RETRY_S = 0.25  # after a failed store read, doubling
_RETRY_MAX_S = 5.0
_STOP_TIMEOUT_S = 30.0  # beyond the runs' grace, for the engine to drain and stop
_ENGINE_STOPPED = "the daemon's engine has stopped"
_SHUTTING_DOWN = "the daemon is shutting down"


class EngineProcess:
    def __init__(self, settings: Settings, store: StoreMirror, bus: Bus) -> None:
        self.settings = settings
        self.store = store
        self.bus = bus
        self._published = 0  # the bus has had every event up to here
        self._progress = trio.Event()  # the engine committed more (or stopped)
        self.active: dict[str, RemoteRun] = {}
        self.accepting = False
        self.services: ServiceAccess | None = None
        self._channel: MessageChannel | None = None
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._process: subprocess.Popen[bytes] | None = None
        self._abandoned = False  # killed by `shutdown` after it would not stop
        self._engine_stopped = trio.Event()  # it said Stopped (or was killed)
        self._stopped = trio.Event()  # the engine stopped, and the bus has had it all
        self._publisher_idle = trio.Event()  # set whenever the bus has had all it knows of

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the engine, then relay its messages until it stops.

        Raises ConfigError when the engine cannot open the store (another daemon holds
        it, say) and EngineGone when it ends unasked."""
        ours, theirs = socket.socketpair()
        try:
            process = _start_engine(theirs.fileno())
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._process = process
        channel = MessageChannel(trio.SocketStream(trio.socket.from_stdlib_socket(ours)))
        try:
            await channel.send(Configure(settings=self.settings))
            match await self._receive_or_exit(channel, process):
                case Ready(stats=stats):
                    pass
                case OpenFailed(message=message):
                    raise ConfigError(message)
                case other:
                    raise EngineGone(f"the engine process answered {other!r}, not Ready")
            self.store.open()
            self.store.report(stats)
            self._published = self.store.last_seq
            self._channel = channel
            self.accepting = True
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._publish_committed)
                task_status.started()
                await self._relay(channel, process)
                await self._caught_up()
                nursery.cancel_scope.cancel()
        finally:
            self.accepting = False
            self._channel = None
            self._fail_calls()
            with trio.CancelScope(shield=True):
                # Closed first: the engine takes the end of its socket as "the daemon is
                # gone" and ends its runs (their process groups) before it exits.
                await channel.aclose()
                with trio.move_on_after(5):
                    await _exited(process)
                if process.poll() is None:
                    process.kill()  # ours, by its PID
                    await _exited(process)

    async def _receive_or_exit(
        self, channel: MessageChannel, process: subprocess.Popen[bytes]
    ) -> object:
        try:
            return await channel.receive()
        except (trio.EndOfChannel, trio.BrokenResourceError):
            code = await _exited(process)
            if self._abandoned:
                return Stopped()
            raise EngineGone(f"the engine process exited (status {code})") from None

    async def _relay(self, channel: MessageChannel, process: subprocess.Popen[bytes]) -> None:
        while True:
            match await self._receive_or_exit(channel, process):
                case Progress(stats=stats):
                    self.store.report(stats)
                    self._progress.set()
                case Answer(request_id=request_id) | Refused(request_id=request_id) as reply:
                    self._replied(request_id, reply)
                case RunEnded(run_id=run_id):
                    self.active.pop(run_id, None)
                case Stopped():
                    self._engine_stopped.set()
                    return
                case other:
                    log.error("the engine process sent a malformed message: %.200r", other)

    def _replied(self, request_id: int, reply: Answer | Refused) -> None:
        call = self._calls.pop(request_id, None)
        if call is None:
            return
        call.reply = reply
        match reply:
            case Answer(value=record) if call.starts_run and not isinstance(record, bool):
                self.active[record.id] = RemoteRun(record)  # before its RunEnded can come
        call.done.set()

    async def _publish_committed(self) -> None:
        """Hand the bus every event the engine commits, in order, while it has
        subscribers; skip ahead while it has none."""
        while True:
            await self._progress.wait()
            self._progress = trio.Event()
            failures = 0
            while self._published < self.store.last_seq:
                if not self.bus.statistics().subscribers:
                    self._published = self.store.last_seq
                    break
                # Never past the reported head: a follower that starts there (skipping
                # the store) must find everything after it still to come on the bus.
                try:
                    events = await self.store.read_after(
                        self._published,
                        limit=_PUBLISH_PAGE,
                        until=self.store.last_seq,
                        max_bytes=REPLAY_PAGE_BYTES,
                    )
                except sqlite3.Error as exc:
                    if failures == 0:
                        log.warning("reading the store to publish failed (%s); retrying", exc)
                    failures += 1
                    await trio.sleep(min(_RETRY_S * 2**failures, _RETRY_MAX_S))
                    continue
                failures = 0
                if not events:  # pruned by retention meanwhile
                    self._published = self.store.last_seq
                    break
                for batch in _slices(events, max_weight=self.bus.buffer // 8):
                    if not self._engine_stopped.is_set():  # at the end, just flush
                        await self.bus.wait_for_room(batch, stuck_after_s=_READER_STUCK_S)
                    self.bus.publish(batch)
                    self._published = batch[-1].seq
            self._publisher_idle.set()

    async def _caught_up(self) -> None:
        """Wait until the bus has had everything committed (before it closes)."""
        while self._published < self.store.last_seq:
            self._publisher_idle = trio.Event()
            self._progress.set()
            await self._publisher_idle.wait()
        self._stopped.set()

    def _fail_calls(self) -> None:
        for request_id, call in self._calls.items():
            call.reply = Refused(
                request_id=request_id, failure=Failure.UNAVAILABLE, message=_ENGINE_STOPPED
            )
            call.done.set()
        self._calls.clear()

    async def _call(self, request: Callable[[int], Request]) -> RunRecord | bool:
        """Send the request `request(id)` makes and wait for its reply; returns the answer.

        Raises the domain error a refusal stands for (wire.refused_error), Unavailable
        when the engine has stopped."""
        if self._channel is None:
            raise Unavailable(_ENGINE_STOPPED)
        request_id = next(self._ids)
        message = request(request_id)
        call = self._calls[request_id] = _Call(starts_run=isinstance(message, StartRun))
        try:
            await self._channel.send(message)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            self._calls.pop(request_id, None)
            raise Unavailable(_ENGINE_STOPPED) from None
        await call.done.wait()
        match call.reply:
            case Answer(value=value):
                return value
            case Refused() as refused:
                raise refused_error(refused)
            case _:
                raise AssertionError("a call ended without a reply")

    # -- the Runs protocol ----------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The engine process's, once started."""
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> int | None:
        """The engine process's exit status, once it has exited."""
        return self._process.returncode if self._process is not None else None

    async def start(self, request: RunRequest) -> RunRecord:
        if not self.accepting:
            raise Unavailable(_SHUTTING_DOWN)
        refuse_if_unsound(self.store)
        if self.services is not None and request.services is None:
            request = replace(request, services=self.services)
        record = await self._call(lambda id_: StartRun(request_id=id_, request=request))
        assert not isinstance(record, bool)
        return record

    async def cancel(self, run_id: str, reason: str = "cancelled") -> bool:
        if not self.accepting:  # every run is being cancelled already
            return run_id in self.active
        cancelled = await self._call(
            lambda id_: CancelRun(request_id=id_, run_id=run_id, reason=reason)
        )
        return bool(cancelled)

    async def approve(self, run_id: str, job_id: str, *, approved: bool, by: str) -> bool:
        if not self.accepting:
            raise Unavailable(_SHUTTING_DOWN)
        decided = await self._call(
            lambda id_: ApproveJob(
                request_id=id_, run_id=run_id, job_id=job_id, approved=approved, by=by
            )
        )
        return bool(decided)

    async def shutdown(self, *, grace_s: float = 5.0) -> None:
        """Stop accepting runs; the engine cancels its runs (killing what outlives the
        grace), commits what is queued and stops."""
        self.accepting = False
        if self._channel is None:
            return
        with trio.move_on_after(grace_s + _STOP_TIMEOUT_S) as waited:
            try:
                await self._channel.send(Shutdown(grace_s=grace_s))
            except trio.ClosedResourceError:
                return  # the engine is gone already: `run` says so
            except trio.BrokenResourceError:
                waited.cancel()  # it takes nothing: as hung as one that will not stop
            else:
                await self._engine_stopped.wait()
        if waited.cancelled_caught:
            # A hung engine (a store that cannot drain, say) must not hang the daemon.
            log.error("the engine process did not stop in time; killing it")
            self._abandoned = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()  # ours, by its PID
            self._engine_stopped.set()
            self._stopped.set()
            return
        with trio.move_on_after(_STOP_TIMEOUT_S):  # the last events, to the bus
            await self._stopped.wait()


def _slices(events: list[Event], *, max_weight: int) -> Iterator[list[Event]]:
    """`events` in batches of at most `max_weight` (a log chunk weighs its lines; a heavier
    chunk is a batch of its own): readers then take a batch often enough to show they
    are not stuck, and a page read while they were busy arrives as commits would have."""
    batch: list[Event] = []
    total = 0
    for event in events:
        cost = weight((event,))
        if batch and total + cost > max_weight:
            yield batch
            batch, total = [], 0
        batch.append(event)
        total += cost
    if batch:
        yield batch


def _start_engine(fd: int) -> subprocess.Popen[bytes]:
    """The engine process, talking over `fd`. Started from the event loop's thread, not
    from a worker thread as trio's open_process does: the engine's PDEATHSIG fires when
    the thread that started it ends, and worker threads end when idle."""
    return subprocess.Popen(
        [sys.executable, "-m", "runner.daemon.engine_host", str(fd), str(os.getpid())],
        pass_fds=(fd,),
        start_new_session=True,  # a Ctrl-C in the terminal is the daemon's to handle
    )


async def _exited(process: subprocess.Popen[bytes]) -> int:
    """Wait for `process` to end (on a pidfd where Linux has them, else in a thread)."""
    if process.returncode is not None:  # reaped already: its PID may be another's now
        return process.returncode
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        return await trio.to_thread.run_sync(process.wait, abandon_on_cancel=True)
    try:
        await trio.lowlevel.wait_readable(pidfd)
    finally:
        os.close(pidfd)
    return process.wait()
