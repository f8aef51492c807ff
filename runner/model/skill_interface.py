"""`inputs:` and `outputs:` of a skill file.

Skill inputs are typed like JSON (`string`, `number`, `integer`, `boolean`, `object`,
`array`); a string input may list its `options`. Outputs are expressions, written
as the value itself or as `{value, description}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.model.types import InputSpec, OutputSpec
from runner.model.validate import (
    boolean,
    check_id,
    check_keys,
    describe,
    join,
    mapping,
    mapping_or_empty,
    string,
)
from runner.model.yaml_nodes import ScalarNode, SequenceNode

if TYPE_CHECKING:
    from runner.errors import SourcePos
    from runner.expressions.values import JSONValue
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node

SKILL_INPUT_TYPES: tuple[str, ...] = ("string", "number", "integer", "boolean", "object", "array")
_INPUT_KEYS = ("type", "description", "required", "default", "options")


def parse_skill_inputs(node: Node, problems: Problems, where: str) -> dict[str, InputSpec]:
    """`inputs:` of a skill: name -> {type, description, required, default, options}."""
    body = mapping_or_empty(node, problems, where)
    if body is None:
        return {}
    inputs: dict[str, InputSpec] = {}
    for name, spec in body.items():
        at = join(where, name)
        if not check_id(name, body.pos_of_key(name), problems, at, "input id"):
            continue
        inputs[name] = _input(name, spec, body.pos_of_key(name), problems, at)
    return inputs


def _input(name: str, spec: Node, pos: SourcePos, problems: Problems, where: str) -> InputSpec:
    body = mapping_or_empty(spec, problems, where)
    if body is None:
        return InputSpec(name=name, pos=pos)
    check_keys(body, _INPUT_KEYS, problems, where)
    kind = "string"
    if (type_node := body.get("type")) is not None:
        written = string(type_node, problems, join(where, "type"))
        if written in SKILL_INPUT_TYPES:
            kind = written
        elif written is not None:
            problems.add(
                f'invalid input type "{written}"; allowed types are: '
                f"{', '.join(SKILL_INPUT_TYPES)}",
                type_node.pos,
                join(where, "type"),
            )
    required = False
    if (required_node := body.get("required")) is not None:
        required = bool(boolean(required_node, problems, join(where, "required")))
    options: tuple[str, ...] = ()
    if (options_node := body.get("options")) is not None:
        options = _options(options_node, kind, problems, join(where, "options"))
    default: JSONValue = None
    if (default_node := body.get("default")) is not None:
        default = default_node.to_json()
        problem = default_problem(kind, options, default)
        if problem is not None:
            problems.add(problem, default_node.pos, join(where, "default"))
    description_node = body.get("description")
    return InputSpec(
        name=name,
        type=kind,
        description=(
            (string(description_node, problems, join(where, "description")) or "")
            if description_node is not None
            else ""
        ),
        required=required,
        default=default,
        options=options,
        pos=pos,
    )


def _options(node: Node, kind: str, problems: Problems, where: str) -> tuple[str, ...]:
    if kind != "string":
        problems.add('"options" only applies to "string" inputs', node.pos, where)
        return ()
    if not isinstance(node, SequenceNode) or not node.value:
        problems.add(f"must be a non-empty list of strings, not {describe(node)}", node.pos, where)
        return ()
    found: list[str] = []
    for index, item in enumerate(node.value):
        if isinstance(item, ScalarNode) and item.value is not None:
            found.append(string(item, problems, f"{where}[{index}]") or "")
        else:
            problems.add(f"an option must be a string, not {describe(item)}", item.pos, where)
    return tuple(found)


def default_problem(kind: str, options: tuple[str, ...], value: JSONValue) -> str | None:
    """What is wrong with `value` as the default of a `kind` input, or None."""
    if value is None:
        return None
    ok = {
        "string": isinstance(value, str),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
    }.get(kind, True)
    if not ok:
        return f'the default of a "{kind}" input must be {_A[kind]}'
    if options and value not in options:
        return f"the default {value!r} is not one of the options ({', '.join(options)})"
    return None


_A = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
}


def parse_skill_outputs(node: Node, problems: Problems, where: str) -> dict[str, OutputSpec]:
    """`outputs:` name -> "expression" (shorthand) or {value, description}."""
    body = mapping_or_empty(node, problems, where)
    if body is None:
        return {}
    outputs: dict[str, OutputSpec] = {}
    for name, spec in body.items():
        at = join(where, name)
        pos = body.pos_of_key(name)
        if not check_id(name, pos, problems, at, "output id"):
            continue
        if isinstance(spec, ScalarNode):
            value = string(spec, problems, at) if spec.value is not None else None
            if value is None:
                problems.add("an output needs a value (an expression)", spec.pos, at)
            outputs[name] = OutputSpec(name=name, value=value or "", pos=pos)
            continue
        spec_body = mapping(spec, problems, at, "an output must be an expression or")
        if spec_body is None:
            continue
        check_keys(spec_body, ("value", "description"), problems, at)
        value_node = spec_body.get("value")
        if value_node is None:
            problems.add('missing required key "value"', spec_body.pos, at)
        description_node = spec_body.get("description")
        outputs[name] = OutputSpec(
            name=name,
            value=(string(value_node, problems, join(at, "value")) or "") if value_node else "",
            description=(
                (string(description_node, problems, join(at, "description")) or "")
                if description_node is not None
                else ""
            ),
            pos=pos,
        )
    return outputs
