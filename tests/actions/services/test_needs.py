"""When `stax run --local` starts its services server, and when it does not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.actions.services import needs_services
from runner.model import parse_workflow


def workflow(steps: str) -> str:
    return "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n" + textwrap.indent(
        textwrap.dedent(steps), "      "
    )


def write_action(root: Path, name: str, text: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "action.yml").write_text(textwrap.dedent(text))


@pytest.mark.parametrize(
    ("steps", "needed"),
    [
        ("- run: echo hi\n", False),
        ("- uses: actions/checkout@v4\n- run: make\n", False),
        ("- uses: actions/upload-artifact@v4\n  with: {name: x, path: y}\n", True),
        ("- uses: actions/cache@v4\n  with: {key: k, path: p}\n", True),
        ("- uses: docker://alpine:3\n", True),
        ("- uses: ./composite\n", False),
        ("- uses: ./composite-calling-cache\n", True),
        ("- uses: ./node-action\n", True),
        ("- uses: ./missing\n", False),
        ("- run: 'curl -H \"Authorization: Bearer $ACTIONS_RUNTIME_TOKEN\" x'\n", True),
        ("- run: ./build\n  env:\n    CACHE: ${{ env.ACTIONS_CACHE_URL }}\n", True),
    ],
)
def test_a_run_needs_the_services_when_a_step_may_call_them(
    tmp_path: Path, steps: str, needed: bool
) -> None:
    write_action(
        tmp_path,
        "composite",
        """
        runs:
          using: composite
          steps:
            - run: echo inside
              shell: bash
        """,
    )
    write_action(
        tmp_path,
        "composite-calling-cache",
        """
        runs:
          using: composite
          steps:
            - uses: actions/cache@v4
              with: {key: k, path: p}
        """,
    )
    write_action(tmp_path, "node-action", "runs:\n  using: node20\n  main: index.js\n")
    parsed = parse_workflow(workflow(steps), "w.yml")
    assert needs_services(parsed, tmp_path) is needed


def test_a_reusable_workflow_is_looked_into(tmp_path: Path) -> None:
    called = tmp_path / ".github" / "workflows"
    called.mkdir(parents=True)
    (called / "build.yml").write_text(
        "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n"
        "      - uses: actions/upload-artifact@v4\n        with: {name: a, path: b}\n"
    )
    (called / "plain.yml").write_text(
        "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    steps:\n      - run: echo\n"
    )
    caller = "on: push\njobs:\n  call:\n    uses: ./.github/workflows/{}.yml\n"
    assert needs_services(parse_workflow(caller.format("build"), "w.yml"), tmp_path)
    assert not needs_services(parse_workflow(caller.format("plain"), "w.yml"), tmp_path)


def test_the_setting_overrides_the_guess(tmp_path: Path) -> None:
    plain = parse_workflow(workflow("- run: docker buildx build .\n"), "w.yml")
    uses = parse_workflow(workflow("- uses: actions/cache@v4\n"), "w.yml")
    assert needs_services(plain, tmp_path, mode="always")
    assert not needs_services(uses, tmp_path, mode="never")
