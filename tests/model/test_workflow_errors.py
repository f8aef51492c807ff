"""Each validation rule: the exact message, dotted path and file:line:col."""

from __future__ import annotations

import pytest

from runner.errors import SourcePos, WorkflowError, WorkflowErrors
from runner.model import parse_workflow

JOB_KEYS = (
    "name, needs, runs-on, permissions, environment, concurrency, outputs, env, defaults, if, "
    "steps, timeout-minutes, strategy, continue-on-error, container, services, uses, with, secrets"
)
STEP_KEYS = (
    "id, if, name, uses, run, shell, with, env, working-directory, continue-on-error, "
    "timeout-minutes, skill"
)
CALLER_KEYS = "name, needs, if, permissions, strategy, concurrency, uses, with, secrets"


def _errors(text: str) -> list[str]:
    with pytest.raises(WorkflowErrors) as info:
        parse_workflow(text, "ci.yml")
    return [str(e) for e in info.value.errors]


def _job(body: str) -> str:
    """A workflow whose only job `a` has `body` (indented 4), starting at line 4."""
    return "on: push\njobs:\n  a:\n" + "".join(f"    {line}\n" for line in body.splitlines())


def test_error_carries_position_and_path() -> None:
    with pytest.raises(WorkflowErrors) as info:
        parse_workflow(_job("runs-on: x\nsteps: [run: x]\nneeds: nope"), "ci.yml")
    (error,) = info.value.errors
    assert isinstance(error, WorkflowError)
    assert error.pos == SourcePos(path="ci.yml", line=6, col=12)
    assert error.where == "jobs.a.needs"
    assert error.message == 'unknown job "nope"'


def test_unknown_job_in_needs_reads_like_the_style_guide() -> None:
    text = (
        "name: ci\n"
        "on: push\n"
        "jobs:\n"
        "  lint:\n"
        "    runs-on: x\n"
        "    steps: [run: x]\n"
        "  build:\n"
        "    runs-on: x\n"
        "    steps:\n"
        "    - run: make\n"
        "    needs:\n"
        "    - tests\n"
    )
    assert _errors(text) == ['ci.yml:12:7: jobs.build.needs: unknown job "tests"']


def test_unknown_job_suggests_a_close_one() -> None:
    text = _job("runs-on: x\nsteps: [run: x]") + "  lint:\n    runs-on: x\n    needs: [a, lnit]\n"
    text += "    steps: [run: x]\n"
    assert _errors(text) == [
        'ci.yml:8:16: jobs.lint.needs: unknown job "lnit" (did you mean "lint"?)'
    ]


