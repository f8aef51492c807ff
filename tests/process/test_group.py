"""The kill ladder and the marker sweep."""

from __future__ import annotations

import os
import subprocess
import time

import trio

from runner.process.group import MARKER_VAR, group_alive, marked_pids, sweep_marked, terminate_group


def _spawn(script: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["sh", "-c", script],
        start_new_session=True,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
    )


async def test_terminate_group_ends_a_cooperative_group_quickly() -> None:
    with _spawn("sleep 30 & sleep 30 & wait") as proc:
        with trio.fail_after(5):
            await terminate_group(proc.pid, grace_s=3)
        assert not group_alive(proc.pid)


async def test_terminate_group_kills_what_ignores_sigterm() -> None:
    with _spawn("trap '' TERM; sh -c \"trap '' TERM; echo ready; sleep 30\" & wait") as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"  # both traps are in place
        started = time.monotonic()
        with trio.fail_after(5):
            await terminate_group(proc.pid, grace_s=0.2)
        assert not group_alive(proc.pid)
        assert time.monotonic() - started < 4  # grace 0.2 s + at most 1 s after SIGKILL


async def test_terminate_group_of_a_gone_group_returns_at_once() -> None:
    with _spawn("true") as proc:
        proc.wait()
        with trio.fail_after(1):
            await terminate_group(proc.pid, grace_s=10)


async def test_sweep_marked_finds_processes_by_marker_prefix() -> None:
    # Popen returns after exec, so the marker is already in each environment.
    with (
        _spawn("exec sleep 30", **{MARKER_VAR: "run-x:job-a:"}) as mine,
        _spawn("exec sleep 30", **{MARKER_VAR: "run-y:job-a:"}) as other,
    ):
        try:
            with trio.fail_after(5):  # `bash -c "exec sleep"` may still be mid-exec
                while marked_pids("run-x:") != [mine.pid]:  # noqa: ASYNC110
                    await trio.sleep(0.01)
            with trio.fail_after(5):
                assert await sweep_marked("run-x:", grace_s=1) == 1
            mine.wait(timeout=5)
            assert other.poll() is None
            assert await sweep_marked("run-x:", grace_s=1) == 0
        finally:
            other.kill()
