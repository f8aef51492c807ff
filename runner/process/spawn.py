"""Run one step process: spawn it in its own group, stream its output, stop it.

A step ends when its leader exits, not at EOF: a step that starts
`server &` leaves a process holding the pipes open. So the runner waits for
the leader, then gives the readers a short while to drain what is already
in the pipes, then stops reading. Processes left behind in the group are the
job's to sweep (GitHub keeps a step's background processes alive until the
job ends, and workflows rely on it).

On cancellation (a timeout or a cancelled run) the whole group gets the
SIGTERM -> grace -> SIGKILL ladder, shielded so it completes. The readers
keep reading while it runs, so what a step prints as it shuts down (a trap
handler's last words) still reaches the log. Then the Cancelled exception
goes on up.
"""

from __future__ import annotations

import errno
import functools
import math
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import trio

from runner.process.group import terminate_group
from runner.process.lines import DEFAULT_MAX_LINE_BYTES, LineSplitter, SafeCut
from runner.process.watchdog import watch

# Called with the stream name ("stdout" or "stderr") and the lines one read completed.
LineHandler = Callable[[str, list[str]], Awaitable[None]]

_READ_SIZE = 256 * 1024
_DRAIN_AFTER_EXIT_S = 0.25
# _TRICKLE_CHUNKS small chunks in a row, each this soon after the one before, are a
# trickle: the reader then lingers before each next read.
_TRICKLE_BYTES = 4096
_TRICKLE_GAP_S = 0.005
_TRICKLE_CHUNKS = 3
_TRICKLE_LINGER_S = 0.002
_HAVE_PIDFD = hasattr(os, "pidfd_open")


@dataclass(frozen=True, slots=True, kw_only=True)
class StepProcess:
    """What to run: argv, working directory and the complete environment."""

    argv: Sequence[str]
    cwd: str
    env: Mapping[str, str]
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    safe_cut: SafeCut | None = None  # where a line over max_line_bytes may be cut


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessOutcome:
    """How the leader ended: exit code (negative: killed by that signal)."""

    exit_code: int
    pgid: int
    duration_s: float

    @property
    def signal(self) -> int | None:
        return -self.exit_code if self.exit_code < 0 else None


async def run_process(
    request: StepProcess,
    on_lines: LineHandler,
    *,
    grace_s: float = 5.0,
    on_spawn: Callable[[int], None] | None = None,
) -> ProcessOutcome:
    """Run `request` to completion, handing its output to `on_lines` as lines.

    `on_spawn(pgid)` is called as soon as the process exists. Raises OSError
    when the program cannot be started. On cancellation the process group is
    terminated (its output still read meanwhile) before Cancelled propagates.
    """
    started = time.monotonic()
    proc = _Child.start(request)
    pgid = proc.pid
    if on_spawn is not None:
        on_spawn(pgid)
    splitter = functools.partial(LineSplitter, request.max_line_bytes, request.safe_cut)
    readers = (
        _Reader(proc.stdout, "stdout", on_lines, splitter()),
        _Reader(proc.stderr, "stderr", on_lines, splitter()),
    )
    try:
        await _read_until_exit(proc, readers)
    except BaseException:
        with trio.CancelScope(shield=True):
            await _terminate_while_reading(proc, readers, pgid, grace_s)
        raise
    finally:
        with trio.CancelScope(shield=True):
            for reader in readers:
                await reader.flush()
            await proc.aclose()
    returncode = proc.returncode
    assert returncode is not None
    return ProcessOutcome(exit_code=returncode, pgid=pgid, duration_s=time.monotonic() - started)


