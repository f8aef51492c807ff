"""An unexpected error inside one run (a fault injected with the test-only hook,
runner.engine.faults) fails that run and nothing else:

- the run ends as failed, with an "internal error" reason in an event and a log line,
  and the traceback in the engine's log;
- a run in flight beside it finishes as a success;
- the daemon stays up and serves new runs;
- the event log has no gap, and every run in it has its run.started and run.completed.

The same holds for `stax run --local`, where the engine is the CLI's own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import httpx
import pytest

from runner.engine.faults import ENV_VAR
from tests.real_daemon import STAX, Project

# Steady waits, in flight, until the test lets it finish; Faulty waits until Steady is
# in flight, then prints the line a "log" fault is armed for (built at run time, so that
# the script's echo in the log header does not hold it).
STEADY = """
    on: push
    jobs:
      steady:
        runs-on: ubuntu-latest
        steps:
          - run: |
              touch "$STARTED"
              while [ ! -e "$GO" ]; do sleep 0.02; done
              echo "steady done"
"""
FAULTY = """
    on: push
    jobs:
      faulty:
        runs-on: ubuntu-latest
        steps:
          - run: |
              while [ ! -e "$STARTED" ]; do sleep 0.02; done
              echo "FAULT-$((40 + 2))"
          - if: always()
            run: echo "cleanup still runs"
"""
TRIGGERS = {"log": "FAULT-42", "emit": "faulty"}


def all_canonical_events(project: Project, until_runs: set[str], limit_s: float = 20) -> list[Any]:
    """Every canonical event in the store from the first, until each of `until_runs` has
    its run.completed."""
    events: list[Any] = []
    waiting = set(until_runs)
    deadline = time.monotonic() + limit_s
    with httpx.stream(
        "GET",
        f"{project.url}/api/events",
        timeout=5,
        params={"format": "canonical"},
        headers={"Last-Event-ID": "0"},
    ) as response:
        for line in response.iter_lines():
            event = json.loads(line[6:]) if line.startswith("data: ") else {}
            if "seq" in event:  # (not a ping)
                events.append(event)
                if event["type"] == "run.completed":
                    waiting.discard(event["run_id"])
                if not waiting or time.monotonic() > deadline:
                    break
    return events


def assert_log_whole(events: list[Any], runs: set[str]) -> None:
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(1, len(seqs) + 1)), "the event log has a gap"
    for run_id in runs:
        types = [e["type"] for e in events if e["run_id"] == run_id]
        assert types[0] == "run.started", (run_id, types)
        assert types[-1] == "run.completed", (run_id, types)
        assert types.count("run.completed") == 1, (run_id, types)


def internal_errors(events: list[Any], run_id: str) -> list[str]:
    """The internal-error reasons the run's events show (step, job or run conclusions)."""
    found = []
    for event in events:
        if event["run_id"] != run_id:
            continue
        data = event["data"]
        for kind in ("step", "job", "run"):
            error = data.get(kind, {}).get("error") if isinstance(data.get(kind), dict) else None
            if isinstance(error, str) and error.startswith("internal error"):
                found.append(error)
    return found


# (A "job" fault, between these two, is in tests/engine/test_containment.py.)
@pytest.mark.parametrize("point", ["log", "emit"])
def test_a_fault_in_one_run_fails_that_run_only(project: Project, point: str) -> None:
    started, go = project.root / "started", project.root / "go"
    project.workflow("steady", STEADY)
    project.workflow("faulty", FAULTY)
    env = {**os.environ, ENV_VAR: f"{point}:{TRIGGERS[point]}"}
    daemon = project.serve(env=env)
    paths = {"STARTED": str(started), "GO": str(go)}

    steady = project.post("/api/runs", {"workflow": "steady", "env": paths}).json()["runId"]
    faulty = project.post("/api/runs", {"workflow": "faulty", "env": paths}).json()["runId"]
    run = project.wait_run(faulty)
    assert run["conclusion"] == "failure"
    # The other run is still in flight, untouched; then it finishes.
    assert project.get(f"/api/runs/{steady}").json()["status"] == "in_progress"
    go.touch()
    assert project.wait_run(steady)["conclusion"] == "success"
    # The daemon is up and runs more.
    assert daemon.poll() is None
    again = project.post("/api/runs", {"workflow": "steady", "env": paths}).json()["runId"]
    assert project.wait_run(again)["conclusion"] == "success"

    runs = {steady, faulty, again}
    events = all_canonical_events(project, runs)
    assert_log_whole(events, runs)
    reasons = internal_errors(events, faulty)
    assert reasons, "no event says the run failed of an internal error"
    assert all("InjectedFault" in reason for reason in reasons)
    if point == "log":  # (a job fault comes before any step; an emit fault takes its lines)
        lines = project.get(f"/api/runs/{faulty}/jobs/faulty/steps/1/log").text
        assert "##[error]internal error (InjectedFault" in lines
    assert not internal_errors(events, steady)

    daemon.terminate()
    _, stderr = daemon.communicate(timeout=15)
    assert daemon.returncode == 0
    assert b"Traceback" in stderr
    assert b"InjectedFault: fault injected at" in stderr


@pytest.mark.parametrize("point", ["log", "emit"])
def test_a_fault_in_a_local_run_fails_the_run_not_the_cli(project: Project, point: str) -> None:
    started = project.root / "started"
    started.touch()
    project.workflow("faulty", FAULTY)
    proc = subprocess.run(
        [*STAX, "run", "--local", "--json", "faulty"],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, ENV_VAR: f"{point}:{TRIGGERS[point]}", "STARTED": str(started)},
    )
    assert proc.returncode == 1, proc.stderr
    # What it printed is what it committed to the store, seq by seq: all of it.
    printed = [json.loads(line) for line in proc.stdout.splitlines()]
    run_id = printed[-1]["run_id"]
    assert_log_whole(printed, {run_id})
    assert printed[-1]["data"]["run"]["conclusion"] == "failure"
    assert internal_errors(printed, run_id)
    assert "InjectedFault: fault injected at" in proc.stderr
    assert "Traceback" in proc.stderr  # the log's, not a crash's: the exit code is the run's