def test_everything_is_reported_at_once_in_file_order() -> None:
    text = "name: [x]\nbogus: 1\non: push\njobs:\n  a:\n    steps: []\n"
    assert _errors(text) == [
        "ci.yml:1:7: name: must be a string, not a list",
        'ci.yml:2:1: bogus: unknown key "bogus"; allowed keys are: '
        "name, run-name, on, env, defaults, concurrency, permissions, jobs",
        'ci.yml:5:3: jobs.a: missing required key "runs-on"',
        "ci.yml:6:12: jobs.a.steps: a job must have at least one step",
    ]


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("", ["ci.yml:1:1: the workflow file is empty"]),
        ("- a\n", ['ci.yml:1:1: a workflow must be a mapping with "on" and "jobs"']),
        (
            "name: x\n",
            ['ci.yml:1:1: missing required key "on"', 'ci.yml:1:1: missing required key "jobs"'],
        ),
        (
            "on: push\njobs: {}\nnmae: x\n",
            [
                "ci.yml:2:7: jobs: a workflow must have at least one job",
                'ci.yml:3:1: nmae: unknown key "nmae" (did you mean "name"?); allowed keys are: '
                "name, run-name, on, env, defaults, concurrency, permissions, jobs",
            ],
        ),
        ("on: push\njobs: [a]\n", ["ci.yml:2:7: jobs: must be a mapping, not a list"]),
        (
            "on: push\njobs:\n  a: x\n",
            ["ci.yml:3:6: jobs.a: a job must be a mapping, not a string"],
        ),
    ],
)
def test_workflow_shape(text: str, errors: list[str]) -> None:
    assert _errors(text) == errors


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        (
            "on: pushh\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ['ci.yml:1:5: on: unknown event "pushh" (did you mean "push"?); known events are: '],
        ),
        (
            "on: []\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ["ci.yml:1:5: on: must name at least one event"],
        ),
        (
            "on: {}\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ["ci.yml:1:5: on: must name at least one event"],
        ),
        (
            "on: [push, 1]\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ['ci.yml:1:12: on: unknown event "1"; known events are: '],
        ),
        (
            "on: [push, [x]]\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ["ci.yml:1:12: on: must be a list of strings, but item 1 is a list"],
        ),
        (
            "on:\n  push:\n    branches: [main]\n    branches-ignore: [dev]\n"
            "jobs: {a: {runs-on: x, steps: [run: x]}}\n",
            [
                'ci.yml:4:5: on.push.branches-ignore: cannot use both "branches" and '
                '"branches-ignore" for the same event; use "!" patterns in "branches" to leave '
                "some out"
            ],
        ),
        (
            "on:\n  push:\n    branches: {a: 1}\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ["ci.yml:3:15: on.push.branches: must be a string or a list of strings, not a mapping"],
        ),
        (
            "on:\n  push: [main]\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            ["ci.yml:2:9: on.push: an event's settings must be a mapping, not a list"],
        ),
        (
            "on:\n  schedule:\n    - cron: ''\n    - {}\n    - crn: x\n"
            "jobs: {a: {runs-on: x, steps: [run: x]}}\n",
            [
                "ci.yml:3:13: on.schedule[0].cron: must be a non-empty string",
                'ci.yml:4:7: on.schedule[1]: missing required key "cron"',
                'ci.yml:5:7: on.schedule[2].crn: unknown key "crn" (did you mean "cron"?); '
                "allowed keys are: cron",
                'ci.yml:5:7: on.schedule[2]: missing required key "cron"',
            ],
        ),
        (
            "on:\n  workflow_dispatch:\n    input: {}\njobs: {a: {runs-on: x, steps: [run: x]}}\n",
            [
                'ci.yml:3:5: on.workflow_dispatch.input: unknown key "input" (did you mean '
                '"inputs"?); allowed keys are: inputs'
            ],
        ),
    ],
)
def test_on(text: str, errors: list[str]) -> None:
    found = _errors(text)
    assert len(found) == len(errors)
    for got, want in zip(found, errors, strict=True):
        assert got.startswith(want) if want.endswith(": ") else got == want


def test_unknown_event_lists_the_known_ones() -> None:
    (error,) = _errors("on: nope\njobs: {a: {runs-on: x, steps: [run: x]}}\n")
    assert error.startswith('ci.yml:1:5: on: unknown event "nope"; known events are: ')
    assert "pull_request, pull_request_review" in error
    assert error.endswith("workflow_call, workflow_dispatch, workflow_run")


DISPATCH = (
    "on:\n  workflow_dispatch:\n    inputs:\n{inputs}jobs: {{a: {{runs-on: x, steps: [run: x]}}}}\n"
)


def _dispatch(inputs: str) -> str:
    return DISPATCH.format(inputs="".join(f"      {ln}\n" for ln in inputs.splitlines()))


