"""Steps: the one parser for the steps of jobs, composite actions and skills.

Each caller says which keys its steps may have (`keys`), and skills add a
`gate:` by passing `parse_gate`; everything else (the kind of step, which keys
go with which kind, unique ids) is decided here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

from runner.model.expression_syntax import check_condition
from runner.model.types import Step, StepKind
from runner.model.validate import (
    bool_or_expression,
    check_id,
    check_keys,
    condition,
    describe,
    env_mapping,
    join,
    mapping,
    nonempty_string,
    number_or_expression,
    string,
)
from runner.model.yaml_nodes import MappingNode, Node, SequenceNode

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue
    from runner.model.types import Gate
    from runner.model.validate import Problems

WORKFLOW_STEP_KEYS: tuple[str, ...] = (
    "id",
    "if",
    "name",
    "uses",
    "run",
    "shell",
    "with",
    "env",
    "working-directory",
    "continue-on-error",
    "timeout-minutes",
    "skill",
)
COMPOSITE_STEP_KEYS: tuple[str, ...] = (
    "id",
    "if",
    "name",
    "uses",
    "run",
    "shell",
    "with",
    "env",
    "working-directory",
    "continue-on-error",
)

GateParser: TypeAlias = Callable[["Node", "Problems", str], "Gate | None"]

_KIND_KEYS = ("run", "uses", "skill")
_REMOTE = re.compile(r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(/[^@\s]+)?@([^@\s]+)")
_USES_FORMS = '"./path/to/action", "docker://image" or "owner/repo[/path]@ref"'


def uses_kind(uses: str) -> StepKind | None:
    """The kind of step a `uses:` value makes, or None if it is not a valid reference."""
    if uses.startswith("./"):
        return StepKind.LOCAL_ACTION
    if uses.startswith("docker://") and len(uses) > len("docker://"):
        return StepKind.DOCKER_ACTION
    match = _REMOTE.fullmatch(uses)
    if match is None:
        return None
    owner, repo, subpath, _ = match.groups()
    if owner.lower() == "actions" and repo.lower() == "checkout" and subpath is None:
        return StepKind.CHECKOUT
    return StepKind.REMOTE_ACTION


def parse_steps(
    node: Node,
    problems: Problems,
    where: str,
    *,
    keys: tuple[str, ...] = WORKFLOW_STEP_KEYS,
    parse_gate: GateParser | None = None,
    require_shell: bool = False,
) -> tuple[Step, ...]:
    """Parse a list of steps, recording every problem; returns the steps that made sense.

    `keys` are the keys a step may have; `parse_gate`, when given, also allows
    `gate:` and parses it; `require_shell` makes `shell` mandatory on run steps
    (composite actions).
    """
    if not isinstance(node, SequenceNode):
        problems.add(f"must be a list of steps, not {describe(node)}", node.pos, where)
        return ()
    steps: list[Step] = []
    ids: dict[str, int] = {}
    for index, item in enumerate(node.value):
        step = parse_step(
            item,
            index,
            problems,
            f"{where}[{index}]",
            keys=keys,
            parse_gate=parse_gate,
            require_shell=require_shell,
        )
        if step is None:
            continue
        if step.id is not None and isinstance(item, MappingNode):
            if step.id in ids:
                problems.add(
                    f'duplicate step id "{step.id}": steps[{ids[step.id]}] already uses it',
                    _get(item, "id").pos,
                    join(f"{where}[{index}]", "id"),
                )
            else:
                ids[step.id] = index
        steps.append(step)
    return tuple(steps)


def parse_step(
    node: Node,
    index: int,
    problems: Problems,
    where: str,
    *,
    keys: tuple[str, ...] = WORKFLOW_STEP_KEYS,
    parse_gate: GateParser | None = None,
    require_shell: bool = False,
) -> Step | None:
    """Parse one step at `index` of its parent; None when it has no valid kind."""
    step = mapping(node, problems, where, "a step must be")
    if step is None:
        return None
    allowed = (*keys, "gate") if parse_gate is not None else keys
    check_keys(step, allowed, problems, where)

    present = [key for key in _KIND_KEYS if key in allowed and key in step]
    kind, run, uses, skill = _kind(step, present, allowed, problems, where)
    _check_kind_keys(step, present, problems, where, require_shell=require_shell)
    is_run = present[:1] == ["run"]

    step_id = None
    if (id_node := step.get("id")) is not None:
        step_id = string(id_node, problems, join(where, "id"))
        if step_id is not None and not check_id(
            step_id, id_node.pos, problems, join(where, "id"), "step id"
        ):
            step_id = None
    if_ = None
    if (if_node := step.get("if")) is not None:
        if_ = condition(if_node, problems, join(where, "if"))
        check_condition(if_node, problems, join(where, "if"))

    with_: dict[str, JSONValue] = {}
    if (with_node := step.get("with")) is not None and not is_run:
        found = mapping(with_node, problems, join(where, "with"))
        with_ = {key: value.to_json() for key, value in found.items()} if found else {}
    gate = None
    if parse_gate is not None and (gate_node := step.get("gate")) is not None:
        gate = parse_gate(gate_node, problems, join(where, "gate"))

    texts = {
        key: string(value, problems, join(where, key))
        for key in ("name", "shell", "working-directory")
        if (value := step.get(key)) is not None
    }
    env_node = step.get("env")
    env = env_mapping(env_node, problems, join(where, "env")) if env_node is not None else {}
    continue_on_error: JSONValue = False
    if (coe_node := step.get("continue-on-error")) is not None:
        continue_on_error = bool_or_expression(coe_node, problems, join(where, "continue-on-error"))
    timeout: JSONValue = None
    if (timeout_node := step.get("timeout-minutes")) is not None:
        timeout = number_or_expression(
            timeout_node, problems, join(where, "timeout-minutes"), positive=True
        )
    if kind is None:
        return None
    return Step(
        index=index,
        pos=step.pos,
        kind=kind,
        id=step_id,
        name=texts.get("name"),
        if_=if_,
        run=run,
        uses=uses,
        skill=skill,
        with_=with_,
        env=env,
        shell=texts.get("shell"),
        working_directory=texts.get("working-directory"),
        continue_on_error=continue_on_error,
        timeout_minutes=timeout,
        gate=gate,
    )


def _kind(
    step: MappingNode, present: list[str], allowed: tuple[str, ...], problems: Problems, where: str
) -> tuple[StepKind | None, str | None, str | None, str | None]:
    """The step's kind and its run / uses / skill values; exactly one of those keys is allowed."""
    kinds = [key for key in _KIND_KEYS if key in allowed]
    choices = ", ".join(f'"{k}"' for k in kinds[:-1]) + f' or "{kinds[-1]}"'
    if not present:
        problems.add(f"a step must have one of {choices}", step.pos, where)
    elif len(present) > 1:
        both = " and ".join(f'"{k}"' for k in present)
        problems.add(
            f"a step must have exactly one of {choices}, but this one has {both}",
            step.pos_of_key(present[1]),
            where,
        )
    kind: StepKind | None = None
    run = uses = skill = None
    if "run" in present:
        run = nonempty_string(_get(step, "run"), problems, join(where, "run"))
        kind = StepKind.RUN
    if "uses" in present:
        uses = nonempty_string(_get(step, "uses"), problems, join(where, "uses"))
        if uses is not None:
            kind = kind or uses_kind(uses)
            if uses_kind(uses) is None:
                problems.add(
                    f'invalid "uses" value "{uses}": expected {_USES_FORMS}',
                    _get(step, "uses").pos,
                    join(where, "uses"),
                )
    if "skill" in present:
        skill = nonempty_string(_get(step, "skill"), problems, join(where, "skill"))
        kind = kind or StepKind.SKILL
    return kind, run, uses, skill


def _check_kind_keys(
    step: MappingNode, present: list[str], problems: Problems, where: str, *, require_shell: bool
) -> None:
    """`with` goes with uses/skill; `shell` and `working-directory` only with run."""
    is_run = present[:1] == ["run"]
    if "with" in step and is_run:
        problems.add(
            '"with" is not allowed on a "run" step (it passes inputs to "uses" or "skill")',
            step.pos_of_key("with"),
            join(where, "with"),
        )
    for only_run in ("shell", "working-directory"):
        if only_run in step and present and not is_run:
            problems.add(
                f'"{only_run}" is only allowed on a "run" step, not with "{present[0]}"',
                step.pos_of_key(only_run),
                join(where, only_run),
            )
    if require_shell and is_run and "shell" not in step:
        problems.add('a "run" step here must say which "shell" to use', step.pos, where)


def _get(node: MappingNode, key: str) -> Node:
    found = node.get(key)
    assert found is not None, key
    return found
