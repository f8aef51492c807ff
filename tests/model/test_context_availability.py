"""`stax validate` rejects what GitHub rejects when it loads a workflow: a named value that
its context-availability table does not offer at that place, an unknown named value, and a
special function out of its place. Each error is at the name's own line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.errors import WorkflowErrors
from runner.model import load_workflow, parse_workflow
from runner.model.availability import TABLE, place_of

REPO = Path(__file__).resolve().parents[2]


def _errors(text: str) -> list[str]:
    with pytest.raises(WorkflowErrors) as info:
        parse_workflow(textwrap.dedent(text), "ci.yml")
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param(
            """
            on: push
            env:
              A: ${{ matrix.os }}
            jobs:
              j: {runs-on: x, steps: [{run: "true"}]}
            """,
            "ci.yml:4:10: env.A: Unrecognized named-value: 'matrix': the matrix context is not "
            "available in env (available there: github, inputs, secrets, vars)",
            id="matrix in workflow env",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                if: steps.x.outputs.y == 'a'
                runs-on: x
                steps: [{run: "true"}]
            """,
            "ci.yml:5:9: jobs.j.if: Unrecognized named-value: 'steps': the steps context is not "
            "available in jobs.<job_id>.if",
            id="steps in a job if",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: x
                steps: [{run: "echo ${{ matrx.os }}"}]
            """,
            "ci.yml:6:29: jobs.j.steps[0].run: Unrecognized named-value: 'matrx' "
            "(did you mean 'matrix'?)",
            id="unknown named value",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: x
                strategy:
                  matrix:
                    a: [1]
                    b: ["${{ matrix.a }}"]
                steps: [{run: "true"}]
            """,
            "ci.yml:9:18: jobs.j.strategy.matrix.b[0]: Unrecognized named-value: 'matrix'",
            id="matrix in its own strategy",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: x
                strategy:
                  matrix:
                    ${{ steps.a }}: [1]
                steps: [{run: "true"}]
            """,
            "ci.yml:8:13: jobs.j.strategy.matrix.${{ steps.a }}: Unrecognized named-value: 'steps'",
            id="a matrix key",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: x
                env: {B: "${{ env.A }}"}
                steps: [{run: "true"}]
            """,
            "ci.yml:6:19: jobs.j.env.B: Unrecognized named-value: 'env'",
            id="env in a job's env",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: x
                steps:
                  - run: "true"
                    if: secrets.TOKEN != ''
            """,
            "ci.yml:8:13: jobs.j.steps[0].if: Unrecognized named-value: 'secrets'",
            id="secrets in a step if",
        ),
        pytest.param(
            """
            on:
              workflow_call:
                inputs:
                  x: {type: string, default: "${{ needs.a.outputs.b }}"}
            jobs:
              j: {runs-on: x, steps: [{run: "true"}]}
            """,
            "ci.yml:5:39: on.workflow_call.inputs.x.default: Unrecognized named-value: 'needs'",
            id="needs in a workflow_call input default",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: ${{ hashFiles('x') }}
                steps: [{run: "true"}]
            """,
            "ci.yml:5:18: jobs.j.runs-on: Unrecognized function: 'hashFiles': it is not "
            "available in jobs.<job_id>.runs-on",
            id="hashFiles outside steps",
        ),
        pytest.param(
            """
            on: push
            jobs:
              j:
                runs-on: x
                steps: [{run: "echo ${{ success() }}"}]
            """,
            "ci.yml:6:29: jobs.j.steps[0].run: Unrecognized function: 'success'",
            id="a status function outside if",
        ),
    ],
)
def test_what_github_rejects_at_load_is_rejected_at_its_place(text: str, error: str) -> None:
    errors = _errors(text)
    assert len(errors) == 1, errors
    assert errors[0].startswith(error)


