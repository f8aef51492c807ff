"""A skill's inputs: what a caller gives, checked against what the skill declares.

Two strictnesses. Over HTTP the inputs are JSON, so a value must already have
its declared type (a number is not "5"). From a command line (`-i k=v`) or a
workflow's `with:` (where values are mostly strings) a value is converted:
"5" to 5 for a number, "true" to true, JSON text to an object or array.
Every problem is listed at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from runner import json_text
from runner.errors import RunError
from runner.expressions import JSONValue, to_string

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.model import InputSpec, Skill


class InputProblems(RunError):
    """The inputs given to a skill do not fit what it declares; `problems` lists each."""

    def __init__(self, skill_id: str, problems: list[str]) -> None:
        self.skill_id = skill_id
        self.problems = tuple(problems)
        super().__init__(f"invalid inputs for skill {skill_id!r}: " + "; ".join(problems))


def resolve_skill_inputs(
    skill: Skill, given: Mapping[str, JSONValue], *, strict: bool
) -> dict[str, JSONValue]:
    """Every declared input's value (given, else its default, else its type's empty value).

    Raises InputProblems listing unknown inputs, missing required ones and values
    of the wrong type.
    """
    problems: list[str] = []
    values: dict[str, JSONValue] = {}
    for name, value in given.items():
        spec = skill.inputs.get(name)
        if spec is None:
            declared = ", ".join(skill.inputs) or "none"
            problems.append(f"unknown input {name!r} (declared: {declared})")
            continue
        try:
            values[name] = check_value(spec, value, strict=strict)
        except ValueError as exc:
            problems.append(f"input {name!r}: {exc}")
    for name, spec in skill.inputs.items():
        if name in values or name in given:
            continue
        if spec.default is not None:
            values[name] = spec.default
        elif spec.required:
            problems.append(f"input {name!r} is required")
        else:
            values[name] = _empty(spec.type)
    if problems:
        raise InputProblems(skill.id, problems)
    return values


def check_value(spec: InputSpec, value: JSONValue, *, strict: bool) -> JSONValue:
    """`value` as the input's declared type; ValueError says what was expected."""
    kind = spec.type
    if value is None:
        if spec.required:
            raise ValueError("is required and cannot be null")
        return spec.default if spec.default is not None else _empty(kind)
    if not strict and isinstance(value, str):
        value = _from_text(kind, value)
    if kind == "string":
        if not isinstance(value, str):
            if strict or isinstance(value, dict | list):
                raise ValueError(f"expected a string, got {_kind(value)}")
            value = to_string(value)
        if spec.options and value not in spec.options:
            raise ValueError(f"expected one of {', '.join(spec.options)}, got {value!r}")
        return value
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"expected a {'whole ' if kind == 'integer' else ''}number, got {_kind(value)}"
            )
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        if kind == "integer":
            if not float(value).is_integer():
                raise ValueError(f"expected a whole number, got {value}")
            return int(value)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_kind(value)}")
        return value
    if kind == "object" and not isinstance(value, dict):
        raise ValueError(f"expected an object, got {_kind(value)}")
    if kind == "array" and not isinstance(value, list):
        raise ValueError(f"expected an array, got {_kind(value)}")
    return value


def _from_text(kind: str, text: str) -> JSONValue:
    """A command-line or `with:` string read as the declared type (unchanged if it isn't one)."""
    stripped = text.strip()
    if kind in ("number", "integer"):
        try:
            number = float(stripped)
        except ValueError:
            return text
        if number.is_integer() and "." not in stripped and "e" not in stripped.lower():
            return int(number)
        return number
    if kind == "boolean" and stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if kind in ("object", "array"):
        try:
            parsed: JSONValue = json_text.loads(stripped)
        except ValueError:
            return text
        return parsed
    return text


def _kind(value: JSONValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 40 else "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _empty(kind: str) -> JSONValue:
    empty: dict[str, JSONValue] = {
        "boolean": False,
        "number": 0,
        "integer": 0,
        "object": {},
        "array": [],
    }
    return empty.get(kind, "")


def input_schema(skill: Skill) -> dict[str, JSONValue]:
    """The skill's inputs as a JSON Schema object (what `GET /v1/skills/{id}` shows)."""
    properties: dict[str, JSONValue] = {}
    for name, spec in skill.inputs.items():
        prop: dict[str, JSONValue] = {"type": spec.type}
        if spec.description:
            prop["description"] = spec.description
        if spec.default is not None:
            prop["default"] = spec.default
        if spec.options:
            prop["enum"] = list(spec.options)
        properties[name] = prop
    required: list[JSONValue] = [
        name for name, spec in skill.inputs.items() if spec.required and spec.default is None
    ]
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
