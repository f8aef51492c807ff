"""The daemon hands freed memory back to the OS: malloc_trim, on a timer."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import trio
import trio.testing

from runner.memory import find_malloc_trim, trim_memory_periodically

FRAGMENTED = textwrap.dedent(
    """
    from runner.memory import find_malloc_trim

    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024

    blocks = [bytes(4000) for _ in range(40_000)]  # ~160 MB from malloc, not pymalloc
    survivors = blocks[::16]  # one in 16 stays: the free space is all between them
    del blocks
    before = rss_mb()
    find_malloc_trim()()
    print(before, rss_mb(), len(survivors))
    """
)


def test_trimming_returns_freed_memory_between_live_blocks() -> None:
    if find_malloc_trim() is None:
        pytest.skip("no malloc_trim in this C library")
    result = subprocess.run(
        [sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, check=True
    )
    before, after, _ = map(int, result.stdout.split())
    assert before - after > 100, (before, after)  # of ~150 MB freed but kept


async def test_the_daemon_trims_on_its_interval(
    autojump_clock: trio.testing.MockClock,
) -> None:
    trims: list[float] = []
    third = trio.Event()

    def trim() -> None:  # runs in a worker thread
        trims.append(autojump_clock.current_time() - started)
        if len(trims) == 3:
            trio.from_thread.run_sync(third.set)

    started = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trim_memory_periodically, 30.0, trim)
        await third.wait()
        nursery.cancel_scope.cancel()
    assert [round(t) for t in trims] == [30, 60, 90]
