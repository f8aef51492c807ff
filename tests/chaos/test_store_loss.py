"""The store is lost or damaged under a running daemon: health says "degraded" and why,
new runs are refused with 503 (in each family's format), what still reads is served,
a run in flight keeps its events, and the daemon stays up.

- The data dir deleted (`rm -rf .stax`): the store's files are not at their paths any
  more, and a second daemon must not start a second store there.
- One page of a table overwritten with garbage, in the live store: the integrity check
  finds it (the daemon's next query of that page would fail).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import textwrap
import time
from typing import TYPE_CHECKING, Any

import httpx

from tests.real_daemon import STAX, free_port

if TYPE_CHECKING:
    from pathlib import Path

    from tests.real_daemon import Project

WAIT_FOR_FILE = """
on: push
jobs:
  slow:
    runs-on: ubuntu-latest
    steps:
      - run: touch started; while [ ! -e release ]; do sleep 0.02; done; echo "after the loss"
"""
QUICK = """
on: push
jobs:
  quick:
    runs-on: ubuntu-latest
    steps:
      - run: echo quick
"""
SKILL = """
id: test.echo
steps:
  - run: echo hi
"""


def wait_for(predicate: Any, what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def degraded_health(project: Project) -> dict[str, Any]:
    def degraded() -> dict[str, Any] | None:
        health: dict[str, Any] = project.get("/api/health").json()
        return health if health["status"] == "degraded" else None

    health: dict[str, Any] = wait_for(degraded, "health to say degraded")
    assert health["accepting_runs"] is False
    return health


def assert_new_runs_refused(project: Project, reason: str) -> None:
    """503 from every family that starts runs, each in its own format."""
    rest = project.post("/api/runs", {"workflow": "quick"})
    assert rest.status_code == 503, rest.text
    assert rest.json()["error"]["type"] == "store_unavailable"
    assert reason in rest.json()["error"]["message"]
    skill = project.post("/v1/skills/test.echo/execute", {"inputs": {}})
    assert skill.status_code == 503, skill.text
    assert skill.json()["error"]["type"] == "store_unavailable"
    assert reason in skill.json()["error"]["message"]
    # The Agent Protocol answers commands with an envelope (HTTP 200), as for any refusal.
    command = project.post(
        "/threads/t-1/commands",
        {"id": 1, "method": "run.start", "params": {"assistant_id": "quick", "input": {}}},
    )
    assert command.status_code == 200, command.text
    assert command.json()["type"] == "error"
    assert reason in command.json()["message"]


def write_skill(project: Project) -> None:
    skills = project.root / "skills"
    skills.mkdir()
    (skills / "echo.yml").write_text(textwrap.dedent(SKILL))


def test_a_data_dir_deleted_under_the_daemon_is_found_and_nothing_in_flight_is_lost(
    project: Project,
) -> None:
    project.workflow("slow", WAIT_FOR_FILE)
    project.workflow("quick", QUICK)
    write_skill(project)
    daemon = project.serve()
    token = project.token
    run_id = project.post("/api/runs", {"workflow": "slow"}).json()["runId"]
    wait_for(lambda: (project.root / "started").exists(), "the step to start")

    shutil.rmtree(project.root / ".stax")

    health = degraded_health(project)
    reason = "deleted or replaced under the daemon"
    assert reason in health["store_error"]
    assert "stax.db is gone" in health["store_error"]
    (project.root / ".stax").mkdir()  # `post` reads the token from there
    (project.root / ".stax" / "token").write_text(token)
    assert_new_runs_refused(project, reason)

    # A second daemon on the same data dir is refused, though its lock file is gone.
    second = subprocess.run(
        [*STAX, "serve", "--port", str(free_port())],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode == 2, second.stderr
    assert "is in use by another stax process" in second.stderr
    assert "Traceback" not in second.stderr

    # The run in flight goes on, and what it writes is read back while the daemon lives.
    (project.root / "release").touch()
    run = project.wait_run(run_id)
    assert run["conclusion"] == "success"
    log = project.get(f"/api/runs/{run_id}/jobs/slow/steps/1/log")
    assert log.status_code == 200
    assert log.text.endswith("after the loss\n")
    events = project.canonical_events(run_id)
    assert events[-1][1].count('"type":"run.completed"') == 1
    assert len(project.get("/api/runs").json()["runs"]) == 1
    assert daemon.poll() is None


def damage_page(db: Path, table: str) -> None:
    """Overwrite the b-tree header and cell pointers of `table`'s root page in the
    database file (after a checkpoint, so the page is read from there)."""
    with sqlite3.connect(db) as conn:
        wait_for(
            lambda: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0,
            "a checkpoint",
        )
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
    conn.close()
    with db.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * 64)


def test_a_damaged_page_in_the_live_store_is_found_and_reads_go_on(project: Project) -> None:
    project.workflow("quick", QUICK)
    write_skill(project)
    (project.root / "stax.toml").write_text(
        f"port = {project.port}\n[store]\nquick_check_seconds = 0.2\nfile_check_seconds = 0.1\n"
    )
    daemon = project.serve()
    run_ids = [project.post("/api/runs", {"workflow": "quick"}).json()["runId"] for _ in range(2)]
    for run_id in run_ids:
        assert project.wait_run(run_id)["conclusion"] == "success"
    assert project.get("/api/health").json()["status"] == "ok"

    damage_page(project.root / ".stax" / "stax.db", "run_numbers")

    health = degraded_health(project)
    reason = "the store is damaged"
    assert reason in health["store_error"]
    assert_new_runs_refused(project, reason)
    # What does not touch the damaged page reads as before.
    listed = project.get("/api/runs").json()["runs"]
    assert sorted(run["id"] for run in listed) == sorted(run_ids)
    log = project.get(f"/api/runs/{run_ids[0]}/jobs/quick/steps/1/log")
    assert log.text.endswith("quick\n")
    listing = project.stax("runs")
    assert listing.returncode == 0, listing.stderr
    assert "the daemon is degraded: the store is damaged" in listing.stderr
    assert run_ids[0] in listing.stdout
    assert daemon.poll() is None
    assert httpx.get(f"{project.url}/api/health", timeout=5).json()["status"] == "degraded"