@pytest.mark.parametrize(
    ("inputs", "errors"),
    [
        (
            "a:\n  type: text",
            [
                'ci.yml:5:15: on.workflow_dispatch.inputs.a.type: invalid input type "text"; '
                "allowed types are: string, boolean, number, choice, environment"
            ],
        ),
        (
            "a:\n  type: choice",
            ['ci.yml:5:9: on.workflow_dispatch.inputs.a: a "choice" input needs "options"'],
        ),
        (
            "a:\n  type: choice\n  options: []",
            [
                "ci.yml:6:18: on.workflow_dispatch.inputs.a.options: must be a non-empty list of strings, not a list"
            ],
        ),
        (
            "a:\n  type: choice\n  options: [x, y]\n  default: z",
            [
                'ci.yml:7:18: on.workflow_dispatch.inputs.a.default: default "z" is not one of the options (x, y)'
            ],
        ),
        (
            "a:\n  type: boolean\n  default: 'yes'",
            [
                'ci.yml:6:18: on.workflow_dispatch.inputs.a.default: the default of a "boolean" '
                "input must be true or false, not a string"
            ],
        ),
        (
            "a:\n  type: number\n  default: many",
            [
                'ci.yml:6:18: on.workflow_dispatch.inputs.a.default: the default of a "number" '
                "input must be a number, not a string"
            ],
        ),
        (
            "a:\n  required: 'yes'",
            [
                'ci.yml:5:19: on.workflow_dispatch.inputs.a.required: must be true or false, not a string "yes"'
            ],
        ),
        (
            "a:\n  descripton: x",
            [
                'ci.yml:5:9: on.workflow_dispatch.inputs.a.descripton: unknown key "descripton" '
                '(did you mean "description"?); allowed keys are: description, required, default, '
                "type, options"
            ],
        ),
        (
            "1a: {}",
            [
                'ci.yml:4:7: on.workflow_dispatch.inputs.1a: invalid input id "1a": it must start '
                'with a letter or "_" and contain only letters, digits, "-" and "_"'
            ],
        ),
    ],
)
def test_dispatch_inputs(inputs: str, errors: list[str]) -> None:
    assert _errors(_dispatch(inputs)) == errors


def test_choice_default_may_be_left_out() -> None:
    wf = parse_workflow(_dispatch("a:\n  type: choice\n  options: [x, y]"), "ci.yml")
    assert wf.dispatch_inputs["a"].options == ("x", "y")


