"""Run one step process: spawn it in its own group, stream its output, stop it.

A step ends when its leader exits, not at EOF: a step that starts
`server &` leaves a process holding the pipes open. So the runner waits for
the leader, then gives the readers a short while to drain what is already
in the pipes, then stops reading. Processes left behind in the group are the
job's to sweep (GitHub keeps a step's background processes alive until the
job ends, and workflows rely on it).

On cancellation (a timeout or a cancelled run) the whole group gets the
SIGTERM -> grace -> SIGKILL ladder, shielded so it completes, and then the
Cancelled exception goes on up.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import trio

from runner.process.group import terminate_group
from runner.process.lines import DEFAULT_MAX_LINE_BYTES, LineSplitter

# Called with the stream name ("stdout" or "stderr") and the lines one read completed.
LineHandler = Callable[[str, list[str]], Awaitable[None]]

_READ_SIZE = 256 * 1024
_DRAIN_AFTER_EXIT_S = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class StepProcess:
    """What to run: argv, working directory and the complete environment."""

    argv: Sequence[str]
    cwd: str
    env: Mapping[str, str]
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES


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
    """Run `request` to completion, handing its output to `on_lines` line by line.

    `on_spawn(pgid)` is called as soon as the process exists. Raises OSError
    when the program cannot be started. On cancellation the process group is
    terminated before the Cancelled exception propagates.
    """
    started = time.monotonic()
    proc = await trio.lowlevel.open_process(
        list(request.argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=request.cwd,
        env=dict(request.env),
        start_new_session=True,
    )
    pgid = proc.pid
    if on_spawn is not None:
        on_spawn(pgid)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with trio.open_nursery() as nursery:
            drained = _Countdown(2)
            nursery.start_soon(
                _pump, proc.stdout, "stdout", on_lines, request.max_line_bytes, drained
            )
            nursery.start_soon(
                _pump, proc.stderr, "stderr", on_lines, request.max_line_bytes, drained
            )
            await proc.wait()
            with trio.move_on_after(_DRAIN_AFTER_EXIT_S):
                await drained.wait()
            nursery.cancel_scope.cancel()
    except BaseException:
        with trio.CancelScope(shield=True):
            await terminate_group(pgid, grace_s=grace_s)
            with trio.move_on_after(1.0):
                await proc.wait()
        raise
    finally:
        with trio.CancelScope(shield=True):
            await proc.stdout.aclose()
            await proc.stderr.aclose()
    returncode = proc.returncode
    assert returncode is not None
    return ProcessOutcome(exit_code=returncode, pgid=pgid, duration_s=time.monotonic() - started)


class _Countdown:
    """An Event that fires after `count` calls to done()."""

    def __init__(self, count: int) -> None:
        self._left = count
        self._event = trio.Event()

    def done(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self._event.set()

    async def wait(self) -> None:
        await self._event.wait()


async def _pump(
    stream: trio.abc.ReceiveStream,
    name: str,
    on_lines: LineHandler,
    max_line_bytes: int,
    drained: _Countdown,
) -> None:
    splitter = LineSplitter(max_line_bytes)
    try:
        while True:
            try:
                chunk = await stream.receive_some(_READ_SIZE)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                break
            if not chunk:
                break
            lines = splitter.feed(chunk)
            if lines:
                await on_lines(name, lines)
        rest = splitter.flush()
        if rest:
            await on_lines(name, rest)
    finally:
        drained.done()
