"""Hand memory the daemon has freed back to the operating system.

glibc's malloc keeps what is freed for reuse. After a burst — a run's log on its way to
the store, a client replaying a long history — the free space sits between live blocks,
where glibc's own trimming (only at the top of the heap) never reaches it, and the
daemon's RSS stays at its high-water mark for good. A soak showed it: Python's own
blocks and objects flat, RSS still climbing ~1 MB a minute, and malloc_trim(0) handing
back 10-19 MB each time. So the daemon trims on a timer. Where malloc_trim does not
exist (not glibc), nothing happens.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import Callable

TRIM_INTERVAL_S = 30.0


def find_malloc_trim() -> Callable[[], object] | None:
    """libc's malloc_trim(0), or None when this C library has none."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


async def trim_memory_periodically(
    interval_s: float = TRIM_INTERVAL_S,
    trim: Callable[[], object] | None = None,
) -> None:
    """Every `interval_s`, return freed memory to the OS (in a worker thread: trimming a
    large heap takes milliseconds, and ctypes lets go of the GIL meanwhile)."""
    trim = trim or find_malloc_trim()
    if trim is None:
        return
    while True:
        await trio.sleep(interval_s)
        await trio.to_thread.run_sync(trim)
