"""The daemon as a real process: one per data dir, clean SIGTERM, crash recovery, the CLI."""

from __future__ import annotations

import json
import resource
import signal
import socket
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.real_daemon import Project, alive, engine_pid

SLOW = """
    on: push
    jobs:
      slow:
        runs-on: ubuntu-latest
        steps:
          - run: |
              sleep 300 &
              echo $! > child.pid
              echo $$ > leader.pid
              echo ready
              wait
"""


def wait_file(path: Path, timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def test_a_second_daemon_on_the_same_data_dir_is_refused(project: Project) -> None:
    project.serve()
    other = project.stax("serve", "--port", "0", timeout=15)
    assert other.returncode == 2
    assert "is in use by stax pid" in other.stderr


def test_a_thousand_open_connections_leave_the_runs_their_pipes(project: Project) -> None:
    """Started with a soft limit of 128 open files (systems default to 1,024), the daemon
    lifts it: a crowd of clients holding connections must not starve a run of pipes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"the hard limit on open files here is {hard}")
    if soft != resource.RLIM_INFINITY and soft < 4096:  # this test holds 1,000 sockets too
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))
    daemon = project.serve(
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))
    )
    project.workflow("steps", STEPS)
    head = f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{project.port}\r\n\r\n".encode()
    with ExitStack() as held:
        for _ in range(1000):
            client = held.enter_context(
                socket.create_connection(("127.0.0.1", project.port), timeout=10)
            )
            client.sendall(head)
        client.settimeout(15)
        assert client.recv(4096).startswith(b"HTTP/1.1 200")  # the last one was served
        run_id = project.post("/api/runs", {"workflow": "steps"}).json()["runId"]
        assert project.wait_run(run_id)["conclusion"] == "success"
    limits = Path(f"/proc/{daemon.pid}/limits").read_text()
    soft = next(line.split()[3] for line in limits.splitlines() if "open files" in line)
    assert int(soft) >= min(1000, hard)


STEPS = """
    on: push
    jobs:
      a:
        runs-on: ubuntu-latest
        steps:
          - run: echo one
          - run: echo two | tr a-z A-Z
          - run: seq 1 100 | wc -l
"""


def test_sigterm_cancels_runs_kills_their_processes_and_exits_cleanly(project: Project) -> None:
    daemon = project.serve()
    project.workflow("slow", SLOW)
    run_id = project.post("/api/runs", {"workflow": "slow"}).json()["runId"]
    child = wait_file(project.root / "child.pid")
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
    assert not alive(child)
    # The store says how the run ended.
    runs = json.loads(project.stax("runs", "--json").stdout)
    assert runs[0]["id"] == run_id
    assert runs[0]["conclusion"] == "cancelled"


def test_kill_9_mid_run_then_restart_ends_the_run_and_keeps_every_seen_event(
    project: Project,
) -> None:
    daemon = project.serve()
    engine = engine_pid(daemon)
    project.workflow("slow", SLOW)
    run_id = project.post("/api/runs", {"workflow": "slow"}).json()["runId"]
    child = wait_file(project.root / "child.pid")
    # A client that saw the run so far, with the ids it got.
    seen = dict(project.canonical_events(run_id, until='"ready"'))
    daemon.kill()
    daemon.wait(timeout=10)
    deadline = time.monotonic() + 5
    while alive(engine) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(engine)  # it dies with the daemon
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(child)  # and the step's group with the engine (its watchdog)

    project.serve()
    run = project.wait_run(run_id)
    assert run["conclusion"] == "failure"
    assert run["error"] == "daemon stopped"
    assert run["jobs"][0]["conclusion"] == "failure"
    # Every event the client had is still there, under the same seq.
    replay = dict(project.canonical_events(run_id))
    for seq, data in seen.items():
        assert replay[seq] == data


def test_cli_against_a_daemon_run_log_runs_cancel(project: Project) -> None:
    project.serve()
    project.workflow(
        "hello",
        """
        on: push
        jobs:
          greet:
            runs-on: ubuntu-latest
            steps:
              - run: echo "hello from the daemon"
    """,
    )
    result = project.stax("run", "hello")
    assert result.returncode == 0, result.stderr
    assert "hello from the daemon" in result.stdout
    runs = json.loads(project.stax("runs", "--json").stdout)
    assert len(runs) == 1
    log = project.stax("log", runs[0]["id"])
    assert "hello from the daemon" in log.stdout
    raw = project.stax("log", runs[0]["id"], "--json")
    types = [json.loads(line)["type"] for line in raw.stdout.splitlines()]
    assert types[0] == "run.started"
    assert types[-1] == "run.completed"
    gone = project.stax("cancel", runs[0]["id"])
    assert gone.returncode == 2
    assert "not running" in gone.stderr


def test_cli_without_a_daemon_records_runs_in_the_store(project: Project) -> None:
    project.workflow(
        "fails",
        """
        on: push
        jobs:
          broken:
            runs-on: ubuntu-latest
            steps:
              - run: echo about to fail; exit 3
    """,
    )
    result = project.stax("run", "fails")
    assert result.returncode == 1
    assert "Process completed with exit code 3." in result.stdout
    runs = json.loads(project.stax("runs", "--json").stdout)
    assert runs[0]["conclusion"] == "failure"
    log = project.stax("log", runs[0]["id"])
    assert "about to fail" in log.stdout


def test_a_port_in_use_is_a_one_line_error_and_leaves_no_engine(project: Project) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", project.port))
        taken.listen()
        result = project.stax("serve")
    assert result.returncode == 2
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
    # The engine it had started ended with it (it would hold the data dir otherwise).
    project.serve()
