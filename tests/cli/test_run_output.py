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


MATRIX = """
    on: push
    jobs:
      t:
        runs-on: ubuntu-latest
        strategy: {matrix: {py: ["3.10", "3.11", "3.12"]}}
        steps:
          - run: echo "ran ${{ matrix.py }} ${{ strategy.job-index }}"
"""


def test_a_matrix_filter_matching_nothing_is_a_usage_error_naming_the_values(
    project: Project,
) -> None:
    project.workflow("matrix", MATRIX)
    result = project.stax("run", "matrix", "--local", "--matrix", "py:2.7")
    assert result.returncode == 2
    assert 'matches no combination of job "t" (its values: py: 3.10, 3.11, 3.12)' in result.stderr
    assert "Traceback" not in result.stderr


def test_a_repeated_matrix_filter_through_the_daemon_runs_any_of_its_values(
    project: Project,
) -> None:
    project.workflow("matrix", MATRIX)
    project.serve()
    result = project.stax("run", "matrix", "--matrix", "py:3.10", "--matrix", "py:3.12")
    assert result.returncode == 0, result.stderr
    assert "ran 3.10 0" in result.stdout
    assert "ran 3.12 2" in result.stdout
    assert "ran 3.11" not in result.stdout
