"""Jobs form a true DAG: each starts when its own needs finish, within the job limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.types import EventType

if TYPE_CHECKING:
    from pathlib import Path

    from tests.engine.conftest import Runner

STARTED, COMPLETED = EventType.JOB_STARTED, EventType.JOB_COMPLETED


async def test_a_job_starts_when_its_own_needs_finish_not_in_stages(
    run_yaml: Runner, workspace: Path
) -> None:
    # slow can only finish once after_fast has run: with stage barriers
    # (after_fast waiting for every job of the "first stage") this deadlocks.
    result = await run_yaml(
        """
        on: push
        jobs:
          fast:
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
          slow:
            runs-on: ubuntu-latest
            steps:
              - run: while [ ! -f after_fast.done ]; do sleep 0.01; done
          after_fast:
            needs: fast
            runs-on: ubuntu-latest
            steps: [{run: touch after_fast.done}]
        """,
        limit_s=20,
    )
    assert result.conclusion == "success"
    assert result.seq(STARTED, "after_fast") > result.seq(COMPLETED, "fast")
    assert result.seq(STARTED, "after_fast") < result.seq(COMPLETED, "slow")


async def test_a_job_waits_for_all_of_its_needs(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          a: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          b: {runs-on: ubuntu-latest, needs: a, steps: [{run: "true"}]}
          c: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          d: {runs-on: ubuntu-latest, needs: [b, c], steps: [{run: "true"}]}
    """)
    assert result.conclusion == "success"
    start_d = result.seq(STARTED, "d")
    assert start_d > result.seq(COMPLETED, "b")
    assert start_d > result.seq(COMPLETED, "c")
    assert result.seq(STARTED, "b") > result.seq(COMPLETED, "a")


def _max_concurrent(result: object, ids: list[str]) -> int:
    running = peak = 0
    for event in result.events:  # type: ignore[attr-defined]
        if event.job_id in ids and event.type is STARTED:
            running += 1
            peak = max(peak, running)
        elif event.job_id in ids and event.type is COMPLETED:
            running -= 1
    return peak


async def test_the_parallel_job_limit_is_respected(run_yaml: Runner) -> None:
    jobs = "\n".join(
        f"  j{i}: {{runs-on: ubuntu-latest, steps: [{{run: 'true'}}]}}" for i in range(5)
    )
    result = await run_yaml("on: push\njobs:\n" + jobs, settings_overrides={"max_parallel_jobs": 2})
    assert result.conclusion == "success"
    assert _max_concurrent(result, [f"j{i}" for i in range(5)]) <= 2


async def test_independent_jobs_run_at_the_same_time_up_to_the_limit(run_yaml: Runner) -> None:
    # Each job waits for the other's file: only true concurrency finishes.
    result = await run_yaml(
        """
        on: push
        jobs:
          left:
            runs-on: ubuntu-latest
            steps:
              - run: touch left.up; while [ ! -f right.up ]; do sleep 0.01; done
          right:
            runs-on: ubuntu-latest
            steps:
              - run: touch right.up; while [ ! -f left.up ]; do sleep 0.01; done
        """,
        settings_overrides={"max_parallel_jobs": 2},
        limit_s=20,
    )
    assert result.conclusion == "success"


async def test_a_limit_of_one_runs_jobs_one_at_a_time(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          a: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          b: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          c: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
        """,
        settings_overrides={"max_parallel_jobs": 1},
    )
    assert _max_concurrent(result, ["a", "b", "c"]) == 1


async def test_needs_outputs_and_results_reach_the_next_job(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          produce:
            runs-on: ubuntu-latest
            outputs:
              version: ${{ steps.v.outputs.version }}
              lines: ${{ steps.v.outputs.multi }}
            steps:
              - id: v
                run: |
                  echo "version=1.2.3" >> "$GITHUB_OUTPUT"
                  printf 'multi<<EOF\\nline one\\nline two\\nEOF\\n' >> "$GITHUB_OUTPUT"
          consume:
            needs: produce
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "got ${{ needs.produce.outputs.version }}"
                  echo "result ${{ needs.produce.result }}"
              - env:
                  LINES: ${{ needs.produce.outputs.lines }}
                run: echo "$LINES" | wc -l | tr -d ' '
    """)
    assert result.conclusion == "success"
    assert result.job("produce").outputs == {"version": "1.2.3", "lines": "line one\nline two"}
    assert result.output("consume", 1) == ["got 1.2.3", "result success"]
    assert result.output("consume", 2) == ["2"]
    message = result.first(EventType.JOB_MESSAGE, "consume")
    assert message.data["from_job"] == "produce"
    assert message.data["outputs"] == {"version": "1.2.3", "lines": "line one\nline two"}
    assert message.data["result"] == "success"


