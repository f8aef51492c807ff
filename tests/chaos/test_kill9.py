"""kill -9 the daemon at random points during runs, 20 times; after each restart:

- every run is consistent: finished, or ended as failed with the reason;
- every event a client received is still in the log under the same seq, and
  Last-Event-ID resumes exactly after it;
- no step process survives its run.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from tests.real_daemon import Project, alive

TRIALS = 20

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


def test_twenty_kill_9_trials(project: Project) -> None:
    rng = random.Random(20261122)
    pids_file = project.root / "pids"
    project.workflow("busy", BUSY)
    checked_events = 0
    for trial in range(TRIALS):
        pids_file.write_text("")
        daemon = project.serve()
        body = {"workflow": "busy", "env": {"PIDS": str(pids_file)}}
        run_id = project.post("/api/runs", body).json()["runId"]
        # A client reads for a random while; then the daemon dies mid-run.
        seen = project.canonical_events(run_id, limit_s=rng.uniform(0.05, 0.6))
        daemon.kill()
        daemon.wait(timeout=10)

        project.serve()
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
        checked_events += len(seen)
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
        project.daemons[-1].terminate()
        project.daemons[-1].wait(timeout=15)
    assert checked_events > 0
    print(f"kill -9: {TRIALS} trials, {checked_events} events checked, 0 lost")
    (Path(project.root) / "chaos-kill9.json").write_text(
        json.dumps({"trials": TRIALS, "events_checked": checked_events, "lost": 0})
    )
