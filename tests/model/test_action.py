from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.errors import SourcePos, WorkflowErrors
from runner.model import InputSpec, OutputSpec, StepKind, load_action, parse_action

if TYPE_CHECKING:
    from pathlib import Path

COMPOSITE = """\
name: Setup
description: Sets things up
author: me
branding: {icon: box, color: blue}
inputs:
  version:
    description: Which version
    required: true
  cache:
    default: 'true'
    required: 'false'
    deprecationMessage: use something else
outputs:
  path:
    description: Where
    value: ${{ steps.find.outputs.path }}
runs:
  using: composite
  steps:
    - id: find
      run: echo "path=/tmp" >> "$GITHUB_OUTPUT"
      shell: bash
    - uses: actions/checkout@v4
      with: {fetch-depth: 0}
"""


def _errors(text: str) -> list[str]:
    with pytest.raises(WorkflowErrors) as info:
        parse_action(text, "action.yml")
    return [str(e) for e in info.value.errors]


def test_composite_action() -> None:
    action = parse_action(COMPOSITE, "action.yml")
    assert action.path == "action.yml"
    assert action.pos == SourcePos(path="action.yml", line=1, col=1)
    assert action.name == "Setup"
    assert action.description == "Sets things up"
    assert action.using == "composite"
    assert action.inputs == {
        "version": InputSpec(
            name="version",
            description="Which version",
            required=True,
            pos=SourcePos(path="action.yml", line=6, col=3),
        ),
        "cache": InputSpec(
            name="cache",
            default="true",
            deprecation_message="use something else",
            pos=SourcePos(path="action.yml", line=9, col=3),
        ),
    }
    assert action.outputs == {
        "path": OutputSpec(
            name="path",
            value="${{ steps.find.outputs.path }}",
            description="Where",
            pos=SourcePos(path="action.yml", line=14, col=3),
        )
    }
    assert [s.kind for s in action.steps] == [StepKind.RUN, StepKind.CHECKOUT]
    assert action.steps[0].id == "find"
    assert action.steps[0].shell == "bash"
    assert action.steps[1].with_ == {"fetch-depth": 0}


def test_a_javascript_action_keeps_its_three_stages() -> None:
    action = parse_action(
        "name: n\noutputs:\n  o:\n    description: x\nruns:\n  using: node20\n"
        "  main: dist/main.js\n  pre: dist/pre.js\n  pre-if: runner.os == 'Linux'\n"
        "  post: dist/post.js\n",
        "action.yml",
    )
    assert action.using == "node20"
    assert (action.main, action.pre, action.post) == ("dist/main.js", "dist/pre.js", "dist/post.js")
    assert (action.pre_if, action.post_if) == ("runner.os == 'Linux'", "always()")
    assert action.steps == ()
    assert action.outputs["o"].value == ""


def test_a_docker_action_keeps_its_image_entrypoints_args_and_env() -> None:
    action = parse_action(
        "runs:\n  using: docker\n  image: Dockerfile\n  entrypoint: /main.sh\n"
        "  pre-entrypoint: /pre.sh\n  post-entrypoint: /post.sh\n  post-if: failure()\n"
        "  args: ['${{ inputs.who }}', 2]\n  env: {A: 1}\n",
        "action.yml",
    )
    assert (action.image, action.entrypoint) == ("Dockerfile", "/main.sh")
    assert (action.pre, action.post, action.post_if) == ("/pre.sh", "/post.sh", "failure()")
    assert action.args == ("${{ inputs.who }}", "2")
    assert action.env == {"A": "1"}


def test_other_runners_are_kept_for_the_engine_to_refuse() -> None:
    assert parse_action("runs: {using: node8, main: x.js}\n", "action.yml").using == "node8"


def test_load_action_from_a_directory_prefers_action_yml(tmp_path: Path) -> None:
    (tmp_path / "action.yaml").write_text("runs: {using: docker, image: x}\n")
    assert load_action(tmp_path).using == "docker"
    (tmp_path / "action.yml").write_text(COMPOSITE)
    action = load_action(str(tmp_path))
    assert action.using == "composite"
    assert action.path == str(tmp_path / "action.yml")


