from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.errors import SourcePos
from runner.model import (
    Concurrency,
    Defaults,
    Environment,
    InputSpec,
    OutputSpec,
    SecretSpec,
    Step,
    StepKind,
    Strategy,
    load_workflow,
    parse_workflow,
)

if TYPE_CHECKING:
    from pathlib import Path

BIG = """\
name: CI
run-name: CI for ${{ github.ref }}
on:
  push:
    branches: [main, 'release/**']
    paths-ignore: ['docs/**']
  pull_request:
    types: [opened, synchronize]
  schedule:
    - cron: '0 3 * * 1'
    - cron: '30 4 * * *'
  workflow_dispatch:
    inputs:
      level:
        description: How loud
        type: choice
        options: [low, high]
        default: low
      dry-run:
        type: boolean
        default: false
      count:
        type: number
        required: true
env:
  GLOBAL: one
  NUM: 3
  FLAG: true
  EMPTY:
  RATIO: 1.50
defaults:
  run:
    shell: bash
    working-directory: src
concurrency:
  group: ci-${{ github.ref }}
  cancel-in-progress: true
permissions:
  contents: read
jobs:
  lint:
    name: Lint
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - name: Ruff
        run: ruff check .
  test:
    needs: lint
    runs-on: [self-hosted, linux]
    strategy:
      fail-fast: false
      max-parallel: 2
      matrix:
        os: [ubuntu, macos]
        python: ['3.11', '3.12']
        include:
          - os: ubuntu
            experimental: true
    continue-on-error: ${{ matrix.experimental == true }}
    environment:
      name: staging
      url: https://example.com
    outputs:
      version: ${{ steps.v.outputs.version }}
    env:
      JOB: two
    defaults:
      run:
        shell: sh
    if: github.event_name == 'push'
    concurrency: test-${{ matrix.os }}
    steps:
      - id: v
        if: ${{ always() }}
        run: |
          echo "version=1" >> "$GITHUB_OUTPUT"
        shell: python
        working-directory: tests
        env:
          STEP: three
        continue-on-error: true
        timeout-minutes: 5
      - uses: ./.github/actions/setup
        with:
          python-version: ${{ matrix.python }}
          cache: true
      - uses: docker://alpine:3.19
      - uses: octo-org/some-action/sub/dir@v1.2
      - uses: Actions/Checkout@main
      - skill: text.summarize
        with:
          text: hello
  deploy:
    needs: [lint, test]
    uses: ./.github/workflows/deploy.yml
    with:
      target: prod
    secrets: inherit
  zeta:
    runs-on:
      group: big
      labels: [x64]
    container: node:20
    services:
      redis:
        image: redis
    steps:
      - run: echo zeta
"""


def test_big_workflow_round_trips_into_the_model() -> None:
    wf = parse_workflow(BIG, "ci.yml")
    assert wf.path == "ci.yml"
    assert wf.pos == SourcePos(path="ci.yml", line=1, col=1)
    assert wf.name == "CI"
    assert wf.display_name == "CI"
    assert wf.run_name == "CI for ${{ github.ref }}"
    assert wf.on == {
        "push": {"branches": ["main", "release/**"], "paths-ignore": ["docs/**"]},
        "pull_request": {"types": ["opened", "synchronize"]},
        "schedule": {"cron": ["0 3 * * 1", "30 4 * * *"]},
        "workflow_dispatch": {
            "inputs": {
                "level": {
                    "description": "How loud",
                    "type": "choice",
                    "options": ["low", "high"],
                    "default": "low",
                },
                "dry-run": {"type": "boolean", "default": False},
                "count": {"type": "number", "required": True},
            }
        },
    }
    assert wf.dispatch_inputs == {
        "level": InputSpec(
            name="level",
            type="choice",
            description="How loud",
            default="low",
            options=("low", "high"),
            pos=SourcePos(path="ci.yml", line=14, col=7),
        ),
        "dry-run": InputSpec(
            name="dry-run",
            type="boolean",
            default=False,
            pos=SourcePos(path="ci.yml", line=19, col=7),
        ),
        "count": InputSpec(
            name="count",
            type="number",
            required=True,
            pos=SourcePos(path="ci.yml", line=22, col=7),
        ),
    }
    assert wf.env == {"GLOBAL": "one", "NUM": "3", "FLAG": "true", "EMPTY": "", "RATIO": "1.5"}
    assert wf.defaults == Defaults(shell="bash", working_directory="src")
    assert wf.concurrency == Concurrency(group="ci-${{ github.ref }}", cancel_in_progress=True)
    assert list(wf.jobs) == ["lint", "test", "deploy", "zeta"]

    lint = wf.jobs["lint"]
    assert lint.id == "lint"
    assert lint.name == "Lint"
    assert lint.pos == SourcePos(path="ci.yml", line=41, col=3)
    assert lint.runs_on == "ubuntu-latest"
    assert lint.timeout_minutes == 10
    assert lint.needs == ()
    assert lint.steps == (
        Step(
            index=0,
            pos=SourcePos(path="ci.yml", line=46, col=9),
            kind=StepKind.CHECKOUT,
            uses="actions/checkout@v4",
        ),
        Step(
            index=1,
            pos=SourcePos(path="ci.yml", line=47, col=9),
            kind=StepKind.RUN,
            name="Ruff",
            run="ruff check .",
        ),
    )
    assert lint.key_pos["runs-on"] == SourcePos(path="ci.yml", line=43, col=5)

    test = wf.jobs["test"]
    assert test.needs == ("lint",)
    assert test.runs_on == ["self-hosted", "linux"]
    assert test.strategy == Strategy(
        matrix={
            "os": ["ubuntu", "macos"],
            "python": ["3.11", "3.12"],
            "include": [{"os": "ubuntu", "experimental": True}],
        },
        fail_fast=False,
        max_parallel=2,
        pos=SourcePos(path="ci.yml", line=53, col=7),
    )
    assert test.continue_on_error == "${{ matrix.experimental == true }}"
    assert test.environment == Environment(name="staging", url="https://example.com")
    assert test.outputs == {"version": "${{ steps.v.outputs.version }}"}
    assert test.env == {"JOB": "two"}
    assert test.defaults == Defaults(shell="sh")
    assert test.if_ == "github.event_name == 'push'"
    assert test.concurrency == Concurrency(group="test-${{ matrix.os }}")
    assert test.timeout_minutes == 360
    first = test.steps[0]
    assert first == Step(
        index=0,
        pos=SourcePos(path="ci.yml", line=75, col=9),
        kind=StepKind.RUN,
        id="v",
        if_="${{ always() }}",
        run='echo "version=1" >> "$GITHUB_OUTPUT"\n',
        shell="python",
        working_directory="tests",
        env={"STEP": "three"},
        continue_on_error=True,
        timeout_minutes=5,
    )
    assert [s.kind for s in test.steps] == [
        StepKind.RUN,
        StepKind.LOCAL_ACTION,
        StepKind.DOCKER_ACTION,
        StepKind.REMOTE_ACTION,
        StepKind.CHECKOUT,
        StepKind.SKILL,
    ]
    assert test.steps[1].with_ == {"python-version": "${{ matrix.python }}", "cache": True}
    assert test.steps[5].skill == "text.summarize"
    assert test.steps[5].with_ == {"text": "hello"}
    assert [s.index for s in test.steps] == [0, 1, 2, 3, 4, 5]

    deploy = wf.jobs["deploy"]
    assert deploy.needs == ("lint", "test")
    assert deploy.uses == "./.github/workflows/deploy.yml"
    assert deploy.with_ == {"target": "prod"}
    assert deploy.secrets == "inherit"
    assert deploy.steps == ()
    assert deploy.runs_on is None

    zeta = wf.jobs["zeta"]
    assert zeta.runs_on == {"group": "big", "labels": ["x64"]}
    assert zeta.container == "node:20"
    assert zeta.services == {"redis": {"image": "redis"}}


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("push", {"push": {}}),
        ("[push, pull_request]", {"push": {}, "pull_request": {}}),
        ("{push: , workflow_dispatch: }", {"push": {}, "workflow_dispatch": {}}),
        ("\n  push:\n    tags: [v*]", {"push": {"tags": ["v*"]}}),
    ],
)
def test_on_is_normalised_to_a_mapping(on: str, expected: object) -> None:
    wf = parse_workflow(f"on: {on}\njobs:\n  a:\n    runs-on: x\n    steps: [run: x]\n", "w.yml")
    assert wf.on == expected


