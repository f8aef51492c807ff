"""Evaluate a parsed expression against an EvalContext.

Evaluation is pure apart from hashFiles(), which reads files. ``&&`` and
``||`` short-circuit and yield one of their operands, not a boolean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.errors import ExpressionError
from runner.expressions.access import get_index, get_property, get_wildcard
from runner.expressions.functions import FUNCTIONS
from runner.expressions.nodes import (
    And,
    Call,
    Compare,
    Constant,
    ContextRef,
    Expression,
    Group,
    Index,
    Node,
    Not,
    Or,
    Property,
    Wildcard,
)
from runner.expressions.parser import parse
from runner.expressions.values import JSONValue, compare, loose_equal, truthy

if TYPE_CHECKING:
    from runner.expressions.context import EvalContext


def evaluate(expression: str | Node, ctx: EvalContext) -> JSONValue:
    """The value of ``expression`` (text without ``${{ }}``, or a parsed tree) in ``ctx``.

    Raises ExpressionError, carrying the expression text and the offset of the
    failing part, for a syntax error, an unknown context name or a function
    that rejects its input.
    """
    root = parse(expression) if isinstance(expression, str) else expression
    text = root.text if isinstance(root, Expression) else ""
    try:
        return _Evaluator(text, ctx).value(root)
    except RecursionError:  # a value nested absurdly deep; trees themselves are bounded
        raise ExpressionError("Expression nested too deeply", expression=text) from None


class _Arguments:
    """A call's arguments, each evaluated on first access and then remembered."""

    __slots__ = ("_cache", "_evaluator", "_nodes")

    def __init__(self, evaluator: _Evaluator, nodes: tuple[Node, ...]) -> None:
        self._evaluator = evaluator
        self._nodes = nodes
        self._cache: dict[int, JSONValue] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def __getitem__(self, index: int) -> JSONValue:
        if index not in self._cache:
            self._cache[index] = self._evaluator.value(self._nodes[index])
        return self._cache[index]


class _Evaluator:
    __slots__ = ("ctx", "text")

    def __init__(self, text: str, ctx: EvalContext) -> None:
        self.text = text
        self.ctx = ctx

    def value(self, node: Node) -> JSONValue:
        match node:
            case Constant(value=value):
                return value
            case Property() | Index() | Wildcard():
                return self.access(node)[0]
            case ContextRef(name=name, offset=offset):
                found, value = self.ctx.lookup(name)
                if not found:
                    raise ExpressionError(
                        f"Unrecognized named-value: '{name}'", expression=self.text, offset=offset
                    )
                return value
            case Compare(op=op, left=left, right=right):
                return _compare(op, self.value(left), self.value(right))
            case And(operands=operands):
                for operand in operands[:-1]:
                    result = self.value(operand)
                    if not truthy(result):
                        return result
                return self.value(operands[-1])
            case Or(operands=operands):
                for operand in operands[:-1]:
                    result = self.value(operand)
                    if truthy(result):
                        return result
                return self.value(operands[-1])
            case Not(operand=operand):
                return not truthy(self.value(operand))
            case Call():
                return self.call(node)
            case Group(inner=inner) | Expression(body=inner):
                return self.value(inner)

    def access(self, node: Node) -> tuple[JSONValue, bool]:
        """(value, filtered) of a node; see access.py for what ``filtered`` means."""
        match node:
            case Property(target=target, name=name):
                return get_property(self.access(target)[0], name)
            case Index(target=target, index=index):
                base, filtered = self.access(target)
                return get_index(base, self.value(index), filtered)
            case Wildcard(target=target):
                return get_wildcard(*self.access(target))
            case _:
                return self.value(node), False

    def call(self, node: Call) -> JSONValue:
        spec = FUNCTIONS[node.name]
        try:
            return spec.call(_Arguments(self, node.args), self.ctx)
        except ExpressionError as exc:
            if exc.expression:
                raise
            raise ExpressionError(exc.message, expression=self.text, offset=node.offset) from None


def _compare(op: str, left: JSONValue, right: JSONValue) -> bool:
    if op == "==":
        return loose_equal(left, right)
    if op == "!=":
        return not loose_equal(left, right)
    order = compare(left, right)
    if op == "<":
        return order is not None and order < 0
    if op == ">":
        return order is not None and order > 0
    # GitHub defines <= and >= as "equal, or less/greater": objects equal themselves.
    if op == "<=":
        return loose_equal(left, right) or (order is not None and order < 0)
    return loose_equal(left, right) or (order is not None and order > 0)
