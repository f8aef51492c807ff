"""Ending a step's processes: the whole group, boundedly, and what escaped it.

Every step runs as the leader of its own process group (start_new_session), so
one killpg reaches its children too. The ladder is SIGTERM, a grace period
for cleanup, then SIGKILL. A process that detaches itself (double fork plus
setsid, as daemons do) leaves the group; to find those, every step process
carries a marker in its environment (the way Jenkins finds a build's
processes) and `sweep_marked` kills whatever still carries it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import trio

MARKER_VAR = "STAX_PROCESS_MARKER"
_POLL_S = 0.01
_HAVE_PROC = Path("/proc/self/stat").exists()


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        # A member changed its uid; nothing we may do about it.
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
    return any(_live_member(stat, pgid) for stat in _proc_stats())


def _proc_stats() -> list[bytes]:
    stats = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats.append((entry / "stat").read_bytes())
            except OSError:
                continue
    return stats


def _live_member(stat: bytes, pgid: int) -> bool:
    # Fields after the parenthesised command name: state ppid pgrp ...
    fields = stat[stat.rfind(b")") + 2 :].split()
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
        while group_alive(pgid):
            await trio.sleep(_POLL_S)
        return
    signal_group(pgid, signal.SIGKILL)
    with trio.move_on_after(1.0):
        while group_alive(pgid):
            await trio.sleep(_POLL_S)


def marked_pids(marker: str) -> list[int]:
    """PIDs of live processes whose MARKER_VAR starts with `marker` (Linux /proc).

    Markers nest by prefix (`run:job:`), so one sweep can take a job's
    processes or a whole run's.
    """
    needle = f"{MARKER_VAR}={marker}".encode()
    found: list[int] = []
    if not _HAVE_PROC:
        return found
    proc = Path("/proc")
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        if any(item.startswith(needle) for item in environ.split(b"\0")):
            found.append(int(entry.name))
    return found


async def sweep_marked(marker: str, *, grace_s: float) -> int:
    """Terminate every process whose marker starts with `marker`; return how many there were."""
    pids = marked_pids(marker)
    if not pids:
        return 0
    for pid in pids:
        _kill(pid, signal.SIGTERM)
    with trio.move_on_after(grace_s):
        while marked_pids(marker):
            await trio.sleep(_POLL_S)
        return len(pids)
    for pid in marked_pids(marker):
        _kill(pid, signal.SIGKILL)
    return len(pids)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