def test_workflow_call_interface() -> None:
    text = """\
on:
  workflow_call:
    inputs:
      target:
        type: string
        required: true
        description: Where
      retries:
        type: number
        default: 3
    outputs:
      url:
        description: The URL
        value: ${{ jobs.a.outputs.url }}
    secrets:
      token:
        required: true
      optional:
jobs:
  a:
    runs-on: x
    steps: [run: x]
"""
    wf = parse_workflow(text, "w.yml")
    assert wf.call_inputs == {
        "target": InputSpec(
            name="target",
            type="string",
            required=True,
            description="Where",
            pos=SourcePos(path="w.yml", line=4, col=7),
        ),
        "retries": InputSpec(
            name="retries", type="number", default=3, pos=SourcePos(path="w.yml", line=8, col=7)
        ),
    }
    assert wf.call_outputs == {
        "url": OutputSpec(
            name="url",
            value="${{ jobs.a.outputs.url }}",
            description="The URL",
            pos=SourcePos(path="w.yml", line=12, col=7),
        )
    }
    assert wf.call_secrets == {
        "token": SecretSpec(name="token", required=True),
        "optional": SecretSpec(name="optional"),
    }


def test_display_names() -> None:
    wf = parse_workflow(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - run: |\n\n          make all\n          make test\n"
        "      - uses: ./x\n      - skill: s.k\n",
        "w.yml",
    )
    assert wf.display_name == "w.yml"
    assert [s.display_name for s in wf.jobs["a"].steps] == ["Run make all", "Run ./x", "Skill s.k"]


def test_if_written_as_a_boolean_is_kept_as_a_condition() -> None:
    wf = parse_workflow(
        "on: push\njobs:\n  a:\n    if: false\n    runs-on: x\n    steps: [run: x]\n", "w.yml"
    )
    assert wf.jobs["a"].if_ == "false"


def test_anchors_work_in_workflows() -> None:
    text = """\
on: push
jobs:
  a:
    runs-on: x
    env: &env
      A: 1
    steps:
      - &step
        run: echo hi
        env: *env
  b:
    runs-on: x
    env:
      <<: *env
      B: 2
    steps: [*step]
"""
    wf = parse_workflow(text, "w.yml")
    assert wf.jobs["b"].env == {"A": "1", "B": "2"}
    assert wf.jobs["b"].steps[0].run == "echo hi"
    assert wf.jobs["b"].steps[0].env == {"A": "1"}


def test_load_workflow_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ci.yml"
    path.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [run: x]\n")
    wf = load_workflow(path)
    assert wf.path == str(path)
    assert wf.jobs["a"].pos == SourcePos(path=str(path), line=3, col=3)
    assert load_workflow(str(path)) == wf
