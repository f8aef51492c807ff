"""The checks every definition file shares, and the collector of what they find.

Parsers never stop at the first problem: they record it in a `Problems` and
carry on with what they can, so a user fixes a file in one round. Each check
returns the value it could make sense of (or None) and says, when it records a
problem, what was written and what is allowed instead.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from runner.errors import WorkflowError, WorkflowErrors
from runner.model.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from collections.abc import Iterable

    from runner.errors import SourcePos
    from runner.expressions.values import JSONValue

ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class Problems:
    """Every WorkflowError found in one pass over a file."""

    __slots__ = ("_seen", "errors")

    def __init__(self) -> None:
        self.errors: list[WorkflowError] = []
        self._seen: set[tuple[SourcePos | None, str, str]] = set()

    def add(self, message: str, pos: SourcePos, where: str = "") -> None:
        # An aliased node is checked once per place it is used: report it once.
        key = (pos, where, message)
        if key not in self._seen:
            self._seen.add(key)
            self.errors.append(WorkflowError(message, pos=pos, where=where))

    def raise_if_any(self) -> None:
        if self.errors:
            raise WorkflowErrors(self.errors)


def join(where: str, key: str) -> str:
    """The dotted path of `key` under `where`."""
    return f"{where}.{key}" if where else key


def describe(node: Node) -> str:
    """What kind of value `node` is, for messages ("a list", "null", ...)."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    assert isinstance(node, ScalarNode)
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def is_expression(value: object) -> bool:
    """Whether `value` is a string that is wholly one `${{ }}` expression."""
    if not isinstance(value, str):
        return False
    stripped = value.strip()
    return stripped.startswith("${{") and stripped.endswith("}}")


def check_keys(node: MappingNode, allowed: Iterable[str], problems: Problems, where: str) -> None:
    """Record every key of `node` that is not in `allowed`, naming what is."""
    allowed = tuple(allowed)
    for key in node.value:
        if key in allowed:
            continue
        import difflib  # only for a mistake: not on every start-up

        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        problems.add(
            f'unknown key "{key}"{hint}; allowed keys are: {", ".join(allowed)}',
            node.pos_of_key(key),
            join(where, key),
        )


def require_keys(
    node: MappingNode, required: Iterable[str], problems: Problems, where: str, at: SourcePos
) -> None:
    for key in required:
        if key not in node:
            problems.add(f'missing required key "{key}"', at, where)


def mapping(node: Node, problems: Problems, where: str, what: str = "") -> MappingNode | None:
    """`node` if it is a mapping; else a problem and None."""
    if isinstance(node, MappingNode):
        return node
    problems.add(f"{what or 'must be'} a mapping, not {describe(node)}", node.pos, where)
    return None


def mapping_or_empty(node: Node | None, problems: Problems, where: str) -> MappingNode | None:
    """Like `mapping`, but an absent or null value is fine (and None)."""
    if node is None or (isinstance(node, ScalarNode) and node.value is None):
        return None
    return mapping(node, problems, where)


def string(node: Node, problems: Problems, where: str) -> str | None:
    """A scalar as a string (numbers and booleans as written); None for null or a collection."""
    if isinstance(node, ScalarNode):
        if node.value is None:
            return None
        return node.value if isinstance(node.value, str) else node.text
    problems.add(f"must be a string, not {describe(node)}", node.pos, where)
    return None


def nonempty_string(node: Node, problems: Problems, where: str) -> str | None:
    if isinstance(node, ScalarNode) and node.value is None:
        problems.add("must be a non-empty string, not null", node.pos, where)
        return None
    text = string(node, problems, where)
    if text is not None and not text.strip():
        problems.add("must be a non-empty string", node.pos, where)
        return None
    return text


def string_list(node: Node, problems: Problems, where: str) -> tuple[str, ...]:
    """A string or a list of strings, as a tuple."""
    if isinstance(node, SequenceNode):
        found: list[str] = []
        for index, item in enumerate(node.value):
            if isinstance(item, ScalarNode) and item.value is not None:
                found.append(string(item, problems, f"{where}[{index}]") or "")
            else:
                problems.add(
                    f"must be a list of strings, but item {index} is {describe(item)}",
                    item.pos,
                    where,
                )
        return tuple(found)
    if isinstance(node, ScalarNode) and node.value is not None:
        return (string(node, problems, where) or "",)
    problems.add(f"must be a string or a list of strings, not {describe(node)}", node.pos, where)
    return ()


def condition(node: Node, problems: Problems, where: str) -> str | None:
    """An `if:` value: a string, or a boolean or number written as such (`if: false`)."""
    if isinstance(node, ScalarNode):
        if node.value is None:
            return None
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        return node.value if isinstance(node.value, str) else node.text
    problems.add(f"must be a string (a condition), not {describe(node)}", node.pos, where)
    return None


def boolean(node: Node, problems: Problems, where: str) -> bool | None:
    if isinstance(node, ScalarNode) and isinstance(node.value, bool):
        return node.value
    problems.add(f"must be true or false, not {describe(node)}{_shown(node)}", node.pos, where)
    return None


def bool_or_expression(node: Node, problems: Problems, where: str) -> JSONValue:
    """A boolean or a `${{ }}` expression string, kept raw."""
    if isinstance(node, ScalarNode) and (isinstance(node.value, bool) or is_expression(node.value)):
        return node.value
    problems.add(
        f"must be true, false or an expression, not {describe(node)}{_shown(node)}",
        node.pos,
        where,
    )
    return None


def number_or_expression(
    node: Node, problems: Problems, where: str, *, positive: bool = False, integer: bool = False
) -> JSONValue:
    """A number (optionally a positive or whole one) or a `${{ }}` expression, kept raw."""
    value = node.value if isinstance(node, ScalarNode) else None
    if is_expression(value):
        return value
    kind = "a positive " if positive else "a "
    kind += "whole number" if integer else "number"
    if isinstance(value, int | float) and not isinstance(value, bool):
        ok = math.isfinite(value) and (not integer or float(value).is_integer())
        if ok and (not positive or value > 0):
            return value
    problems.add(
        f"must be {kind} or an expression, not {describe(node)}{_shown(node)}", node.pos, where
    )
    return None


def check_id(name: str, pos: SourcePos, problems: Problems, where: str, what: str) -> bool:
    """Record a problem unless `name` is a valid job, step or input id."""
    if ID_PATTERN.fullmatch(name):
        return True
    problems.add(
        f'invalid {what} "{name}": it must start with a letter or "_" and contain only '
        'letters, digits, "-" and "_"',
        pos,
        where,
    )
    return False


def env_mapping(node: Node, problems: Problems, where: str) -> dict[str, JSONValue]:
    """An `env:` mapping: names to strings. Numbers and booleans become strings as GitHub does."""
    found = mapping(node, problems, where)
    if found is None:
        return {}
    env: dict[str, JSONValue] = {}
    for name, value in found.items():
        if isinstance(value, ScalarNode):
            env[name] = "" if value.value is None else scalar_text(value.value)
        else:
            problems.add(
                f"must be a string, number or boolean, not {describe(value)}",
                value.pos,
                join(where, name),
            )
    return env


def scalar_text(value: JSONValue) -> str:
    """A scalar as GitHub's expressions turn it into a string (true, 1, 1.5, Infinity)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _shown(node: Node) -> str:
    if isinstance(node, ScalarNode) and node.value is not None:
        return f' "{node.text}"' if isinstance(node.value, str) else f" ({node.text})"
    return ""
