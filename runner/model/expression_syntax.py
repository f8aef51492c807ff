"""Load-time syntax check of every `${{ }}` in a definition file.

The expression language lives in runner.expressions; this module only asks it
to find and parse expressions and turns an ExpressionError into a problem at
the place in the file where the bad character is. It imports the language
lazily and skips the check when the package does not (yet) offer
`find_expressions` and `parse`, so the model works on its own.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.errors import ExpressionError
from runner.model.validate import join
from runner.model.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.model.validate import Problems


@dataclass(frozen=True, slots=True, kw_only=True)
class _Language:
    find_expressions: Callable[[str], list[tuple[str, int]]]
    parse: Callable[[str], object]


@functools.cache
def _language() -> _Language | None:
    try:
        module = importlib.import_module("runner.expressions")
    except ImportError:
        return None
    find = getattr(module, "find_expressions", None)
    parse = getattr(module, "parse", None)
    if not callable(find) or not callable(parse):
        return None
    return _Language(find_expressions=find, parse=parse)


def check_expressions(root: Node, problems: Problems) -> None:
    """Syntax-check every `${{ }}` in string values under `root` (each node once)."""
    language = _language()
    if language is None:
        return
    seen: set[int] = set()
    todo: list[tuple[Node, str]] = [(root, "")]
    while todo:
        node, where = todo.pop()
        if id(node) in seen:
            continue  # an alias: already checked where its anchor was
        seen.add(id(node))
        if isinstance(node, MappingNode):
            todo.extend(
                (child, join(where, key)) for key, child in reversed(list(node.value.items()))
            )
        elif isinstance(node, SequenceNode):
            todo.extend(
                (child, f"{where}[{i}]") for i, child in reversed(list(enumerate(node.value)))
            )
        elif isinstance(node, ScalarNode) and isinstance(node.value, str) and "${{" in node.value:
            _check_template(language, node, node.value, problems, where)


def check_condition(node: Node, problems: Problems, where: str) -> None:
    """Syntax-check an `if:` written without `${{ }}` (the whole value is an expression)."""
    language = _language()
    if language is None or not isinstance(node, ScalarNode):
        return
    text = node.value
    if not isinstance(text, str) or "${{" in text or not text.strip():
        return
    _parse(language, node, text, 0, problems, where)


def _check_template(
    language: _Language, node: ScalarNode, text: str, problems: Problems, where: str
) -> None:
    try:
        found = language.find_expressions(text)
    except ExpressionError as exc:
        at = node.pos_at(exc.offset) if exc.offset is not None else node.pos
        problems.add(f"invalid expression: {exc.message}", at, where)
        return
    for expression, offset in found:
        # The offset may point at the "${{" or at the expression itself: find
        # the expression text from there so columns come out right either way.
        start = text.find(expression, offset) if expression else -1
        _parse(language, node, expression, start if start >= 0 else offset, problems, where)


def _parse(
    language: _Language,
    node: ScalarNode,
    expression: str,
    start: int,
    problems: Problems,
    where: str,
) -> None:
    try:
        language.parse(expression)
    except ExpressionError as exc:
        at = node.pos_at(start + exc.offset) if exc.offset is not None else node.pos_at(start)
        shown = " ".join(expression.split())
        problems.add(f'invalid expression "{shown}": {exc.message}', at, where)
