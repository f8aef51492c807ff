"""When the process that runs steps dies, however it dies, its steps' process groups die.

A process killed with SIGKILL runs no cleanup, and its steps (each the leader of a
process group of its own) would live on until something swept them. PR_SET_PDEATHSIG
cannot be set on each step instead: it fires when the *thread* that forked the child
ends, not the process, and it reaches only the leader, not its group.

So the process that runs steps forks a watchdog first, from its main thread, before
any other thread exists (`start_watchdog`). The two share a pipe: the parent writes
`+PGID` for each step it spawns and `-PGID` once that group is gone, and holds the only
write end. When the watchdog reads EOF, the parent is gone, whatever ended it: the
watchdog sends each group it still knows SIGTERM (and SIGCONT), waits up to the grace
for them to go, sends SIGKILL to what is left, and exits. A clean exit of the parent
reads the same, and finds nothing left to kill.

The watchdog takes no signal meant for its parent: it has a process group of its own
and ignores SIGINT, SIGTERM and SIGHUP. It holds no descriptor of its parent's but its
end of the pipe (its standard streams are /dev/null), so that nobody waits on it for
an EOF. A process that left its step's group (double fork and setsid) is not reached
here; the next `stax serve` sweeps those by their marker (group.sweep_marked).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time

log = logging.getLogger("stax.process")

DEFAULT_GRACE_S = 5.0
_POLL_S = 0.01
_pipe: int | None = None  # the write end, in the parent, once started


def start_watchdog(*, grace_s: float = DEFAULT_GRACE_S) -> None:
    """Fork this process's watchdog (once; later calls do nothing). Call it from the
    main thread before other threads start (before trio.run). Costs one fork (about
    0.3 ms for the CLI)."""
    global _pipe
    if _pipe is not None or not hasattr(os, "fork"):
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the watchdog
        try:
            os.close(write_end)
            _watch(read_end, grace_s)
        finally:
            os._exit(0)
    os.close(read_end)
    os.set_blocking(write_end, False)  # a stuck watchdog must never block the engine
    _pipe = write_end


def start_watchdog_process(*, grace_s: float = DEFAULT_GRACE_S) -> None:
    """As start_watchdog, for a process that already runs threads (a Ray worker, where
    a fork is unsafe): the watchdog is a fresh interpreter reading the same pipe, and
    not a child of this process (a dying Ray worker kills its children). Costs an
    interpreter's start, once per process."""
    global _pipe
    if _pipe is not None:
        return
    read_end, write_end = os.pipe()
    script = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    from runner.process.watchdog import _watch\n"
        f"    _watch({read_end}, {grace_s!r})\n"
        "    os._exit(0)\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        pass_fds=(read_end,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    os.close(read_end)
    os.set_blocking(write_end, False)
    _pipe = write_end


def set_watchdog_grace(grace_s: float) -> None:
    """The grace the watchdog gives groups between SIGTERM and SIGKILL."""
    _tell(f"g{grace_s}")


def watch(pgid: int) -> None:
    """A step's group: the watchdog ends it if this process dies."""
    if _pipe is not None:
        _tell(f"+{pgid}")


def forget(pgid: int) -> None:
    """The group is gone (its number may soon be another's)."""
    if _pipe is not None:
        _tell(f"-{pgid}")


def _tell(message: str) -> None:
    global _pipe
    if _pipe is None:
        return
    try:
        os.write(_pipe, f"{message}\n".encode())
    except BlockingIOError:
        log.warning("the step watchdog is not reading; %s not passed on", message)
    except OSError as exc:  # it died: steps are no longer watched
        log.warning("the step watchdog is gone (%s); steps are not watched", exc)
        with contextlib.suppress(OSError):
            os.close(_pipe)
        _pipe = None


def _watch(read_end: int, grace_s: float) -> None:
    """The watchdog's life: keep the groups it is told of, end them at EOF."""
    os.setpgid(0, 0)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _close_all_but((0, 1, 2, read_end))
    groups: set[int] = set()
    pending = b""
    while chunk := os.read(read_end, 65536):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            kind, value = line[:1], line[1:]
            try:
                if kind == b"+":
                    groups.add(int(value))
                elif kind == b"-":
                    groups.discard(int(value))
                elif kind == b"g":
                    grace_s = float(value)
            except ValueError:
                continue
    _end(groups, grace_s)


def _close_all_but(keep: tuple[int, ...]) -> None:
    """Close every descriptor but `keep`: the parent's socket to its daemon, say, must
    close when the parent dies, not live on here."""
    try:
        open_fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc: every number up to the limit
        open_fds = list(range(3, max(os.sysconf("SC_OPEN_MAX"), 1024)))
    for fd in open_fds:
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _end(groups: set[int], grace_s: float) -> None:
    alive = [pgid for pgid in groups if _signal(pgid, signal.SIGTERM)]
    for pgid in alive:
        _signal(pgid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
    deadline = time.monotonic() + grace_s
    while alive and time.monotonic() < deadline:
        time.sleep(_POLL_S)
        alive = [pgid for pgid in alive if _signal(pgid, 0)]  # (zombies count: init reaps)
    for pgid in alive:
        _signal(pgid, signal.SIGKILL)


def _signal(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except OSError:
        return False
    return True
