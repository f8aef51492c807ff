"""Warm start: the first `stax run` leaves a warm process behind, and later runs are
forks of it that behave as a cold run does: same streams, environment, folder and
exit code; Ctrl-C cancels; a client killed with -9 takes its steps with it; stale
sources, idleness and a dead process's socket all end in a cold run, never a wrong one."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runner.cli import warm_start
from runner.cli.warm_process import WarmProcess, path_fingerprint, source_fingerprint
from tests.real_daemon import STAX

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SO_PEERCRED is Linux's")


class Warm:
    """A project folder and an environment whose stax runs go warm, in a runtime
    folder of their own; ends the warm process it leaves."""

    def __init__(self, root: Path, runtime: Path) -> None:
        self.root = root
        self.runtime = runtime
        self.env = {**os.environ, "STAX_WARM": "1", "XDG_RUNTIME_DIR": str(runtime)}
        self.env["NO_COLOR"] = "1"

    def workflow(self, name: str, steps: str) -> str:
        body = "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        (self.root / name).write_text(body + textwrap.indent(textwrap.dedent(steps), "      "))
        return name

    def start(self, name: str, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*STAX, "run", name, "--local"],
            cwd=self.root,
            env=kwargs.pop("env", self.env),  # type: ignore[arg-type]
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,  # type: ignore[call-overload]
        )

    def run(self, name: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        proc = self.start(name, **kwargs)
        out, err = proc.communicate(timeout=60)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def lock_file(self) -> Path | None:
        found = list((self.runtime / f"stax-{os.getuid()}").glob("warm-*.sock.lock"))
        return found[0] if found else None

    def warm_pid(self, timeout: float = 30) -> int:
        """The warm process's pid, once it listens."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lock = self.lock_file()
            if lock is not None and Path(str(lock).removesuffix(".lock")).exists():
                text = lock.read_text().strip()
                if text:
                    return int(text)
            time.sleep(0.05)
        raise AssertionError("no warm process came up")

    def end(self) -> None:
        for lock in (self.runtime / f"stax-{os.getuid()}").glob("warm-*.sock.lock"):
            text = lock.read_text().strip()
            if text:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(text), signal.SIGTERM)


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[Warm]:
    # A short folder: a Unix socket's path must fit in 108 bytes.
    runtime = Path(tempfile.mkdtemp(prefix="stax-warm-"))
    project = Warm(tmp_path, runtime)
    try:
        yield project
    finally:
        project.end()


def wait_for(condition: Callable[[], object], failure: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def caller_settings() -> None:
    """A umask and a descriptor limit that differ from the warm process's."""
    os.umask(0o027)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def test_a_later_run_is_a_fork_of_the_warm_process_with_the_callers_world(warm: Warm) -> None:
    first = warm.run(warm.workflow("one.yml", "- run: echo cold"))
    assert first.returncode == 0, first.stderr
    warm_pid = warm.warm_pid()

    warm.workflow(
        "world.yml",
        """\
        - run: |
            echo "foo=$FOO"
            echo "pwd=$(pwd -P)"
            echo "umask=$(umask)"
            echo "files=$(ulimit -n)"
            echo "warm=$(cut -d' ' -f4 /proc/$PPID/stat)"
        """,
    )
    (warm.root / "sub").mkdir()
    env = {**warm.env, "FOO": "from the caller"}
    second = subprocess.run(
        [*STAX, "run", "../world.yml", "--local", "--bind"],
        cwd=warm.root / "sub",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=caller_settings,
    )
    assert second.returncode == 0, second.stderr
    assert "foo=from the caller" in second.stdout
    assert f"pwd={(warm.root / 'sub').resolve()}" in second.stdout
    assert "umask=0027" in second.stdout
    assert "files=256" in second.stdout
    # The step's parent (the run's engine) is the warm process's fork.
    assert f"warm={warm_pid}" in second.stdout
    assert alive(warm_pid)  # and it serves the next one


def test_a_caller_with_another_python_path_is_not_served_by_this_warm_process(
    warm: Warm,
) -> None:
    warm.run(warm.workflow("one.yml", "- run: true"))
    first = warm.warm_pid()
    name = warm.workflow("who.yml", "- run: echo \"warm=$(cut -d' ' -f4 /proc/$PPID/stat)\"")
    elsewhere = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(warm.root)]))
    other = warm.run(name, env={**warm.env, "PYTHONPATH": elsewhere})
    assert other.returncode == 0, other.stderr
    assert f"warm={first}" not in other.stdout  # it may import other modules than first's
    assert f"warm={first}" in warm.run(name).stdout


