"""`stax ... | head -1`: when the reader of stdout goes away, stax ends as Unix tools do,
quietly with status 141 (128 + SIGPIPE), and a local run is recorded as cancelled."""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.real_daemon import STAX

if TYPE_CHECKING:
    from tests.real_daemon import Project

# The step never ends by itself: only the closed output can end the run.
ENDLESS = """
    on: push
    jobs:
      a:
        runs-on: ubuntu-latest
        steps:
          - run: while true; do echo tick; sleep 0.01; done
"""


def start(project: Project, *args: str, buffered: bool) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)  # as a user runs it: stdout is block-buffered
    else:
        env["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(
        [*STAX, *args],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_one_line_and_close(proc: subprocess.Popen[str]) -> tuple[str, int, str]:
    """What `| head -1` does: read a line, close the pipe, then wait for the writer."""
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return first, proc.returncode, stderr


def last_run(project: Project) -> dict[str, object]:
    listed = project.stax("runs", "--json", "-n", "1")
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert isinstance(runs, list)
    assert runs
    run = runs[0]
    assert isinstance(run, dict)
    return run


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "terminal"])
@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_local_run_whose_reader_goes_away_ends_quietly_as_cancelled(
    project: Project, json_output: bool, buffered: bool
) -> None:
    project.workflow("endless", ENDLESS)
    args = ["run", "endless", "--local", "--bind", *(["--json"] if json_output else [])]
    first, returncode, stderr = read_one_line_and_close(start(project, *args, buffered=buffered))
    assert first  # it did print before the reader left
    assert returncode == 141, stderr
    assert stderr == ""
    run = last_run(project)
    assert (run["status"], run["conclusion"]) == ("completed", "cancelled")


def test_a_run_through_the_daemon_whose_reader_goes_away_ends_quietly(
    project: Project,
) -> None:
    project.workflow("endless", ENDLESS)
    project.serve()
    proc = start(project, "run", "endless", "--json", "--bind", buffered=True)
    first, returncode, stderr = read_one_line_and_close(proc)
    assert json.loads(first)["type"] == "run.started"
    assert returncode == 141, stderr
    assert stderr == ""


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "terminal"])
def test_log_follow_whose_reader_goes_away_ends_quietly(
    project: Project, json_output: bool
) -> None:
    project.workflow("endless", ENDLESS)
    running = start(project, "run", "endless", "--local", "--bind", buffered=False)
    try:
        assert running.stdout is not None
        running.stdout.readline()  # the run has started: its events are in the store
        args = ["log", "-f", *(["--json"] if json_output else [])]
        first, returncode, stderr = read_one_line_and_close(start(project, *args, buffered=True))
        assert first
        assert returncode == 141, stderr
        assert stderr == ""
    finally:
        running.kill()
        running.communicate(timeout=30)