async def test_needs_of_a_failed_job_skip_dependents_unless_they_ask(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          broken:
            runs-on: ubuntu-latest
            steps: [{run: exit 3}]
          dependent:
            needs: broken
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          transitive:
            needs: dependent
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          on_failure:
            needs: dependent
            if: failure()
            runs-on: ubuntu-latest
            steps: [{run: 'echo "broken=${{ needs.dependent.result }}"'}]
          on_always:
            needs: broken
            if: always()
            runs-on: ubuntu-latest
            steps: [{run: 'echo "result=${{ needs.broken.result }}"'}]
          on_success:
            needs: broken
            if: success()
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
    """)
    assert result.conclusion == "failure"
    assert result.job_conclusions() == {
        "broken": "failure",
        "dependent": "skipped",
        "transitive": "skipped",
        "on_failure": "success",
        "on_always": "success",
        "on_success": "skipped",
    }
    # failure() looks at every ancestor, not only the direct need (GitHub's rule).
    assert result.output("on_failure", 1) == ["broken=skipped"]
    assert result.output("on_always", 1) == ["result=failure"]


async def test_job_if_sees_needs_and_a_false_condition_skips(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          gate:
            runs-on: ubuntu-latest
            outputs: {go: "${{ steps.s.outputs.go }}"}
            steps: [{id: s, run: echo "go=no" >> "$GITHUB_OUTPUT"}]
          runs:
            needs: gate
            if: needs.gate.outputs.go == 'no'
            runs-on: ubuntu-latest
            steps: [{run: echo ran}]
          skipped:
            needs: gate
            if: ${{ needs.gate.outputs.go == 'yes' }}
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          after_skipped:
            needs: skipped
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
    """)
    assert result.conclusion == "success"
    assert result.job_conclusions() == {
        "gate": "success",
        "runs": "success",
        "skipped": "skipped",
        "after_skipped": "skipped",
    }
    assert result.output("runs", 1) == ["ran"]


async def test_a_job_if_expression_error_fails_that_job_with_the_expression(
    run_yaml: Runner,
) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          bad:
            if: fromJSON('{')
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          fine:
            runs-on: ubuntu-latest
            steps: [{run: echo ok}]
    """)
    assert result.job_conclusions() == {"bad": "failure", "fine": "success"}
    assert "fromJSON('{')" in (result.job("bad").error or "")
    assert result.conclusion == "failure"


async def test_job_and_step_records_carry_seed_003_shapes(run_yaml: Runner) -> None:
    result = await run_yaml("""
        name: Shapes
        on: push
        jobs:
          build:
            name: Build it
            runs-on: ubuntu-latest
            steps:
              - name: Hello
                run: echo hi
    """)
    run = result.first(EventType.RUN_COMPLETED).data["run"]
    assert isinstance(run, dict)
    assert {"id", "status", "conclusion", "jobs"} <= set(run)
    assert run["status"] == "completed"
    assert run["conclusion"] == "success"
    job = result.first(EventType.JOB_COMPLETED).data["job"]
    assert isinstance(job, dict)
    assert job["name"] == "Build it"
    assert {"name", "status", "conclusion", "steps"} <= set(job)
    (step,) = job["steps"]  # type: ignore[misc]
    assert step["name"] == "Hello"
    assert step["status"] == "completed"
    assert step["conclusion"] == "success"
    log = result.first(EventType.STEP_LOG)
    assert log.data["stream"] == "stdout"
