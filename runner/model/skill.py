"""Skill files -> `Skill`: a named, versioned unit of steps with typed inputs and outputs.

    id: text.summarize                 # required; dotted, unique across the skill dirs
    name: Summarise                    # optional display name
    description: ...
    version: "1.2"
    inputs:                            # name -> {type, description, required, default, options}
      text: {type: string, required: true}
    env: {...}                         # for every step of the skill
    steps:                             # `run:` or `skill:` steps, each optionally behind a `gate:`
      - id: analyze
        run: python3 analyze.py
        gate: {timeout-seconds: 5, on-trip: degrade, fallback: {summary: ""}}
    outputs:                           # name -> expression, or {value, description}
      summary: ${{ steps.analyze.outputs.summary }}

Parsing reports every problem at once, each at file:line:col with the dotted
path of the key, like workflows. What needs other skills (does a `skill:` step
name a skill that exists, do its `with:` keys match that skill's inputs, do
calls form a cycle) is checked by the catalog (runner.skills), which sees all
skill files; `Skill.calls` lists what this one calls, with positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import SourcePos, WorkflowErrors
from runner.model.expression_syntax import check_expressions
from runner.model.gate import parse_gate
from runner.model.skill_interface import parse_skill_inputs, parse_skill_outputs
from runner.model.steps import parse_steps
from runner.model.types import StepKind
from runner.model.validate import (
    Problems,
    check_keys,
    env_mapping,
    join,
    nonempty_string,
    string,
)
from runner.model.yaml_loader import load_yaml, read_text
from runner.model.yaml_nodes import MappingNode, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.expressions.values import JSONValue
    from runner.model.types import InputSpec, OutputSpec, Step
    from runner.model.yaml_nodes import Node

SKILL_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "description",
    "version",
    "inputs",
    "outputs",
    "env",
    "steps",
)
SKILL_STEP_KEYS: tuple[str, ...] = (
    "id",
    "if",
    "name",
    "run",
    "shell",
    "with",
    "env",
    "working-directory",
    "continue-on-error",
    "timeout-minutes",
    "skill",
)
SKILL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9][A-Za-z0-9_-]*)*")
# Path segments the HTTP API uses under /v1/skills/: no skill may be called that.
RESERVED_SKILL_IDS: tuple[str, ...] = ("executions",)


@dataclass(frozen=True, slots=True, kw_only=True)
class SkillCall:
    """A `skill:` step: which skill it calls, with which `with:` keys, and where."""

    skill_id: str
    step_index: int
    with_keys: tuple[str, ...]
    pos: SourcePos  # of the `skill:` value


@dataclass(frozen=True, slots=True, kw_only=True)
class Skill:
    id: str
    path: str  # the skill file
    pos: SourcePos
    name: str = ""
    description: str = ""
    version: str | None = None
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    env: Mapping[str, JSONValue] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    calls: tuple[SkillCall, ...] = ()

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def directory(self) -> Path:
        """Where the skill's file is: its steps run here by default."""
        return Path(self.path).resolve().parent


def load_skill(path: str | Path) -> Skill:
    """Read and parse the skill file at `path`; WorkflowErrors lists every problem."""
    return parse_skill(read_text(path), str(path))


def parse_skill(text: str, path: str) -> Skill:
    """Parse skill YAML `text` (`path` is what positions name); raises WorkflowErrors."""
    problems = Problems()
    root = load_yaml(text, path, problems=problems.errors)
    if not isinstance(root, MappingNode):
        empty = isinstance(root, ScalarNode) and root.value is None
        message = (
            "the skill file is empty"
            if empty
            else 'a skill must be a mapping with "id" and "steps"'
        )
        problems.add(message, root.pos)
        raise WorkflowErrors(problems.errors)
    check_keys(root, SKILL_KEYS, problems, "")
    for key in ("id", "steps"):
        if key not in root:
            problems.add(f'missing required key "{key}"', root.pos)

    skill_id = _skill_id(root, problems)
    steps: tuple[Step, ...] = ()
    calls: tuple[SkillCall, ...] = ()
    if (steps_node := root.get("steps")) is not None:
        steps = parse_steps(
            steps_node, problems, "steps", keys=SKILL_STEP_KEYS, parse_gate=parse_gate
        )
        if isinstance(steps_node, SequenceNode) and not steps_node.value:
            problems.add("a skill needs at least one step", steps_node.pos, "steps")
        calls = _calls(steps_node, steps, problems)
    env_node = root.get("env")
    inputs_node = root.get("inputs")
    outputs_node = root.get("outputs")
    skill = Skill(
        id=skill_id or "",
        path=path,
        pos=root.pos,
        name=_text(root, "name", problems),
        description=_text(root, "description", problems),
        version=_text(root, "version", problems) or None,
        inputs=(
            parse_skill_inputs(inputs_node, problems, "inputs") if inputs_node is not None else {}
        ),
        outputs=parse_skill_outputs(outputs_node, problems, "outputs")
        if outputs_node is not None
        else {},
        env=env_mapping(env_node, problems, "env") if env_node is not None else {},
        steps=steps,
        calls=calls,
    )
    check_expressions(root, problems)
    problems.raise_if_any()
    return skill


def _skill_id(root: MappingNode, problems: Problems) -> str | None:
    node = root.get("id")
    if node is None:
        return None
    text = nonempty_string(node, problems, "id")
    if text is None:
        return None
    if not SKILL_ID.fullmatch(text):
        problems.add(
            f'invalid skill id "{text}": use letters, digits, "-" and "_" in dot-separated '
            'parts (e.g. "text.summarize")',
            node.pos,
            "id",
        )
        return None
    if text.lower() in RESERVED_SKILL_IDS:
        problems.add(f'"{text}" is reserved and cannot be a skill id', node.pos, "id")
        return None
    return text


def _text(root: MappingNode, key: str, problems: Problems) -> str:
    node = root.get(key)
    return (string(node, problems, key) or "") if node is not None else ""


def _calls(steps_node: Node, steps: tuple[Step, ...], problems: Problems) -> tuple[SkillCall, ...]:
    """The `skill:` steps, with where their `skill:` value is written."""
    if not isinstance(steps_node, SequenceNode):
        return ()
    calls: list[SkillCall] = []
    for step in steps:
        item = steps_node.value[step.index]
        if not isinstance(item, MappingNode):
            continue
        gate_node = item.get("gate")
        if (
            step.kind is StepKind.SKILL
            and isinstance(gate_node, MappingNode)
            and "allowed-exit-codes" in gate_node
        ):
            problems.add(
                '"allowed-exit-codes" only applies to "run" steps (a called skill that '
                "fails always trips its gate)",
                gate_node.pos_of_key("allowed-exit-codes"),
                join(f"steps[{step.index}].gate", "allowed-exit-codes"),
            )
        if step.kind is StepKind.SKILL and step.skill is not None:
            value = item.get("skill")
            calls.append(
                SkillCall(
                    skill_id=step.skill,
                    step_index=step.index,
                    with_keys=tuple(step.with_),
                    pos=value.pos if value is not None else item.pos,
                )
            )
    return tuple(calls)
