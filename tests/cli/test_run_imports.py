"""A `stax run` that runs here, with --local or for want of a daemon, never imports the HTTP
stack: its start-up is most of a short run's time."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.real_daemon import STAX

if TYPE_CHECKING:
    from tests.real_daemon import Project

HTTP_STACK = ("quart", "hypercorn", "httpx", "h11", "runner.api")


@pytest.mark.parametrize("local", [True, False], ids=["--local", "no-daemon-up"])
def test_a_run_here_imports_no_http_stack(project: Project, local: bool) -> None:
    project.workflow(
        "one", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n"
    )
    python, *module = STAX
    result = subprocess.run(
        [python, "-X", "importtime", *module, "run", "one", *(["--local"] if local else [])],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "runner.engine" in imported  # it did run here
    assert not {m for m in imported if m.split(".")[0] in HTTP_STACK or m in HTTP_STACK}
    assert not {m for m in imported if m.startswith("runner.api")}


def test_the_warm_start_client_imports_no_trio_nor_engine() -> None:
    """What a warm `stax run` imports before it hands over: the interpreter's start-up
    and this is all its own wall time."""
    python, *_ = STAX
    probe = (
        "import sys; from runner.cli import main, warm_start; "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    imported = set(result.stdout.split())
    assert "runner.cli.warm_start" in imported
    heavy = {"trio", "yaml", "sqlite3", "runner.engine", "runner.model", "runner.events"}
    assert not heavy & imported
