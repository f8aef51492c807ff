"""Step and job names: evaluated once, shown the same when they start and when they end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.types import EventType

if TYPE_CHECKING:
    from tests.engine.conftest import Runner


async def test_an_unnamed_run_step_is_named_after_its_evaluated_first_line(
    run_yaml: Runner,
) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          t:
            runs-on: ubuntu-latest
            strategy: {matrix: {python: ["3.11"]}}
            steps:
              - run: want='${{ matrix.python }}'
              - name: Check ${{ matrix.python }}
                run: "true"
    """)
    assert result.conclusion == "success"
    started = [e.data["step"]["name"] for e in result.of_type(EventType.STEP_STARTED)]  # type: ignore[index]
    ended = [e.data["step"]["name"] for e in result.of_type(EventType.STEP_COMPLETED)]  # type: ignore[index]
    assert started == ended == ["Run want='3.11'", "Check 3.11"]
    assert "##[group]Run want='3.11'" in result.logs("t.1", 1)


async def test_a_skipped_job_shows_its_evaluated_name_never_raw_expressions(
    run_yaml: Runner,
) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          tests:
            name: Test on ${{ matrix.os }}
            if: false
            runs-on: ubuntu-latest
            strategy: {matrix: {os: [linux, bsd]}}
            steps: [{run: "true"}]
          deploy:
            name: Deploy on ${{ github.event_name }}
            if: false
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
    """)
    names = {key: job.name for key, job in result.record.jobs.items()}
    assert names == {"tests": "tests", "deploy": "Deploy on push"}
    assert "${{" not in result.all_json()
