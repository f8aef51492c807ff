"""The step parser as other definition files (skills) reuse it."""

from __future__ import annotations

import pytest

from runner.errors import SourcePos, WorkflowErrors
from runner.model import (
    Gate,
    MappingNode,
    Node,
    Problems,
    ScalarNode,
    StepKind,
    load_yaml,
    parse_steps,
)
from runner.model.steps import uses_kind


def _gate(node: Node, problems: Problems, where: str) -> Gate | None:
    if not isinstance(node, MappingNode):
        problems.add("a gate must be a mapping", node.pos, where)
        return None
    timeout = node.get("timeout-seconds")
    seconds = timeout.value if isinstance(timeout, ScalarNode) else None
    return Gate(
        timeout_seconds=float(seconds) if isinstance(seconds, int | float) else None,
        pos=node.pos,
    )


def test_a_skill_parser_can_allow_gate() -> None:
    node = load_yaml(
        "- id: fetch\n  run: curl x\n  gate: {timeout-seconds: 5}\n- skill: other.skill\n",
        "s.yml",
    )
    problems = Problems()
    steps = parse_steps(node, problems, "steps", parse_gate=_gate)
    assert problems.errors == []
    assert steps[0].gate == Gate(timeout_seconds=5.0, pos=SourcePos(path="s.yml", line=3, col=9))
    assert steps[1].kind is StepKind.SKILL
    assert steps[1].gate is None


def test_gate_problems_are_reported_with_the_rest() -> None:
    node = load_yaml("- run: x\n  gate: strict\n  bogus: 1\n", "s.yml")
    problems = Problems()
    parse_steps(node, problems, "steps", parse_gate=_gate)
    with pytest.raises(WorkflowErrors) as info:
        problems.raise_if_any()
    assert [str(e) for e in info.value.errors] == [
        "s.yml:2:9: steps[0].gate: a gate must be a mapping",
        's.yml:3:3: steps[0].bogus: unknown key "bogus"; allowed keys are: id, if, name, uses, '
        "run, shell, with, env, working-directory, continue-on-error, timeout-minutes, skill, gate",
    ]


@pytest.mark.parametrize(
    ("uses", "kind"),
    [
        ("actions/checkout@v4", StepKind.CHECKOUT),
        ("actions/checkout@0123abcd", StepKind.CHECKOUT),
        ("ACTIONS/Checkout@main", StepKind.CHECKOUT),
        ("actions/checkout/sub@v4", StepKind.REMOTE_ACTION),
        ("actions/setup-python@v5", StepKind.REMOTE_ACTION),
        ("octo/repo/path/to/action@feature/branch", StepKind.REMOTE_ACTION),
        ("./.github/actions/x", StepKind.LOCAL_ACTION),
        ("./", StepKind.LOCAL_ACTION),
        ("docker://alpine:3", StepKind.DOCKER_ACTION),
        ("docker://", None),
        ("actions/checkout", None),
        ("checkout@v4", None),
        ("../x", None),
        ("a/b@", None),
    ],
)
def test_uses_kind(uses: str, kind: StepKind | None) -> None:
    assert uses_kind(uses) is kind
