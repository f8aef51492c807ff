from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.engine.conftest import Runner


async def test_hello_runs_and_reports_seed_shaped_events(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: echo hello
    """)
    assert result.conclusion == "success"
    assert result.output("build", 1) == ["Workspace already available"]
    assert result.output("build", 2) == ["hello"]
    types = [e.type.value for e in result.events if e.type.value != "step.log"]
    assert types == [
        "run.started",
        "job.queued",
        "job.started",
        "step.started",
        "job.status",
        "step.completed",
        "step.started",
        "job.status",
        "step.completed",
        "job.completed",
        "run.completed",
    ]