def test_what_the_table_allows_is_valid() -> None:
    parse_workflow(
        textwrap.dedent("""
        name: ok
        run-name: ${{ github.actor }} ${{ inputs.x }} ${{ vars.V }}
        on:
          workflow_call:
            inputs:
              x: {type: string, default: "${{ github.ref }}"}
            outputs:
              o: {value: "${{ jobs.j.outputs.out }}"}
        concurrency: ${{ github.workflow }}-${{ inputs.x }}
        env:
          A: ${{ secrets.S }} ${{ github.sha }}
        jobs:
          first:
            runs-on: x
            outputs: {list: "[1]"}
            steps: [{run: "true"}]
          j:
            needs: first
            if: ${{ always() && needs.first.result == 'success' && vars.V != '' }}
            name: J ${{ matrix.n }} ${{ strategy.job-index }}
            runs-on: ${{ matrix.os || 'x' }}
            timeout-minutes: ${{ fromJSON(vars.T || '5') }}
            continue-on-error: ${{ matrix.n == 2 }}
            environment:
              name: ${{ inputs.x }}
              url: ${{ steps.s.outputs.url }} ${{ env.A }} ${{ runner.os }} ${{ job.status }}
            concurrency: ${{ github.ref }}-${{ matrix.n }}
            strategy:
              matrix:
                n: ${{ fromJSON(needs.first.outputs.list) }}
                ${{ insert }}: ${{ fromJSON('{"os":["x"]}') }}
            env:
              B: ${{ secrets.S }} ${{ matrix.n }} ${{ needs.first.outputs.list }}
            defaults:
              run:
                working-directory: ${{ env.A && '.' }}
            outputs:
              out: ${{ steps.s.outputs.v }} ${{ secrets.S }} ${{ runner.os }}
            steps:
              - id: s
                name: S ${{ steps.x.outcome }} ${{ hashFiles('x') }}
                if: failure() || hashFiles('**/x') != '' && env.A && steps.x.outcome && job.status
                env: {C: "${{ env.A }} ${{ secrets.S }} ${{ runner.temp }}"}
                working-directory: ${{ github.workspace }}
                timeout-minutes: ${{ matrix.n }}
                continue-on-error: ${{ steps.x.outcome == 'failure' }}
                run: echo ${{ env.C }} ${{ inputs.x }} ${{ GitHub.SHA }}
              - uses: ./local
                with: {v: "${{ secrets.S }} ${{ hashFiles('x') }}"}
          caller:
            uses: ./.github/workflows/called.yml
            strategy: {matrix: {t: [a]}}
            with: {t: "${{ matrix.t }} ${{ needs.first.outputs.list }}"}
            secrets: {s: "${{ secrets.S }}"}
            needs: first
        """),
        "ok.yml",
    )


def test_places_follow_githubs_keys() -> None:
    assert place_of(("jobs", "build", "steps", 3, "with", "token")) == "jobs.<job_id>.steps.with"
    assert place_of(("jobs", "b", "services", "db", "env", "X")) == (
        "jobs.<job_id>.services.<service_id>.env.<env_id>"
    )
    assert place_of(("jobs", "b", "environment", "url")) == "jobs.<job_id>.environment.url"
    assert place_of(("jobs", "b", "environment", "name")) == "jobs.<job_id>.environment"
    assert place_of(("jobs", "b", "strategy", "matrix", "include", 0, "x")) == (
        "jobs.<job_id>.strategy"
    )
    assert place_of(("on", "push", "branches", 0)) is None
    assert place_of(("jobs", "b", "steps", 0, "uses")) is None
    assert len(TABLE) == 34  # the rows of GitHub's table, one per key


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(REPO)
        for pattern in ("examples/**/*.yml", "workflows/**/*.yml")
        for p in REPO.glob(pattern)
        if "skills" not in p.parts and "actions" not in p.parts
    ),
    ids=str,
)
def test_the_projects_own_workflows_stay_valid(path: Path) -> None:
    load_workflow(REPO / path)
