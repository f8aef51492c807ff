"""`stax run` and where jobs run: a snapshot of the repository each, `--bind` for the
working tree itself (here and through a daemon), and a note outside a repository."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest

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


def test_outside_a_repository_stax_run_says_jobs_run_in_place(project: Project) -> None:
    project.workflow("write", WRITE)
    result = project.stax("run", "write")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"note: {project.root} is not in a git repository" in result.stderr
    assert (project.root / "written.txt").is_file()
