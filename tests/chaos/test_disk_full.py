"""The store's disk fills up during a run: the daemon says so, starts no new run, loses
nothing it committed, and carries on when space returns.

"Full" is a file-size limit (RLIMIT_FSIZE) put on the running daemon's engine process
(the store's writer): SQLite's writes past it fail with EFBIG (Python ignores SIGXFSZ),
exactly as on a full disk.
"""

from __future__ import annotations

import resource
import time

import httpx

from tests.real_daemon import Project, engine_pid

LINES = 60_000


def test_full_disk_pauses_the_log_refuses_new_runs_and_recovers(project: Project) -> None:
    daemon = project.serve()
    writer = engine_pid(daemon)
    project.workflow(
        "noisy",
        f"""
        on: push
        jobs:
          noisy:
            runs-on: ubuntu-latest
            steps:
              - run: for i in $(seq 1 {LINES}); do echo "line $i padded to make the log big"; done
    """,
    )
    wal = project.root / ".stax" / "stax.db-wal"
    limit = (wal.stat().st_size if wal.exists() else 0) + 64 * 1024
    # Only the soft limit: raising it back needs no privilege.
    resource.prlimit(writer, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        run_id = project.post("/api/runs", {"workflow": "noisy"}).json()["runId"]
        deadline = time.monotonic() + 20
        health: dict[str, object] = {}
        while time.monotonic() < deadline:
            health = project.get("/api/health").json()
            if health["store_error"]:
                break
            time.sleep(0.05)
        assert health["status"] == "degraded", health
        assert "full" in str(health["store_error"]) or "I/O" in str(health["store_error"])
        assert health["accepting_runs"] is False
        refused = project.post("/api/runs", {"workflow": "noisy"})
        assert refused.status_code == 503
        assert "cannot be written" in refused.json()["error"]["message"]
    finally:
        infinity = resource.RLIM_INFINITY
        resource.prlimit(writer, resource.RLIMIT_FSIZE, (infinity, infinity))

    run = project.wait_run(run_id, timeout=60)
    assert run["conclusion"] == "success"
    assert project.get("/api/health").json()["status"] == "ok"
    log = project.get(f"/api/runs/{run_id}/jobs/noisy/steps/1/log").text.splitlines()
    body = [line for line in log if line.startswith("line ")]
    assert body == [f"line {i} padded to make the log big" for i in range(1, LINES + 1)]
    # The daemon kept running throughout, and starts runs again.
    assert daemon.poll() is None
    again = project.post("/api/runs", {"workflow": "noisy"})
    assert again.status_code == 201
    httpx.post(
        f"{project.url}/api/runs/{again.json()['runId']}/cancel",
        timeout=5,
        headers={"Authorization": f"Bearer {project.token}"},
    )
