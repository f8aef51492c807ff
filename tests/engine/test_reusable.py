"""Reusable workflows called with a local `uses: ./.github/workflows/x.yml`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.engine.conftest import Runner, write

if TYPE_CHECKING:
    from pathlib import Path

_CALLED = """
    on:
      workflow_call:
        inputs:
          count: {type: number, required: true}
          verbose: {type: boolean, default: false}
          label: {type: string, default: "default-${{ github.event_name }}"}
        secrets:
          deploy_key: {required: true}
        outputs:
          doubled:
            description: count times two
            value: ${{ jobs.work.outputs.doubled }}
    jobs:
      work:
        runs-on: ubuntu-latest
        outputs:
          doubled: ${{ steps.calc.outputs.doubled }}
        steps:
          - id: calc
            run: |
              echo "count=${{ toJSON(inputs.count) }} verbose=${{ inputs.verbose }} label=${{ inputs.label }}"
              echo "types ${{ toJSON(inputs.verbose) }}"
              echo "key=$KEY"
              echo "doubled=$(( ${{ inputs.count }} * 2 ))" >> "$GITHUB_OUTPUT"
            env:
              KEY: ${{ secrets.deploy_key }}
      after:
        needs: work
        runs-on: ubuntu-latest
        steps:
          - run: echo "inner needs ${{ needs.work.outputs.doubled }}"
"""


async def test_a_called_workflow_gets_typed_inputs_secrets_and_gives_outputs(
    run_yaml: Runner, workspace: Path
) -> None:
    write(workspace, ".github/workflows/called.yml", _CALLED)
    result = await run_yaml(
        """
        on: push
        jobs:
          call:
            uses: ./.github/workflows/called.yml
            with:
              count: 21
              verbose: true
            secrets:
              deploy_key: ${{ secrets.KEY }}
          use:
            needs: call
            runs-on: ubuntu-latest
            steps:
              - run: echo "doubled=${{ needs.call.outputs.doubled }} result=${{ needs.call.result }}"
        """,
        secrets={"KEY": "topSecretKey"},
    )
    assert result.conclusion == "success"
    assert sorted(result.record.jobs) == ["call.after", "call.work", "use"]
    assert result.job("call.work").name == "call / work"
    assert result.output("call.work", 1) == [
        "count=21 verbose=true label=default-push",
        "types true",
        "key=***",
    ]
    assert result.output("call.after", 1) == ["inner needs 42"]
    assert result.output("use", 1) == ["doubled=42 result=success"]
    assert "topSecretKey" not in result.all_json()


async def test_secrets_inherit_passes_every_secret(run_yaml: Runner, workspace: Path) -> None:
    write(workspace, ".github/workflows/called.yml", _CALLED)
    result = await run_yaml(
        """
        on: push
        jobs:
          call:
            uses: ./.github/workflows/called.yml
            with: {count: 1}
            secrets: inherit
        """,
        secrets={"deploy_key": "inheritedKey"},
    )
    assert result.conclusion == "success"
    assert "key=***" in result.output("call.work", 1)


async def test_bad_inputs_and_missing_secrets_fail_the_calling_job(
    run_yaml: Runner, workspace: Path
) -> None:
    write(workspace, ".github/workflows/called.yml", _CALLED)
    result = await run_yaml("""
        on: push
        jobs:
          wrong_type:
            uses: ./.github/workflows/called.yml
            with: {count: many}
            secrets: {deploy_key: x}
          no_secret:
            uses: ./.github/workflows/called.yml
            with: {count: 1}
          missing_input:
            uses: ./.github/workflows/called.yml
            secrets: {deploy_key: x}
          not_reusable:
            uses: ./.github/workflows/test.yml
          remote:
            uses: octo/repo/.github/workflows/x.yml@v1
    """)
    assert result.conclusion == "failure"
    errors = {
        key: result.job(key).error or ""
        for key in ("wrong_type", "no_secret", "missing_input", "not_reusable", "remote")
    }
    assert "expected a number" in errors["wrong_type"]
    assert "deploy_key" in errors["no_secret"]
    assert "'count' is required" in errors["missing_input"]
    assert "workflow_call" in errors["not_reusable"]
    assert "octo/repo/.github/workflows/x.yml@v1" in errors["remote"]
    assert "git ls-remote failed: no repository at " in errors["remote"]
    assert all(result.job(k).conclusion == "failure" for k in errors)


async def test_a_failing_called_job_fails_the_caller_and_skips_dependents(
    run_yaml: Runner, workspace: Path
) -> None:
    write(
        workspace,
        ".github/workflows/fails.yml",
        """
        on: workflow_call
        jobs:
          boom:
            runs-on: ubuntu-latest
            steps: [{run: exit 1}]
    """,
    )
    result = await run_yaml("""
        on: push
        jobs:
          call:
            uses: ./.github/workflows/fails.yml
          after:
            needs: call
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          report:
            needs: call
            if: failure()
            runs-on: ubuntu-latest
            steps:
              - run: echo "call=${{ needs.call.result }}"
    """)
    assert result.conclusion == "failure"
    assert result.job_conclusions() == {
        "call.boom": "failure",
        "after": "skipped",
        "report": "success",
    }
    assert result.output("report", 1) == ["call=failure"]


async def test_a_matrix_calls_the_workflow_once_per_combination(
    run_yaml: Runner, workspace: Path
) -> None:
    write(
        workspace,
        ".github/workflows/one.yml",
        """
        on:
          workflow_call:
            inputs:
              target: {type: string, required: true}
            outputs:
              built: {value: "${{ jobs.b.outputs.built }}"}
        jobs:
          b:
            runs-on: ubuntu-latest
            outputs: {built: "${{ steps.s.outputs.built }}"}
            steps:
              - id: s
                run: |
                  echo "target ${{ inputs.target }}"
                  echo "built=${{ inputs.target }}.tgz" >> "$GITHUB_OUTPUT"
    """,
    )
    result = await run_yaml("""
        on: push
        jobs:
          call:
            strategy:
              max-parallel: 1
              matrix: {t: [a, b]}
            uses: ./.github/workflows/one.yml
            with: {target: "${{ matrix.t }}"}
          after:
            needs: call
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ needs.call.result }} ${{ needs.call.outputs.built }}"
    """)
    assert result.conclusion == "success"
    assert result.job("call.1.b").name == "call (a) / b"
    assert result.output("call.1.b", 1) == ["target a"]
    assert result.output("call.2.b", 1) == ["target b"]
    assert result.output("after", 1) == ["success b.tgz"]


async def test_container_jobs_fail_with_a_clear_reason(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          svc:
            runs-on: ubuntu-latest
            container: node:20
            steps: [{run: echo never}]
    """)
    assert result.job("svc").conclusion == "failure"
    assert "container" in (result.job("svc").error or "")