def test_workflow_call_inputs_need_a_type_from_the_call_set() -> None:
    text = (
        "on:\n  workflow_call:\n    inputs:\n      a:\n        required: true\n"
        "      b:\n        type: choice\n    outputs:\n      o:\n        description: x\n"
        "jobs: {a: {runs-on: x, steps: [run: x]}}\n"
    )
    assert _errors(text) == [
        'ci.yml:5:9: on.workflow_call.inputs.a: missing required key "type"',
        'ci.yml:7:15: on.workflow_call.inputs.b.type: invalid input type "choice"; '
        "allowed types are: string, boolean, number",
        'ci.yml:10:9: on.workflow_call.outputs.o: missing required key "value"',
    ]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            "runs_on: x\nsteps: [run: x]",
            [
                'ci.yml:3:3: jobs.a: missing required key "runs-on"',
                f'ci.yml:4:5: jobs.a.runs_on: unknown key "runs_on" (did you mean "runs-on"?); '
                f"allowed keys are: {JOB_KEYS}",
            ],
        ),
        (
            "runs-on: x",
            ['ci.yml:3:3: jobs.a: a job must have "steps" (or "uses" to call a reusable workflow)'],
        ),
        ("runs-on: x\nsteps: []", ["ci.yml:5:12: jobs.a.steps: a job must have at least one step"]),
        (
            "runs-on: x\nsteps: {run: x}",
            ["ci.yml:5:12: jobs.a.steps: must be a list of steps, not a mapping"],
        ),
        (
            "runs-on: x\nsteps: [echo]",
            ["ci.yml:5:13: jobs.a.steps[0]: a step must be a mapping, not a string"],
        ),
        (
            "runs-on: 3\nsteps: [run: x]",
            [
                "ci.yml:4:14: jobs.a.runs-on: must be a runner label, a list of labels or a mapping "
                "with group and labels, not a number"
            ],
        ),
        (
            "runs-on: [x, {a: 1}]\nsteps: [run: x]",
            ["ci.yml:4:18: jobs.a.runs-on: must be a list of strings, but item 1 is a mapping"],
        ),
        (
            "runs-on: {labl: x}\nsteps: [run: x]",
            [
                'ci.yml:4:14: jobs.a.runs-on: must have "group" or "labels"',
                'ci.yml:4:15: jobs.a.runs-on.labl: unknown key "labl" (did you mean "labels"?); '
                "allowed keys are: group, labels",
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\ntimeout-minutes: soon",
            [
                "ci.yml:6:22: jobs.a.timeout-minutes: must be a positive number or an expression, "
                'not a string "soon"'
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\ntimeout-minutes: true",
            [
                "ci.yml:6:22: jobs.a.timeout-minutes: must be a positive number or an expression, "
                "not a boolean (true)"
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\ntimeout-minutes: -1",
            [
                "ci.yml:6:22: jobs.a.timeout-minutes: must be a positive number or an expression, "
                "not a number (-1)"
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\ncontinue-on-error: 'yes'",
            [
                "ci.yml:6:24: jobs.a.continue-on-error: must be true, false or an expression, "
                'not a string "yes"'
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\nenv: [A]",
            ["ci.yml:6:10: jobs.a.env: must be a mapping, not a list"],
        ),
        (
            "runs-on: x\nsteps: [run: x]\nenv:\n  A: [1]\n  B: {c: 1}",
            [
                "ci.yml:7:10: jobs.a.env.A: must be a string, number or boolean, not a list",
                "ci.yml:8:10: jobs.a.env.B: must be a string, number or boolean, not a mapping",
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\nwith: {a: 1}\nsecrets: inherit",
            [
                'ci.yml:6:5: jobs.a.with: "with" is only allowed in a job that calls a reusable '
                'workflow ("uses")',
                'ci.yml:7:5: jobs.a.secrets: "secrets" is only allowed in a job that calls a '
                'reusable workflow ("uses")',
            ],
        ),
        (
            "uses: ./.github/workflows/x.yml\nruns-on: x\nsteps: [run: x]",
            [
                f'ci.yml:5:5: jobs.a.runs-on: "runs-on" is not allowed in a job that calls a reusable '
                f'workflow ("uses"); allowed keys there are: {CALLER_KEYS}',
                f'ci.yml:6:5: jobs.a.steps: "steps" is not allowed in a job that calls a reusable '
                f'workflow ("uses"); allowed keys there are: {CALLER_KEYS}',
            ],
        ),
        (
            "uses: octo/repo@v1",
            [
                'ci.yml:4:11: jobs.a.uses: invalid reusable workflow "octo/repo@v1": expected '
                '"./.github/workflows/NAME.yml" or "owner/repo/.github/workflows/NAME.yml@ref"'
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\npermissions: {contents: admin}",
            [
                'ci.yml:6:29: jobs.a.permissions.contents: invalid permission level "admin"; '
                "allowed levels are: read, write, none"
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\npermissions: all",
            [
                'ci.yml:6:18: jobs.a.permissions: invalid permissions "all"; use "read-all", '
                '"write-all" or a mapping of scope to read, write or none'
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\nconcurrency: {cancel-in-progress: true}",
            ['ci.yml:6:18: jobs.a.concurrency: missing required key "group"'],
        ),
        (
            "runs-on: x\nsteps: [run: x]\nenvironment: {url: x}",
            ['ci.yml:6:18: jobs.a.environment: missing required key "name"'],
        ),
        (
            "runs-on: x\nsteps: [run: x]\ndefaults: {run: {shel: sh}}",
            [
                'ci.yml:6:22: jobs.a.defaults.run.shel: unknown key "shel" (did you mean "shell"?); '
                "allowed keys are: shell, working-directory"
            ],
        ),
        (
            "runs-on: x\nsteps: [run: x]\nif: [x]",
            ["ci.yml:6:9: jobs.a.if: must be a string (a condition), not a list"],
        ),
    ],
)
def test_job_rules(body: str, errors: list[str]) -> None:
    assert _errors(_job(body)) == errors


def test_job_ids_must_be_identifiers() -> None:
    text = "on: push\njobs:\n  1st:\n    runs-on: x\n    steps: [run: x]\n  a.b:\n"
    text += "    runs-on: x\n    steps: [run: x]\n  _ok-1:\n    runs-on: x\n    steps: [run: x]\n"
    assert _errors(text) == [
        'ci.yml:3:3: jobs.1st: invalid job id "1st": it must start with a letter or "_" and '
        'contain only letters, digits, "-" and "_"',
        'ci.yml:6:3: jobs.a.b: invalid job id "a.b": it must start with a letter or "_" and '
        'contain only letters, digits, "-" and "_"',
    ]


def test_dependency_cycles_are_reported_with_their_path() -> None:
    text = (
        "on: push\njobs:\n"
        "  build:\n    needs: test\n    runs-on: x\n    steps: [run: x]\n"
        "  test:\n    needs: [build]\n    runs-on: x\n    steps: [run: x]\n"
        "  self:\n    needs: self\n    runs-on: x\n    steps: [run: x]\n"
        "  c:\n    needs: d\n    runs-on: x\n    steps: [run: x]\n"
        "  d:\n    needs: e\n    runs-on: x\n    steps: [run: x]\n"
        "  e:\n    needs: [c, build]\n    runs-on: x\n    steps: [run: x]\n"
    )
    assert _errors(text) == [
        "ci.yml:4:5: jobs.build.needs: dependency cycle: build -> test -> build",
        "ci.yml:12:5: jobs.self.needs: dependency cycle: self -> self",
        "ci.yml:16:5: jobs.c.needs: dependency cycle: c -> d -> e -> c",
    ]


@pytest.mark.parametrize(
    ("steps", "errors"),
    [
        (
            "- run: x\n  uses: ./a",
            [
                'ci.yml:7:9: jobs.a.steps[0]: a step must have exactly one of "run", "uses" or '
                '"skill", but this one has "run" and "uses"'
            ],
        ),
        (
            "- name: nothing",
            ['ci.yml:6:9: jobs.a.steps[0]: a step must have one of "run", "uses" or "skill"'],
        ),
        (
            "- run: x\n  with: {a: 1}",
            [
                'ci.yml:7:9: jobs.a.steps[0].with: "with" is not allowed on a "run" step (it passes '
                'inputs to "uses" or "skill")'
            ],
        ),
        (
            "- uses: ./a\n  shell: bash\n  working-directory: x",
            [
                'ci.yml:7:9: jobs.a.steps[0].shell: "shell" is only allowed on a "run" step, not '
                'with "uses"',
                'ci.yml:8:9: jobs.a.steps[0].working-directory: "working-directory" is only allowed '
                'on a "run" step, not with "uses"',
            ],
        ),
        (
            "- skill: a.b\n  shell: bash",
            [
                'ci.yml:7:9: jobs.a.steps[0].shell: "shell" is only allowed on a "run" step, not '
                'with "skill"'
            ],
        ),
        (
            "- run: x\n  step: 1",
            [
                f'ci.yml:7:9: jobs.a.steps[0].step: unknown key "step"; allowed keys are: {STEP_KEYS}'
            ],
        ),
        (
            "- run: x\n  gate: {}",
            [
                f'ci.yml:7:9: jobs.a.steps[0].gate: unknown key "gate"; allowed keys are: {STEP_KEYS}'
            ],
        ),
        (
            "- id: 1x\n  run: x",
            [
                'ci.yml:6:13: jobs.a.steps[0].id: invalid step id "1x": it must start with a letter '
                'or "_" and contain only letters, digits, "-" and "_"'
            ],
        ),
        (
            "- id: same\n  run: x\n- id: other\n  run: x\n- id: same\n  run: y",
            [
                'ci.yml:10:13: jobs.a.steps[2].id: duplicate step id "same": steps[0] already uses it'
            ],
        ),
        (
            "- uses: actions/checkout",
            [
                'ci.yml:6:15: jobs.a.steps[0].uses: invalid "uses" value "actions/checkout": expected '
                '"./path/to/action", "docker://image" or "owner/repo[/path]@ref"'
            ],
        ),
        (
            "- uses: ../up",
            [
                'ci.yml:6:15: jobs.a.steps[0].uses: invalid "uses" value "../up": expected '
                '"./path/to/action", "docker://image" or "owner/repo[/path]@ref"'
            ],
        ),
        ("- run: ''", ["ci.yml:6:14: jobs.a.steps[0].run: must be a non-empty string"]),
        ("- run: [a]", ["ci.yml:6:14: jobs.a.steps[0].run: must be a string, not a list"]),
        (
            "- run: x\n  timeout-minutes: 0",
            [
                "ci.yml:7:26: jobs.a.steps[0].timeout-minutes: must be a positive number or an "
                "expression, not a number (0)"
            ],
        ),
        (
            "- run: x\n  continue-on-error: maybe",
            [
                "ci.yml:7:28: jobs.a.steps[0].continue-on-error: must be true, false or an "
                'expression, not a string "maybe"'
            ],
        ),
        (
            "- run: x\n  env: {A: [1]}",
            ["ci.yml:7:18: jobs.a.steps[0].env.A: must be a string, number or boolean, not a list"],
        ),
        (
            "- uses: ./a\n  with: [1]",
            ["ci.yml:7:15: jobs.a.steps[0].with: must be a mapping, not a list"],
        ),
    ],
)
def test_step_rules(steps: str, errors: list[str]) -> None:
    body = "runs-on: x\nsteps:\n" + "".join(f"  {ln}\n" for ln in steps.splitlines())
    assert _errors(_job(body)) == errors


@pytest.mark.parametrize(
    ("strategy", "errors"),
    [
        (
            "matrix: os",
            [
                "ci.yml:7:15: jobs.a.strategy.matrix: must be a mapping of keys to lists of values, "
                "or an expression, not a string"
            ],
        ),
        (
            "matrix: {}",
            [
                "ci.yml:7:15: jobs.a.strategy.matrix: a matrix needs at least one key with a list of "
                'values, or "include"'
            ],
        ),
        (
            "matrix:\n  os: linux",
            [
                "ci.yml:8:13: jobs.a.strategy.matrix.os: must be a non-empty list or an expression, "
                "not a string"
            ],
        ),
        (
            "matrix:\n  os: []",
            [
                "ci.yml:8:13: jobs.a.strategy.matrix.os: must be a non-empty list or an expression, "
                "not an empty list"
            ],
        ),
        (
            "matrix:\n  os: [a]\n  include: {os: b}",
            [
                "ci.yml:9:18: jobs.a.strategy.matrix.include: must be a list of mappings or an "
                "expression, not a mapping"
            ],
        ),
        (
            "matrix:\n  os: [a]\n  exclude: [a]",
            [
                'ci.yml:9:19: jobs.a.strategy.matrix.exclude[0]: each "exclude" entry must be a '
                "mapping, not a string"
            ],
        ),
        (
            "matrix:\n  os: [a]\n  exclude: [{os: a}]",
            [
                "ci.yml:8:9: jobs.a.strategy.matrix: the matrix has no combinations left: exclude "
                "removed them all"
            ],
        ),
        (
            "matrix:\n  os: [a]\n  exclude: [{arch: a}]",
            [
                'ci.yml:8:9: jobs.a.strategy.matrix: exclude key "arch" is not a key of the matrix '
                "(its keys: os)"
            ],
        ),
        (
            "matrix:\n  exclude: [{arch: a}]",
            [
                "ci.yml:8:9: jobs.a.strategy.matrix: a matrix needs at least one key with a list of "
                'values, or "include"'
            ],
        ),
        (
            "matrix:\n  a: [1,2,3,4,5,6,7,8,9]\n  b: [1,2,3,4,5,6,7,8,9]\n  c: [1,2,3,4]",
            [
                "ci.yml:8:9: jobs.a.strategy.matrix: the matrix has 324 combinations; at most 256 "
                "are allowed"
            ],
        ),
        (
            "fail-fast: 'no'",
            [
                "ci.yml:7:18: jobs.a.strategy.fail-fast: must be true, false or an expression, "
                'not a string "no"'
            ],
        ),
        (
            "max-parallel: 0",
            [
                "ci.yml:7:21: jobs.a.strategy.max-parallel: must be a positive whole number or an "
                "expression, not a number (0)"
            ],
        ),
        (
            "max-parallel: 1.5",
            [
                "ci.yml:7:21: jobs.a.strategy.max-parallel: must be a positive whole number or an "
                "expression, not a number (1.5)"
            ],
        ),
        (
            "matrx: {}",
            [
                'ci.yml:7:7: jobs.a.strategy.matrx: unknown key "matrx" (did you mean "matrix"?); '
                "allowed keys are: matrix, fail-fast, max-parallel"
            ],
        ),
    ],
)
def test_strategy_rules(strategy: str, errors: list[str]) -> None:
    body = "runs-on: x\nsteps: [run: x]\nstrategy:\n" + "".join(
        f"  {ln}\n" for ln in strategy.splitlines()
    )
    assert _errors(_job(body)) == errors


@pytest.mark.parametrize(
    "strategy",
    [
        "matrix: ${{ fromJSON(needs.a.outputs.m) }}",
        "matrix:\n  os: ${{ fromJSON('[1]') }}\n  exclude: [{os: 1}]",
        "matrix:\n  include: ${{ fromJSON('[]') }}",
        "matrix:\n  include: [{a: 1}, {a: 2}]",
        "matrix:\n  os: [a]\nfail-fast: ${{ true }}\nmax-parallel: ${{ 2 }}",
    ],
)
def test_strategy_expressions_are_left_for_run_time(strategy: str) -> None:
    body = "runs-on: x\nsteps: [run: x]\nstrategy:\n" + "".join(
        f"  {ln}\n" for ln in strategy.splitlines()
    )
    assert parse_workflow(_job(body), "ci.yml").jobs["a"].strategy is not None


def test_workflow_level_env_defaults_concurrency() -> None:
    text = (
        "on: push\nenv:\n  A: {x: 1}\ndefaults: {run: {shell: [bash]}}\n"
        "concurrency: [x]\npermissions: [x]\nrun-name: {a: 1}\n"
        "jobs: {a: {runs-on: x, steps: [run: x]}}\n"
    )
    assert _errors(text) == [
        "ci.yml:3:6: env.A: must be a string, number or boolean, not a mapping",
        "ci.yml:4:25: defaults.run.shell: must be a string, not a list",
        "ci.yml:5:14: concurrency: must be a string (the group) or a mapping, not a list",
        'ci.yml:6:14: permissions: must be "read-all", "write-all" or a mapping of scopes, '
        "not a list",
        "ci.yml:7:11: run-name: must be a string, not a mapping",
    ]


def test_yaml_problems_and_validation_are_reported_together() -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps: [run: x]\n    bad: 1\n"
    )
    assert _errors(text) == [
        'ci.yml:5:5: jobs.a: duplicate key "runs-on" (already defined at line 4, column 5)',
        f'ci.yml:7:5: jobs.a.bad: unknown key "bad"; allowed keys are: {JOB_KEYS}',
    ]


def test_syntax_error_is_one_workflow_error() -> None:
    assert _errors("on: push\njobs: [\n") == [
        "ci.yml:3:1: invalid YAML: did not find expected node content "
        "(while parsing a flow node at line 3, column 1)"
    ]
