"""Declared inputs, outputs and secrets: what a workflow, an action or a skill accepts and returns.

The four flavours differ in the keys and input types they allow, so each has
its own entry point; all return `InputSpec` / `OutputSpec` / `SecretSpec`
mappings in file order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.model.types import InputSpec, OutputSpec, SecretSpec
from runner.model.validate import (
    boolean,
    check_id,
    check_keys,
    describe,
    is_expression,
    join,
    mapping_or_empty,
    string,
)
from runner.model.yaml_nodes import MappingNode, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from runner.errors import SourcePos
    from runner.expressions.values import JSONValue
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node

DISPATCH_INPUT_TYPES = ("string", "boolean", "number", "choice", "environment")
CALL_INPUT_TYPES = ("string", "boolean", "number")
_DISPATCH_INPUT_KEYS = ("description", "required", "default", "type", "options")
_CALL_INPUT_KEYS = ("description", "required", "default", "type")
_ACTION_INPUT_KEYS = ("description", "required", "default", "deprecationMessage")


def parse_dispatch_inputs(node: Node, problems: Problems, where: str) -> dict[str, InputSpec]:
    """`on.workflow_dispatch.inputs`."""
    return {
        name: _input(name, spec, pos, problems, join(where, name), _DISPATCH_INPUT_KEYS, "dispatch")
        for name, spec, pos in _entries(node, problems, where, "input id")
    }


def parse_call_inputs(node: Node, problems: Problems, where: str) -> dict[str, InputSpec]:
    """`on.workflow_call.inputs`: `type` is required and limited to string, boolean, number."""
    return {
        name: _input(name, spec, pos, problems, join(where, name), _CALL_INPUT_KEYS, "call")
        for name, spec, pos in _entries(node, problems, where, "input id")
    }


def parse_action_inputs(node: Node, problems: Problems, where: str) -> dict[str, InputSpec]:
    """The `inputs:` of an action.yml (no types: every input is a string; a name may be
    any non-empty string, `greeting word` too: the runner passes INPUT_GREETING_WORD)."""
    return {
        name: _input(name, spec, pos, problems, join(where, name), _ACTION_INPUT_KEYS, "action")
        for name, spec, pos in _entries(node, problems, where, "input id", any_name=True)
    }


def parse_outputs(
    node: Node, problems: Problems, where: str, *, require_value: bool
) -> dict[str, OutputSpec]:
    """`outputs:` of a reusable workflow or an action: name -> {value, description}."""
    outputs: dict[str, OutputSpec] = {}
    for name, spec, pos in _entries(node, problems, where, "output id"):
        at = join(where, name)
        body = mapping_or_empty(spec, problems, at)
        if body is None:
            if require_value:
                problems.add('missing required key "value"', spec.pos, at)
            outputs[name] = OutputSpec(name=name, pos=pos)
            continue
        check_keys(body, ("description", "value"), problems, at)
        if require_value and "value" not in body:
            problems.add('missing required key "value"', body.pos, at)
        outputs[name] = OutputSpec(
            name=name,
            value=_text(body, "value", problems, at),
            description=_text(body, "description", problems, at),
            pos=pos,
        )
    return outputs


def parse_call_secrets(node: Node, problems: Problems, where: str) -> dict[str, SecretSpec]:
    """`on.workflow_call.secrets`: name -> {description, required}."""
    secrets: dict[str, SecretSpec] = {}
    for name, spec, _ in _entries(node, problems, where, "secret id"):
        at = join(where, name)
        body = mapping_or_empty(spec, problems, at)
        if body is None:
            secrets[name] = SecretSpec(name=name)
            continue
        check_keys(body, ("description", "required"), problems, at)
        required = body.get("required")
        secrets[name] = SecretSpec(
            name=name,
            required=required is not None
            and bool(boolean(required, problems, join(at, "required"))),
            description=_text(body, "description", problems, at),
        )
    return secrets


def _entries(
    node: Node, problems: Problems, where: str, what: str, *, any_name: bool = False
) -> list[tuple[str, Node, SourcePos]]:
    """(name, spec, where the name is written) of each declared entry with a valid name
    (with `any_name`, any name that is not blank)."""
    found = mapping_or_empty(node, problems, where)
    if found is None:
        return []
    entries = []
    for name, spec in found.items():
        pos = found.pos_of_key(name)
        if any_name and not name.strip():
            problems.add(f"invalid {what}: it must not be blank", pos, join(where, name))
        elif any_name or check_id(name, pos, problems, join(where, name), what):
            entries.append((name, spec, pos))
    return entries


def _text(body: MappingNode, key: str, problems: Problems, where: str) -> str:
    node = body.get(key)
    return (string(node, problems, join(where, key)) or "") if node is not None else ""


def _input(
    name: str,
    spec: Node,
    pos: SourcePos,
    problems: Problems,
    where: str,
    keys: tuple[str, ...],
    flavour: str,
) -> InputSpec:
    body = mapping_or_empty(spec, problems, where)
    if body is None:
        if flavour == "call":
            problems.add('missing required key "type"', spec.pos, where)
        return InputSpec(name=name, pos=pos)
    if flavour != "action":  # GitHub reads an action input's metadata loosely
        check_keys(body, keys, problems, where)

    kind = "string"
    allowed_types = DISPATCH_INPUT_TYPES if flavour == "dispatch" else CALL_INPUT_TYPES
    type_node = body.get("type")
    if type_node is not None and "type" in keys:
        written = string(type_node, problems, join(where, "type"))
        if written is not None and written in allowed_types:
            kind = written
        elif written is not None:
            problems.add(
                f'invalid input type "{written}"; allowed types are: {", ".join(allowed_types)}',
                type_node.pos,
                join(where, "type"),
            )
            kind = ""
    elif flavour == "call":
        problems.add('missing required key "type"', body.pos, where)

    required = False
    if (required_node := body.get("required")) is not None:
        required = _required(required_node, problems, join(where, "required"), flavour)

    options: tuple[str, ...] = ()
    if (options_node := body.get("options")) is not None and "options" in keys:
        options = _options(options_node, problems, join(where, "options"))
    if kind == "choice" and options_node is None:
        problems.add('a "choice" input needs "options"', body.pos, where)

    default: JSONValue = None
    if (default_node := body.get("default")) is not None:
        default = default_node.to_json()
        _check_default(default_node, kind, options, problems, join(where, "default"), flavour)
    text = _loose_text if flavour == "action" else _text
    return InputSpec(
        name=name,
        type=kind or "string",
        description=text(body, "description", problems, where),
        required=required,
        default=default,
        options=options,
        deprecation_message=text(body, "deprecationMessage", problems, where)
        if "deprecationMessage" in keys
        else "",
        pos=pos,
    )


def _loose_text(body: MappingNode, key: str, problems: Problems, where: str) -> str:
    """A text GitHub reads loosely (an action input's description): a string, or ""."""
    node = body.get(key)
    return node.value if isinstance(node, ScalarNode) and isinstance(node.value, str) else ""


def _required(node: Node, problems: Problems, where: str, flavour: str) -> bool:
    # GitHub's runner never reads an action input's `required` (@actions/core's
    # getInput does, as `required: true` in the script): many published actions write
    # `required: 'true'`, some anything at all. True and "true" are true, all else false.
    if flavour == "action":
        return isinstance(node, ScalarNode) and node.value in (True, "true")
    return bool(boolean(node, problems, where))


def _options(node: Node, problems: Problems, where: str) -> tuple[str, ...]:
    if not isinstance(node, SequenceNode) or not node.value:
        problems.add(f"must be a non-empty list of strings, not {describe(node)}", node.pos, where)
        return ()
    options: list[str] = []
    for index, item in enumerate(node.value):
        if isinstance(item, ScalarNode) and item.value is not None:
            options.append(string(item, problems, f"{where}[{index}]") or "")
        else:
            problems.add(f"an option must be a string, not {describe(item)}", item.pos, where)
    return tuple(options)


def _check_default(
    node: Node,
    kind: str,
    options: tuple[str, ...],
    problems: Problems,
    where: str,
    flavour: str,
) -> None:
    if not isinstance(node, ScalarNode):
        problems.add(f"must be a string, number or boolean, not {describe(node)}", node.pos, where)
        return
    value = node.value
    if value is None or (flavour != "dispatch" and is_expression(value)):
        return
    if kind == "boolean" and not isinstance(value, bool):
        problems.add(
            f'the default of a "boolean" input must be true or false, not {describe(node)}',
            node.pos,
            where,
        )
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        problems.add(
            f'the default of a "number" input must be a number, not {describe(node)}',
            node.pos,
            where,
        )
    elif kind == "choice" and options and node.text not in options:
        shown = ", ".join(options)
        problems.add(f'default "{node.text}" is not one of the options ({shown})', node.pos, where)
