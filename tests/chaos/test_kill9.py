"""kill -9 the daemon mid-run, then restart it; after each restart:

- every run is consistent: finished, or ended as failed with the reason;
- every event a client received is still in the log under the same seq, and
  Last-Event-ID resumes exactly after it;
- no step process survives its run.

The suite kills at six points spread over a run, one after another (in parallel they
gained little on two CPUs and starved each other's start-up under load). The soak, 20
kills at random points, runs with `pytest -m slow`.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from tests.real_daemon import Project, alive

SOAK_TRIALS = 20
# Seconds from the run's start to the kill: from before its first step has a line out to
# its last lines (the steps print for ~0.4 s).
SPREAD = (0.05, 0.15, 0.25, 0.35, 0.45, 0.6)

BUSY = """
    on: push
    jobs:
      one:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo $$ >> "$PIDS"
              for i in $(seq 1 40); do echo "one $i"; sleep 0.01; done
      two:
        runs-on: ubuntu-latest
        steps:
          - run: |
              sleep 30 &
              echo $! >> "$PIDS"
              for i in $(seq 1 40); do echo "two $i"; sleep 0.01; done
      three:
        needs: one
        runs-on: ubuntu-latest
        steps:
          - run: echo three
"""


def kill_9_trials(project: Project, delays: list[float]) -> int:
    """One kill -9 per delay, each `delay` seconds into a run a client is reading; each
    restarted daemon serves the next trial. The number of events the client had seen."""
    project.workflow("busy", BUSY)
    pids_file = project.root / "pids"
    daemon = project.serve()
    checked = 0
    for trial, delay in enumerate(delays):
        pids_file.write_text("")
        body = {"workflow": "busy", "env": {"PIDS": str(pids_file)}}
        run_id = project.post("/api/runs", body).json()["runId"]
        seen = project.canonical_events(run_id, limit_s=delay)
        daemon.kill()
        daemon.wait(timeout=10)

        daemon = project.serve()
        run = project.wait_run(run_id)
        assert run["status"] == "completed", trial
        if run["conclusion"] != "success":
            assert run["conclusion"] == "failure", (trial, run)
            assert run["error"] == "daemon stopped", (trial, run)
            for job in run["jobs"]:
                assert job["status"] == "completed", (trial, job)
        replay = dict(project.canonical_events(run_id))
        for seq, data in seen:
            assert replay[seq] == data, (trial, seq)
        if seen:
            resumed = project.canonical_events(run_id, after=seen[-1][0])
            ids = [int(s) for s, _ in resumed]
            assert ids == sorted(ids), trial
            assert ids[0] > int(seen[-1][0]), trial
            assert json.loads(resumed[-1][1])["type"] == "run.completed"
        for pid in (int(p) for p in pids_file.read_text().split()):
            deadline = time.monotonic() + 5
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not alive(pid), (trial, pid)
        checked += len(seen)
    daemon.terminate()
    daemon.wait(timeout=15)
    return checked


def test_kill_9_at_points_spread_over_a_run(project: Project) -> None:
    assert kill_9_trials(project, list(SPREAD)) > 0


@pytest.mark.slow
def test_twenty_kill_9_trials_at_random_points(project: Project) -> None:
    rng = random.Random(20261122)
    checked = kill_9_trials(project, [rng.uniform(0.05, 0.6) for _ in range(SOAK_TRIALS)])
    assert checked > 0
    print(f"kill -9: {SOAK_TRIALS} trials, {checked} events checked, 0 lost")
    (project.root / "chaos-kill9.json").write_text(
        json.dumps({"trials": SOAK_TRIALS, "events_checked": checked, "lost": 0})
    )
