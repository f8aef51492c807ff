"""Load-time check of every `${{ }}` in a definition file: its syntax, and in a
workflow the names it reads.

The expression language lives in runner.expressions; this module asks it to
find and parse expressions and turns an ExpressionError into a problem at the
place in the file where the bad character is. In a workflow, each named value
and special function is also checked against where it is written (see
availability.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.errors import ExpressionError
from runner.expressions import find_expressions, parse
from runner.expressions.nodes import Call, ContextRef, walk
from runner.expressions.nodes import Node as ExpressionNode
from runner.model.availability import (
    CONTEXTS,
    SPECIAL_FUNCTIONS,
    TABLE,
    place_of,
    unavailable_function_message,
    unavailable_name_message,
    unknown_name_message,
)
from runner.model.validate import join
from runner.model.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.errors import SourcePos
    from runner.model.validate import Problems


@dataclass(frozen=True, slots=True, kw_only=True)
class _Names:
    """Check named values here: `place` is the availability table's key (None: only
    that each name is a context)."""

    place: str | None


def check_expressions(root: Node, problems: Problems, *, workflow: bool = False) -> None:
    """Check every `${{ }}` in string values under `root` (each node once): its syntax,
    and in a `workflow` the named values and special functions it uses."""
    seen: set[int] = set()
    todo: list[tuple[Node, str, tuple[str | int, ...]]] = [(root, "", ())]
    while todo:
        node, where, path = todo.pop()
        if id(node) in seen:
            continue  # an alias: already checked where its anchor was
        seen.add(id(node))
        names = _Names(place=place_of(path)) if workflow else None
        if isinstance(node, MappingNode):
            for key in node.value:
                if workflow and "${{" in key and not _INSERT.fullmatch(key.strip()):
                    _check_key(node, key, problems, join(where, key), names)
            todo.extend(
                (child, join(where, key), (*path, key))
                for key, child in reversed(list(node.value.items()))
            )
        elif isinstance(node, SequenceNode):
            todo.extend(
                (child, f"{where}[{i}]", (*path, i))
                for i, child in reversed(list(enumerate(node.value)))
            )
        elif isinstance(node, ScalarNode) and isinstance(node.value, str):
            if "${{" in node.value:
                _check_template(node, node.value, problems, where, names)
            elif names is not None and names.place in _CONDITIONS and path[-1] == "if":
                _check_bare_condition(node, node.value, problems, where, names)


def check_condition(node: Node, problems: Problems, where: str) -> None:
    """Syntax-check an `if:` written without `${{ }}` (the whole value is an expression)."""
    if not isinstance(node, ScalarNode):
        return
    text = node.value
    if not isinstance(text, str) or "${{" in text or not text.strip():
        return
    _parse(node, text, 0, problems, where)


_INSERT = re.compile(r"\$\{\{\s*insert\s*\}\}")
_CONDITIONS = ("jobs.<job_id>.if", "jobs.<job_id>.steps.if")


def _check_template(
    node: ScalarNode,
    text: str,
    problems: Problems,
    where: str,
    names: _Names | None,
) -> None:
    try:
        found = find_expressions(text)
    except ExpressionError as exc:
        at = node.pos_at(exc.offset) if exc.offset is not None else node.pos
        problems.add(f"invalid expression: {exc.message}", at, where)
        return
    for expression, offset in found:
        # The offset may point at the "${{" or at the expression itself: find
        # the expression text from there so columns come out right either way.
        start = text.find(expression, offset) if expression else -1
        start = start if start >= 0 else offset
        tree = _parse(node, expression, start, problems, where)
        if tree is not None and names is not None:
            _check_names(tree, node.pos_at, start, problems, where, names)


def _check_bare_condition(
    node: ScalarNode,
    text: str,
    problems: Problems,
    where: str,
    names: _Names,
) -> None:
    if not text.strip():
        return
    try:
        tree = parse(text)
    except ExpressionError:
        return  # check_condition reports it
    _check_names(tree, node.pos_at, 0, problems, where, names)


def _check_key(
    mapping: MappingNode,
    key: str,
    problems: Problems,
    where: str,
    names: _Names | None,
) -> None:
    """A mapping key holding `${{ }}` (a matrix key, say): plain keys are on one line."""
    pos = mapping.pos_of_key(key)
    node = ScalarNode(pos=pos, value=key, text=key, verbatim=True)
    _check_template(node, key, problems, where, names)


def _check_names(
    tree: ExpressionNode,
    pos_at: Callable[[int], SourcePos],
    start: int,
    problems: Problems,
    where: str,
    names: _Names,
) -> None:
    place = names.place
    for found in walk(tree):
        if isinstance(found, ContextRef):
            name = found.name.lower()
            if name not in CONTEXTS:
                problems.add(unknown_name_message(found.name), pos_at(start + found.offset), where)
            elif place is not None and name not in TABLE[place].contexts:
                problems.add(
                    unavailable_name_message(found.name, place), pos_at(start + found.offset), where
                )
        elif (
            isinstance(found, Call)
            and place is not None
            and found.name in SPECIAL_FUNCTIONS
            and found.name not in TABLE[place].functions
        ):
            problems.add(
                unavailable_function_message(found.spelled, place),
                pos_at(start + found.offset),
                where,
            )


def _parse(
    node: ScalarNode,
    expression: str,
    start: int,
    problems: Problems,
    where: str,
) -> ExpressionNode | None:
    try:
        return parse(expression)
    except ExpressionError as exc:
        at = node.pos_at(start + exc.offset) if exc.offset is not None else node.pos_at(start)
        shown = " ".join(expression.split())
        problems.add(f'invalid expression "{shown}": {exc.message}', at, where)
        return None