def test_the_exit_code_and_stderr_are_the_runs(warm: Warm) -> None:
    warm.run(warm.workflow("one.yml", "- run: true"))
    warm.warm_pid()
    failed = warm.run(warm.workflow("fail.yml", "- run: echo boom >&2; exit 3"))
    assert failed.returncode == 1
    assert "boom" in failed.stdout + failed.stderr
    usage = subprocess.run(
        [*STAX, "run", "missing.yml", "--local"],
        cwd=warm.root,
        env=warm.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2
    assert usage.stderr.startswith("stax: ")
    assert "Traceback" not in usage.stderr


def test_ctrl_c_reaches_the_run_and_cancels_it(warm: Warm) -> None:
    warm.run(warm.workflow("one.yml", "- run: true"))
    warm.warm_pid()
    marker = warm.root / "running"
    name = warm.workflow(
        "slow.yml",
        f"""\
        - run: touch {marker}; sleep 60
        - if: always()
          run: echo cleaned up
        """,
    )
    proc = warm.start(name)
    wait_for(marker.exists, "the step never started")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "cleaned up" in out
    assert "cancelling" in err


def test_a_client_killed_with_9_takes_the_run_and_its_steps(warm: Warm) -> None:
    warm.run(warm.workflow("one.yml", "- run: true"))
    warm.warm_pid()
    pid_file = warm.root / "step.pid"
    proc = warm.start(warm.workflow("hang.yml", f"- run: echo $$ > {pid_file}; sleep 60"))
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "no step")
    step = int(pid_file.read_text())
    proc.kill()
    proc.communicate()
    wait_for(lambda: not alive(step), "the step outlived its run")


def test_off_switch_starts_no_warm_process(warm: Warm) -> None:
    env = {**warm.env, "STAX_WARM": "0"}
    assert warm.run(warm.workflow("one.yml", "- run: true"), env=env).returncode == 0
    time.sleep(0.5)
    assert warm.lock_file() is None


def serve_in_thread(path: str, fingerprint: list[int], idle_s: float) -> threading.Thread:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    process = WarmProcess(listener, path, lambda: fingerprint[0])

    def serve() -> None:
        with listener:
            process.serve(idle_s)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_stale_sources_are_refused_and_the_warm_process_quits(
    warm: Warm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(warm.runtime))
    path = warm_start.socket_path()
    assert path is not None
    fingerprint = [1]
    thread = serve_in_thread(path, fingerprint, idle_s=60)
    fingerprint[0] = 2  # an edit, or an upgrade
    assert warm_start.run_warm(["run", "x.yml"]) is None  # so the caller runs cold
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_an_idle_warm_process_quits(warm: Warm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(warm.runtime))
    path = warm_start.socket_path()
    assert path is not None
    thread = serve_in_thread(path, [1], idle_s=0.2)
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_dead_warm_processs_socket_means_a_cold_run_and_a_new_warm_process(
    warm: Warm,
) -> None:
    warm.run(warm.workflow("one.yml", "- run: true"))
    first = warm.warm_pid()
    os.kill(first, signal.SIGKILL)  # leaves its socket file behind
    while alive(first):
        time.sleep(0.05)
    again = warm.run("one.yml")
    assert again.returncode == 0, again.stderr
    assert "✓" in again.stdout or "success" in again.stdout
    wait_for(lambda: warm.warm_pid() != first, "no new warm process")


def test_fingerprint_follows_edits(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "m.py"
    module.write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"junk")
    before = source_fingerprint(str(tmp_path))
    assert before[0] == 1  # caches are not sources
    module.write_text("x = 22\n")
    assert source_fingerprint(str(tmp_path)) != before


def test_path_fingerprint_follows_installs(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    before = path_fingerprint([str(site), str(tmp_path / "missing")])
    time.sleep(0.01)  # a new entry in the folder: a package installed, or upgraded
    (site / "trio-0.99.dist-info").mkdir()
    assert path_fingerprint([str(site), str(tmp_path / "missing")]) != before
