"""Steps die with the process that runs them, however it dies (runner.process.watchdog):
the daemon or its engine killed with SIGKILL, or `stax run --local` killed so. Before,
they lived on until the next `stax serve` swept them.

The step ignores SIGTERM and leaves a grandchild that ignores it too (an ignored signal
is inherited): both must be gone within the kill grace (1 s here) and a bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.real_daemon import STAX, Project, alive, engine_pid

STUBBORN = """
    on: push
    jobs:
      j:
        runs-on: ubuntu-latest
        steps:
          - run: |
              trap '' TERM
              sleep 300 &
              echo "$$ $!" > "$PIDS.tmp"
              mv "$PIDS.tmp" "$PIDS"
              while true; do sleep 0.1; done
"""
BOUND_S = 5.0  # the 1 s grace, SIGKILL, and the slack of a loaded machine


def step_pids(path: Path, limit_s: float = 20) -> list[int]:
    deadline = time.monotonic() + limit_s
    while not path.exists():
        assert time.monotonic() < deadline, "the step did not start"
        time.sleep(0.02)
    return [int(pid) for pid in path.read_text().split()]


def seconds_until_gone(pids: list[int]) -> float:
    started = time.monotonic()
    try:
        while any(alive(pid) for pid in pids):
            if time.monotonic() - started > BOUND_S:
                raise AssertionError(f"steps {[p for p in pids if alive(p)]} outlived their engine")
            time.sleep(0.01)
        return time.monotonic() - started
    finally:
        for pid in pids:  # (the test's own descendants, if the assertion failed)
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("victim", ["daemon", "engine"])
def test_steps_die_with_a_daemon_or_engine_killed_with_kill_9(
    project: Project, victim: str
) -> None:
    project.workflow("stubborn", STUBBORN)
    pids_file = project.root / "pids"
    daemon = project.serve()
    project.post("/api/runs", {"workflow": "stubborn", "env": {"PIDS": str(pids_file)}})
    pids = step_pids(pids_file)
    assert all(alive(pid) for pid in pids)
    target = daemon.pid if victim == "daemon" else engine_pid(daemon)
    os.kill(target, signal.SIGKILL)  # ours: started by this test (or by its daemon)
    took = seconds_until_gone(pids)
    print(f"steps gone {took * 1000:.0f} ms after kill -9 of the {victim}")
    daemon.wait(timeout=10)


def test_steps_die_with_a_local_run_killed_with_kill_9(project: Project) -> None:
    project.workflow("stubborn", STUBBORN)
    pids_file = project.root / "pids"
    cli = subprocess.Popen(
        [*STAX, "run", "--local", "stubborn"],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PIDS": str(pids_file)},
    )
    try:
        pids = step_pids(pids_file)
        cli.kill()
        took = seconds_until_gone(pids)
        print(f"steps gone {took * 1000:.0f} ms after kill -9 of stax run --local")
    finally:
        cli.kill()
        cli.wait(timeout=10)