def test_load_action_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "custom.yml"
    path.write_text(COMPOSITE)
    assert load_action(path).path == str(path)


def test_load_action_from_a_directory_without_one(tmp_path: Path) -> None:
    with pytest.raises(WorkflowErrors) as info:
        load_action(tmp_path)
    assert str(info.value) == f"uses: no action.yml or action.yaml in {tmp_path}"


def test_action_errors_have_positions(tmp_path: Path) -> None:
    path = tmp_path / "action.yml"
    path.write_text("name: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n")
    with pytest.raises(WorkflowErrors) as info:
        load_action(tmp_path)
    assert [str(e) for e in info.value.errors] == [
        f'{path}:5:7: runs.steps[0]: a "run" step here must say which "shell" to use'
    ]


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("", ["action.yml:1:1: the action file is empty"]),
        ("[]", ['action.yml:1:1: an action must be a mapping with "runs"']),
        ("name: x\n", ['action.yml:1:1: missing required key "runs"']),
        ("runs: {}\n", ['action.yml:1:7: runs: missing required key "using"']),
        ("runs: {using: composite}\n", ['action.yml:1:7: runs: a composite action needs "steps"']),
        (
            "runs:\n  using: composite\n  steps: [{run: x, shell: sh, timeout-minutes: 1}]\n",
            [
                'action.yml:3:31: runs.steps[0].timeout-minutes: unknown key "timeout-minutes"; '
                "allowed keys are: id, if, name, uses, run, shell, with, env, working-directory, "
                "continue-on-error"
            ],
        ),
        (
            "runs:\n  using: composite\n  steps: [{skill: a.b}]\n",
            [
                'action.yml:3:11: runs.steps[0]: a step must have one of "run" or "uses"',
                'action.yml:3:12: runs.steps[0].skill: unknown key "skill" (did you mean "shell"?); '
                "allowed keys are: "
                "id, if, name, uses, run, shell, with, env, working-directory, continue-on-error",
            ],
        ),
        (
            "runs:\n  using: composite\n  steps: [{uses: ./x}]\n  main: x\n",
            ['action.yml:4:3: runs.main: unknown key "main"; allowed keys are: using, steps'],
        ),
        (
            "outputs:\n  o: {description: x}\nruns:\n  using: composite\n  steps: [{uses: ./x}]\n",
            ['action.yml:2:6: outputs.o: missing required key "value"'],
        ),
        (
            "runs: {using: node20}\n",
            ['action.yml:1:7: runs: a JavaScript action needs "main" (the script to run)'],
        ),
        (
            "runs: {using: node20, main: x.js, steps: []}\n",
            [
                'action.yml:1:35: runs.steps: unknown key "steps"; allowed keys are: '
                "using, main, pre, pre-if, post, post-if"
            ],
        ),
        (
            "runs: {using: docker, args: x}\n",
            [
                'action.yml:1:7: runs: a Docker action needs "image"',
                "action.yml:1:29: runs.args: must be a list of strings",
            ],
        ),
        (
            "inputs:\n  i: {required: maybe, type: string}\nruns: {using: node20, main: x}\n",
            [
                'action.yml:2:17: inputs.i.required: must be true or false, not a string "maybe"',
                'action.yml:2:24: inputs.i.type: unknown key "type"; allowed keys are: '
                "description, required, default, deprecationMessage",
            ],
        ),
        (
            "nme: x\nruns: {using: node20, main: x}\n",
            [
                'action.yml:1:1: nme: unknown key "nme" (did you mean "name"?); allowed keys are: '
                "name, author, description, inputs, outputs, runs, branding"
            ],
        ),
    ],
)
def test_action_rules(text: str, errors: list[str]) -> None:
    assert _errors(text) == errors