class _Child:
    """A spawned step process: its pipes' read ends (non-blocking fds), and a way to
    wait for it.

    Spawned synchronously: with vfork the loop blocks for well under a
    millisecond, less than handing Popen to a worker thread (what
    trio.lowlevel.open_process does) costs, and a step pays it every time.
    Waiting uses a pidfd (Linux 5.3+), else a worker thread. The pipes are
    read with os.read and trio.lowlevel.wait_readable, not trio's FdStream:
    that one toggles and restores the blocking flag with a syscall each way.
    """

    __slots__ = ("_pidfd", "_popen", "stderr", "stdout")

    def __init__(self, popen: subprocess.Popen[bytes], stdout: int, stderr: int) -> None:
        self._popen = popen
        self.stdout = stdout
        self.stderr = stderr
        self._pidfd: int | None = _pidfd_open(popen.pid)

    @classmethod
    def start(cls, request: StepProcess) -> _Child:
        """Spawn the process in a new session (its own process group). Raises OSError
        (EINVAL for what no process can be given: see `environment_problem`)."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        try:
            popen = subprocess.Popen(
                list(request.argv),
                stdin=_devnull(),
                stdout=out_write,
                stderr=err_write,
                cwd=request.cwd,
                env=request.env,
                start_new_session=True,
            )
        except BaseException as exc:
            os.close(out_read)
            os.close(err_read)
            if isinstance(exc, ValueError):  # a NUL or a lone surrogate in argv, cwd, env
                raise OSError(errno.EINVAL, str(exc)) from None
            raise
        finally:
            os.close(out_write)
            os.close(err_write)
        watch(popen.pid)  # its group ends if this process dies
        # Only our read ends: the child's ends stay blocking, as programs expect.
        os.set_blocking(out_read, False)
        os.set_blocking(err_read, False)
        return cls(popen, out_read, err_read)

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    async def wait(self) -> int:
        """Wait for the process to exit and reap it; its exit code (negative: signal)."""
        if self._popen.returncode is None:
            if self._pidfd is not None:
                await trio.lowlevel.wait_readable(self._pidfd)
                self._popen.wait()
            else:
                await trio.to_thread.run_sync(self._popen.wait, abandon_on_cancel=True)
        returncode = self._popen.returncode
        assert returncode is not None
        return returncode

    async def aclose(self) -> None:
        for fd in (self.stdout, self.stderr, self._pidfd):
            if fd is not None:
                trio.lowlevel.notify_closing(fd)
                os.close(fd)
        self._pidfd = None
        await trio.lowlevel.checkpoint()


def environment_problem(env: Mapping[str, str]) -> str | None:
    """Why `env` cannot be a process's environment, naming the variable (a name holding
    `=` or NUL, a value holding NUL, a lone surrogate that no byte encodes); None when it
    can be. (Popen would raise ValueError for each, or UnicodeEncodeError.)"""
    names, values = "".join(env), "".join(env.values())
    clean = "=" not in names and "\0" not in names and "\0" not in values
    if clean and names.isascii() and values.isascii():  # the usual case: no loop
        return None
    for name, value in env.items():
        if "=" in name or "\0" in name:
            what = "=" if "=" in name else "a NUL character"
            return f"environment variable {name!r}: a name cannot hold {what}"
        if "\0" in value:
            return (
                f"environment variable {name!r}: its value holds a NUL character, which no "
                "process environment can carry"
            )
        for text, part in ((name, "name"), (value, "value")):
            if not text.isascii() and (bad := _unencodable(text)) is not None:
                return (
                    f"environment variable {name!r}: its {part} holds {bad!r}, a lone "
                    "surrogate, which is not a character"
                )
    return None


def _unencodable(text: str) -> str | None:
    """The first character of `text` that has no bytes as a file name or an environment
    value (a lone surrogate other than the ones that stand for undecodable bytes)."""
    try:
        os.fsencode(text)
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


@functools.cache
def _devnull() -> int:
    """One read-only /dev/null for every step's stdin, opened once (Popen's DEVNULL
    opens and closes it on every spawn). Close-on-exec: the child gets its dup2."""
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


async def _read_until_exit(proc: _Child, readers: tuple[_Reader, ...]) -> None:
    async with trio.open_nursery() as nursery:
        for reader in readers:
            nursery.start_soon(reader.pump)
        await proc.wait()
        await _drain(readers)
        nursery.cancel_scope.cancel()


async def _terminate_while_reading(
    proc: _Child, readers: tuple[_Reader, ...], pgid: int, grace_s: float
) -> None:
    """The kill ladder, with the readers still running. Call shielded."""
    async with trio.open_nursery() as nursery:
        for reader in readers:
            if not reader.eof:
                nursery.start_soon(reader.pump)
        await terminate_group(pgid, grace_s=grace_s)
        with trio.move_on_after(1.0):
            await proc.wait()
        await _drain(readers)
        nursery.cancel_scope.cancel()


async def _drain(readers: tuple[_Reader, ...]) -> None:
    """Give the readers a moment to take what is already in the pipes."""
    with trio.move_on_after(_DRAIN_AFTER_EXIT_S):
        for reader in readers:
            await reader.wait_eof()


def _pidfd_open(pid: int) -> int | None:
    """A pidfd for `pid` (readable once it exits), or None without kernel support."""
    if not _HAVE_PIDFD:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


class _Reader:
    """One pipe (its non-blocking read end): read chunks, split them into lines, hand
    them on."""

    __slots__ = (
        "_at_eof",
        "_fd",
        "_last_small",
        "_on_lines",
        "_small_in_a_row",
        "_splitter",
        "eof",
        "name",
    )

    def __init__(self, fd: int, name: str, on_lines: LineHandler, splitter: LineSplitter) -> None:
        self._fd = fd
        self.name = name
        self._on_lines = on_lines
        self._splitter = splitter
        self._at_eof = trio.Event()
        self.eof = False
        self._last_small = -math.inf  # when the last small chunk came
        self._small_in_a_row = 0  # small chunks, each soon after the one before

    async def pump(self) -> None:
        """Read until EOF (or cancellation: then what is unread stays in the pipe)."""
        while not self.eof:
            try:
                chunk = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                try:
                    await trio.lowlevel.wait_readable(self._fd)
                except trio.ClosedResourceError:
                    chunk = b""
                else:
                    continue
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                self._at_eof.set()
                return
            for lines in self._splitter.batches(chunk):
                if lines:
                    await self._on_lines(self.name, lines)
            now = trio.current_time()
            if len(chunk) >= _TRICKLE_BYTES or now - self._last_small > _TRICKLE_GAP_S:
                self._small_in_a_row = 0
            if len(chunk) < _TRICKLE_BYTES:
                self._small_in_a_row += 1
                self._last_small = now
            if self._small_in_a_row >= _TRICKLE_CHUNKS:
                # A process writing a line at a time (a test runner's progress): let a
                # few more writes gather, one event instead of one per write. (Not after
                # a large chunk: a fast writer would stall on the full pipe meanwhile.)
                await trio.sleep(_TRICKLE_LINGER_S)
            else:
                # A chunk is a checkpoint: a process that never stops writing must not
                # keep the other tasks (the exit watcher, a cancellation) from running.
                await trio.lowlevel.checkpoint()

    async def wait_eof(self) -> None:
        await self._at_eof.wait()

    async def flush(self) -> None:
        """Hand on a last line that had no newline."""
        rest = self._splitter.flush()
        if rest:
            await self._on_lines(self.name, rest)
