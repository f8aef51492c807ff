"""Ending a step's processes: the whole group, boundedly, and what escaped it.

Every step runs as the leader of its own process group (start_new_session), so
one killpg reaches its children too. The ladder is SIGTERM, a grace period
for cleanup, then SIGKILL. A process that detaches itself (double fork plus
setsid, as daemons do) leaves the group; to find those, every step process
carries a marker in its environment (the way Jenkins finds a build's
processes) and `sweep_marked` kills whatever still carries it.

Costs: a killpg is one syscall; anything that reads /proc (`group_alive`
past its fast path, `marked_pids`) reads a file per process on the machine,
about 20 us each. So the engine checks a finished step's group with killpg
only, terminates leftover groups at job end, and sweeps by marker once per
run.
"""

from __future__ import annotations

import contextlib
import os
import signal
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import trio

from runner.process.watchdog import forget

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MARKER_VAR = "STAX_PROCESS_MARKER"
_POLL_S = 0.02
_EXEC_GLANCE_S = 0.005
_T = TypeVar("_T")
_HAVE_PROC = os.path.exists("/proc/self/stat")


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False when the group no longer exists (the watchdog then
    forgets it)."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        forget(pgid)
        return False
    except PermissionError:
        # A member changed its uid; nothing we may do about it.
        forget(pgid)
        return False
    return True


def group_alive(pgid: int) -> bool:
    """True while a live (not zombie) process is in the group.

    Zombies count as gone: they hold nothing, and an orphaned one waits on
    whoever PID 1 is, which in a container may never reap it.
    """
    if not signal_group(pgid, 0):
        return False
    if not _HAVE_PROC:
        return True
    return any(_live_member(stat, pgid) for stat in _proc_files("stat"))


def _proc_files(name: str) -> Iterable[bytes]:
    """The contents of /proc/<pid>/<name> for every process we may read (not ourselves)."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or entry == me:
            continue
        try:
            fd = os.open(f"/proc/{entry}/{name}", os.O_RDONLY)
        except OSError:
            continue  # gone, or not ours to read
        try:
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
        except OSError:
            continue
        finally:
            os.close(fd)
        yield entry.encode() + b"\0" + b"".join(chunks)


def _live_member(record: bytes, pgid: int) -> bool:
    # Fields after the parenthesised command name: state ppid pgrp ...
    fields = record[record.rfind(b")") + 2 :].split()
    return len(fields) > 2 and fields[0] != b"Z" and int(fields[2]) == pgid


async def terminate_group(pgid: int, *, grace_s: float) -> None:
    """SIGTERM the group, wait up to `grace_s` for it to go, then SIGKILL it.

    Returns once the group is gone or, after SIGKILL, after a further bounded
    wait (a zombie whose parent is not us can linger; it holds no resources).
    Callers run this shielded: it is cleanup that must finish.
    """
    if not signal_group(pgid, signal.SIGTERM):
        return
    signal_group(pgid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
    with trio.move_on_after(grace_s):
        await _wait_while(group_alive, pgid)
        return
    signal_group(pgid, signal.SIGKILL)
    with trio.move_on_after(1.0):
        await _wait_while(group_alive, pgid)


async def terminate_groups(pgids: Iterable[int], *, grace_s: float) -> None:
    """terminate_group for several groups at once (they share one grace period)."""
    async with trio.open_nursery() as nursery:
        for pgid in pgids:
            nursery.start_soon(partial(terminate_group, pgid, grace_s=grace_s))


async def _wait_while(alive: Callable[[_T], object], target: _T) -> None:
    """Poll until `alive(target)` is false, quickly at first, then every _POLL_S.

    Polling, because the kernel offers no event for "these processes are gone"
    when they are not our children (grandchildren, daemons). Most processes
    die within a millisecond of SIGTERM, hence the short first waits.
    """
    delay = 0.001
    while alive(target):
        await trio.sleep(delay)
        delay = min(delay * 2, _POLL_S)


def marked_pids(marker: str) -> list[int]:
    """PIDs of live processes whose MARKER_VAR starts with `marker` (Linux /proc).

    Markers nest by prefix (`run:job:`), so one sweep can take a job's
    processes or a whole run's.
    """
    if not _HAVE_PROC:
        return []
    needle = f"\0{MARKER_VAR}={marker}".encode()
    # Each record is b"<pid>\0<environ>", so every variable follows a NUL.
    return [
        int(record[: record.index(b"\0")]) for record in _proc_files("environ") if needle in record
    ]


async def sweep_marked(marker: str, *, grace_s: float) -> int:
    """Terminate every process whose marker starts with `marker`; return how many there were."""
    pids = marked_pids(marker)
    # A process in the middle of an exec shows an empty environment for a moment: a
    # second look shortly after catches it.
    await trio.sleep(_EXEC_GLANCE_S)
    pids = sorted({*pids, *marked_pids(marker)})
    if not pids:
        return 0
    for pid in pids:
        _kill(pid, signal.SIGTERM)
    with trio.move_on_after(grace_s):
        await _wait_while(marked_pids, marker)
        return len(pids)
    for pid in marked_pids(marker):
        _kill(pid, signal.SIGKILL)
    return len(pids)


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
