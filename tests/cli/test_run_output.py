"""`stax run` as a user runs it (a real process): what it shows and what it leaves behind."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.real_daemon import Project


def git(project: Project, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project.root, capture_output=True, text=True, check=True
    ).stdout


def test_a_run_inside_a_repository_leaves_git_status_clean(project: Project) -> None:
    project.workflow(
        "hello",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo hello
        """,
    )
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "init")
    result = project.stax("run", "hello", "--local")
    assert result.returncode == 0, result.stderr
    assert git(project, "status", "--porcelain") == ""
    assert (project.root / ".stax" / ".gitignore").read_text().splitlines()[-1] == "*"
