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


# Shaped like published actions: metadata GitHub does not read, inputs with `type`,
# `options` and `required: 'false'`, keys of the authors' own.
REAL_WORLD = """\
name: 'Setup Thing'
description: 'Set up a specific version of Thing and add it to the PATH.'
author: 'Example Inc.'
branding:
  icon: 'code'
  color: 'green'
inputs:
  thing-version:
    description: 'Version range or exact version of Thing to use.'
    type: string
    required: false
  cache:
    description: 'Used to specify a package manager for caching.'
    required: 'false'
    options: [pip, poetry]
    default: ''
  token:
    description: 'Used to pull distributions.'
    default: ${{ github.token }}
    x-internal: true
outputs:
  thing-version:
    description: "The installed version"
runs:
  using: 'node20'
  main: 'dist/setup/index.js'
  post: 'dist/cache-save/index.js'
  post-if: success()
x-maintainers: [octo]
"""


def test_keys_github_does_not_read_are_ignored_as_github_ignores_them() -> None:
    action = parse_action(REAL_WORLD, "action.yml")
    assert action.name == "Setup Thing"
    assert action.using == "node20"
    assert action.main == "dist/setup/index.js"
    assert list(action.inputs) == ["thing-version", "cache", "token"]
    assert action.inputs["cache"].default == ""
    assert action.inputs["cache"].required is False
    assert action.inputs["token"].default == "${{ github.token }}"


def test_a_misspelt_runs_key_is_still_an_error_at_its_place() -> None:
    text = REAL_WORLD.replace("  post-if: success()", "  post_if: success()")
    with pytest.raises(WorkflowErrors) as info:
        parse_action(text, "action.yml")
    assert [str(e) for e in info.value.errors] == [
        'action.yml:28:3: runs.post_if: unknown key "post_if" (did you mean "post-if"?); '
        "allowed keys are: using, main, pre, pre-if, post, post-if"
    ]


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
            "name: old\nruns:\n  using: node8\n  main: x.js\n",
            [
                "action.yml:3:10: runs.using: 'using: node8' is not supported, use 'composite', "
                "'docker', 'node12', 'node16', 'node20' or 'node24'"
            ],
        ),
        (
            "outputs:\n  o: {value: x, type: string}\nruns: {using: node20, main: x}\n",
            [
                'action.yml:2:17: outputs.o.type: unknown key "type"; allowed keys are: '
                "description, value"
            ],
        ),
    ],
)
def test_action_rules(text: str, errors: list[str]) -> None:
    assert _errors(text) == errors
