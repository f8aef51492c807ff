"""workflows/ci.yml is stax's own CI, and stax runs it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import trio

from runner.engine import RunRequest, WorkflowRun
from runner.events.sink import ListSink
from runner.model import load_workflow
from tests.engine.conftest import RunResult

if TYPE_CHECKING:
    from runner.config import Settings

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "workflows" / "ci.yml"


def test_ci_has_lint_types_and_tests() -> None:
    workflow = load_workflow(CI)
    assert list(workflow.jobs) == ["lint", "types", "tests"]
    commands = {key: [s.run for s in job.steps if s.run] for key, job in workflow.jobs.items()}
    assert "ruff check runner tests" in commands["lint"]
    assert "mypy runner" in commands["types"]
    [command] = [c for c in commands["tests"] if c and "pytest" in c]
    assert command == "python -m pytest -q -x -p no:cacheprovider"  # all of it: no --ignore


@pytest.mark.skipif(
    os.environ.get("STAX") == "true",
    reason="already inside a stax run: running CI again would recurse",
)
@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
async def test_stax_runs_the_lint_job_of_its_own_ci(settings: Settings) -> None:
    sink = ListSink()
    run = WorkflowRun(
        RunRequest(workflow=load_workflow(CI), workdir=REPO, jobs=("lint",)), settings, sink
    )
    run.prepare()
    with trio.fail_after(120):
        record = await run.run()
    result = RunResult(record=record, events=sink.events)
    # GitHub-only set-up steps are skipped here; the workspace is already checked out.
    assert result.step_conclusions("lint")[:3] == ["success", "skipped", "skipped"]
    assert result.conclusion == "success", "\n".join(result.output("lint", 4))
