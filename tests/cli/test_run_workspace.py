"""`stax run` and where jobs run: a snapshot of the repository each, `--bind` for the
working tree itself (here and through a daemon), and a note outside a repository."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.real_daemon import STAX

if TYPE_CHECKING:
    from tests.real_daemon import Project

WRITE = """
    on: push
    jobs:
      j:
        runs-on: ubuntu-latest
        steps:
          - run: echo "written by the job" > written.txt
"""


def _commit(project: Project) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *args], cwd=project.root, env=env, check=True)


@pytest.mark.parametrize("where", ["here", "daemon"])
def test_bind_runs_the_job_in_the_working_tree(project: Project, where: str) -> None:
    project.workflow("write", WRITE)
    _commit(project)
    if where == "daemon":
        project.serve()
    result = project.stax("run", "write")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project.root / "written.txt").exists()  # the job's snapshot had it
    assert "not in a git repository" not in result.stderr
    result = project.stax("run", "write", "--bind")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project.root / "written.txt").read_text() == "written by the job\n"


def test_outside_a_repository_stax_run_tells_the_terminal_jobs_run_in_place(
    project: Project,
) -> None:
    project.workflow("write", WRITE)
    quiet = project.stax("run", "write")  # stderr read by a program: no note
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "not in a git repository" not in quiet.stderr
    assert (project.root / "written.txt").is_file()
    terminal = _stderr_on_a_terminal(project, "run", "write", "--local")
    assert f"note: {project.root} is not in a git repository" in terminal


def _stderr_on_a_terminal(project: Project, *args: str) -> str:
    """What `stax ARGS` writes to stderr when stderr is a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            [*STAX, *args],
            cwd=project.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env={**os.environ, "NO_COLOR": "1"},
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
    chunks = []
    try:
        with contextlib.suppress(OSError):  # EIO: nothing more, the terminal is closed
            while chunk := os.read(leader, 65536):
                chunks.append(chunk)
    finally:
        os.close(leader)
    return b"".join(chunks).decode(errors="replace")
