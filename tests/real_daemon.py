"""A stax project with its daemon as a real process (`python -m runner serve`), for tests
that need real signals, real crashes and the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.sse_client import read_events_sync

if TYPE_CHECKING:
    from collections.abc import Iterator

STAX = [sys.executable, "-m", "runner"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        (root / "stax.toml").write_text(f"port = {self.port}\nstep_kill_grace_seconds = 1\n")
        (root / "workflows").mkdir()
        self.daemons: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return (self.root / ".stax" / "token").read_text().strip()

    def workflow(self, name: str, text: str) -> None:
        (self.root / "workflows" / f"{name}.yml").write_text(textwrap.dedent(text))

    def stax(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "NO_COLOR": "1"}
        return subprocess.run(
            [*STAX, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )

    def serve(self, **popen: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [*STAX, "serve"],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **popen,
        )
        self.daemons.append(proc)
        # Generous: a start-up takes about a second, but many more on a busy machine.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=0.5).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "died")
            time.sleep(0.05)
        raise AssertionError("daemon did not come up")

    def post(self, path: str, body: object = None) -> httpx.Response:
        return httpx.post(
            f"{self.url}{path}",
            json=body,
            timeout=10,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def canonical_events(
        self,
        run_id: str,
        *,
        after: str = "0",
        until: str = '"type":"run.completed"',
        limit_s: float = 30,
    ) -> list[tuple[str, str]]:
        """(id, data) of the run's canonical events after `after`, up to the first whose
        data holds `until`, or until `limit_s` has passed."""
        events = read_events_sync(
            f"{self.url}/api/events",
            params={"runId": run_id, "format": "canonical"},
            headers={"Last-Event-ID": after},
            until=lambda sse: until in sse.data,
            limit=limit_s,
        )
        return [(sse.id, sse.data) for sse in events if sse.event != "ping"]

    def close(self) -> None:
        """Kill every daemon this project started that is still up."""
        for proc in self.daemons:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()

    def wait_run(self, run_id: str, timeout: float = 20) -> dict:  # type: ignore[type-arg]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.get(f"/api/runs/{run_id}").json()
            if run.get("status") == "completed":
                return run  # type: ignore[no-any-return]
            time.sleep(0.05)
        raise AssertionError(f"run {run_id} did not complete")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    project = Project(tmp_path)
    try:
        yield project
    finally:
        project.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def engine_pid(daemon: subprocess.Popen[bytes]) -> int:
    """The daemon's engine process (runner.daemon.engine_host): the one that runs steps and
    writes the store."""
    children = Path(f"/proc/{daemon.pid}/task/{daemon.pid}/children").read_text().split()
    for pid in children:
        if b"runner.daemon.engine_host" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return int(pid)
    raise AssertionError(f"daemon {daemon.pid} has no engine process among {children}")
