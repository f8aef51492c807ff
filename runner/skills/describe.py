"""Skills as JSON: what `GET /v1/skills[/{id}]` and `stax skill list|show --json` show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runner.skills.inputs import input_schema

if TYPE_CHECKING:
    from runner.expressions import JSONValue
    from runner.model import Skill


def skill_summary(skill: Skill) -> dict[str, JSONValue]:
    """Id, name, description, version, inputs and outputs (the list view)."""
    return {
        "id": skill.id,
        "name": skill.display_name,
        "description": skill.description,
        "version": skill.version,
        "inputs": _inputs(skill),
        "outputs": {name: {"description": o.description} for name, o in skill.outputs.items()},
    }


def describe_skill(skill: Skill, root: Path) -> dict[str, JSONValue]:
    """Everything about a skill: the summary plus its file (relative to `root` when inside
    it), its inputs' JSON Schema, its steps with their gates, and the skills it calls."""
    path = Path(skill.path)
    try:
        shown = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        shown = str(path)
    steps: list[JSONValue] = []
    for step in skill.steps:
        entry: dict[str, JSONValue] = {
            "id": step.id,
            "name": step.display_name,
            "kind": step.kind.value,
            "if": step.if_,
        }
        if step.skill is not None:
            entry["skill"] = step.skill
        if step.gate is not None:
            gate = step.gate
            entry["gate"] = {
                "timeout-seconds": gate.timeout_seconds,
                "max-output-bytes": gate.max_output_bytes,
                "allowed-exit-codes": list(gate.allowed_exit_codes),
                "on-trip": gate.on_trip,
                "fallback": dict(gate.fallback),
            }
        steps.append(entry)
    calls: list[JSONValue] = list(dict.fromkeys(call.skill_id for call in skill.calls))
    return {
        **skill_summary(skill),
        "path": shown,
        "input_schema": input_schema(skill),
        "steps": steps,
        "calls": calls,
    }


def _inputs(skill: Skill) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = {}
    for name, spec in skill.inputs.items():
        entry: dict[str, JSONValue] = {
            "type": spec.type,
            "required": spec.required and spec.default is None,
            "default": spec.default,
            "description": spec.description,
        }
        if spec.options:
            entry["options"] = list(spec.options)
        out[name] = entry
    return out
