"""Step `if:` with the status functions, continue-on-error, timeouts, expression errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.types import EventType

if TYPE_CHECKING:
    from tests.engine.conftest import Runner


async def test_step_status_functions_after_a_failure(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo first
        - id: boom
          run: exit 7
        - run: echo skipped by default
        - if: success()
          run: echo never
        - if: failure()
          run: echo "cleanup after ${{ steps.boom.outcome }}"
        - if: always()
          run: echo always
        - if: cancelled()
          run: echo never
        - if: failure() && steps.boom.conclusion == 'failure'
          run: echo both
    """)
    assert result.conclusion == "failure"
    assert result.step_conclusions("j") == [
        "success",
        "failure",
        "skipped",
        "skipped",
        "success",
        "success",
        "skipped",
        "success",
    ]
    assert result.output("j", 5) == ["cleanup after failure"]
    assert result.output("j", 8) == ["both"]
    assert "##[error]Process completed with exit code 7." in result.logs("j", 2)
    assert {"level": "error", "message": "Process completed with exit code 7."} in [
        {k: a[k] for k in ("level", "message")} for a in result.annotations()
    ]


async def test_a_step_if_sees_earlier_step_outputs_and_env(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        env: {MODE: fast}
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - id: s
                run: echo "flag=on" >> "$GITHUB_OUTPUT"
              - if: steps.s.outputs.flag == 'on' && env.MODE == 'fast'
                run: echo yes
              - if: ${{ steps.s.outputs.flag == 'off' }}
                run: echo never
    """)
    assert result.step_conclusions("j") == ["success", "success", "skipped"]


async def test_step_continue_on_error_keeps_the_job_going(run_steps: Runner) -> None:
    result = await run_steps("""
        - id: soft
          continue-on-error: true
          run: exit 1
        - run: echo "outcome=${{ steps.soft.outcome }} conclusion=${{ steps.soft.conclusion }}"
        - continue-on-error: ${{ 1 == 1 }}
          run: exit 2
    """)
    assert result.conclusion == "success"
    assert result.output("j", 2) == ["outcome=failure conclusion=success"]
    steps = result.job("j").steps
    assert [(s.outcome, s.conclusion) for s in steps] == [
        ("failure", "success"),
        ("success", "success"),
        ("failure", "success"),
    ]


async def test_job_continue_on_error_makes_the_run_succeed(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          flaky:
            runs-on: ubuntu-latest
            continue-on-error: true
            steps: [{run: exit 1}]
          next:
            needs: flaky
            runs-on: ubuntu-latest
            steps: [{run: 'echo "flaky=${{ needs.flaky.result }}"'}]
    """)
    assert result.conclusion == "success"
    assert result.job("flaky").conclusion == "success"
    assert result.output("next", 1) == ["flaky=success"]


async def test_step_timeout_fails_the_step_and_kills_it(run_steps: Runner) -> None:
    result = await run_steps(
        """
        - name: Slow
          timeout-minutes: 0.005
          run: sleep 30
        - run: echo skipped
        - if: always()
          run: echo cleanup
    """,
        limit_s=15,
    )
    assert result.conclusion == "failure"
    assert result.step_conclusions("j") == ["failure", "skipped", "success"]
    assert "##[error]The action 'Slow' has timed out after 0.005 minutes." in result.logs("j", 1)


async def test_step_timeout_with_continue_on_error(run_steps: Runner) -> None:
    result = await run_steps(
        """
        - timeout-minutes: 0.005
          continue-on-error: true
          run: sleep 30
        - run: echo next
    """,
        limit_s=15,
    )
    assert result.conclusion == "success"
    assert result.output("j", 2) == ["next"]


async def test_job_timeout_cancels_the_running_step_and_fails_the_job(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            timeout-minutes: 0.01
            steps:
              - run: sleep 30
              - run: echo never
              - if: always()
                run: echo cleanup
          other:
            runs-on: ubuntu-latest
            steps: [{run: echo fine}]
    """,
        limit_s=15,
    )
    assert result.conclusion == "failure"
    job = result.job("j")
    assert job.conclusion == "failure"
    assert "exceeded the maximum execution time of 0.01 minutes" in (job.error or "")
    assert result.step_conclusions("j") == ["cancelled", "skipped", "success"]
    assert result.job("other").conclusion == "success"


async def test_an_expression_error_in_run_fails_the_step_with_its_position(
    run_steps: Runner,
) -> None:
    result = await run_steps("""
        - run: echo ${{ fromJSON('{"a":') }}
        - if: always()
          env: {X: "${{ fromJSON('nope') }}"}
          run: echo "$X"
        - if: always()
          run: echo after
    """)
    assert result.step_conclusions("j") == ["failure", "failure", "success"]
    first = "\n".join(result.logs("j", 1))
    assert "fromJSON('{\"a\":')" in first
    assert "at position" in first
    assert "##[error]" in first
    second = "\n".join(result.logs("j", 2))
    assert "fromJSON('nope')" in second


async def test_an_expression_error_in_if_fails_the_step_and_names_the_expression(
    run_steps: Runner,
) -> None:
    result = await run_steps("""
        - if: fromJSON('[1,') == 1
          run: echo never
        - if: always()
          run: echo after
    """)
    assert result.conclusion == "failure"
    assert result.step_conclusions("j") == ["failure", "success"]
    errors = [a["message"] for a in result.annotations() if a["level"] == "error"]
    assert any("fromJSON('[1,') == 1" in e for e in errors)


async def test_step_names_are_evaluated(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            strategy: {matrix: {v: [a]}}
            steps:
              - name: Build ${{ matrix.v }}
                run: "true"
              - run: |

                  echo multi
    """)
    assert [s.name for s in result.job("j.1").steps] == ["Build a", "Run echo multi"]


async def test_job_status_summaries_are_emitted(run_steps: Runner) -> None:
    result = await run_steps("""
        - name: One
          run: "true"
        - name: Two
          run: "true"
    """)
    summaries = [e.data["summary"] for e in result.of_type(EventType.JOB_STATUS)]
    assert summaries == ["step 1/2: One", "step 2/2: Two"]
