"""The ``${{ }}`` expression language of GitHub Actions. Pure: no trio, no I/O but hashFiles().

    parse(text) -> Expression           syntax only, cached
    evaluate(text | tree, ctx)          a JSON value
    evaluate_condition(text, ctx)       ``if:`` semantics, implicit success()
    interpolate(template, ctx)          a string with ``${{ }}`` parts
    interpolate_tree(value, ctx)        every ``${{ }}`` in a YAML value (keys, insert)
    find_expressions / contains_expression / named_values / to_string / truthy

Every problem with an expression raises runner.errors.ExpressionError.
"""

from __future__ import annotations

from runner.errors import ExpressionError
from runner.expressions.condition import evaluate_condition
from runner.expressions.context import EvalContext
from runner.expressions.evaluate import evaluate
from runner.expressions.nodes import Expression, Node
from runner.expressions.parser import parse
from runner.expressions.template import (
    contains_expression,
    find_expressions,
    interpolate,
    interpolate_tree,
    named_values,
)
from runner.expressions.values import JSONValue, to_string, truthy

__all__ = [
    "EvalContext",
    "Expression",
    "ExpressionError",
    "JSONValue",
    "Node",
    "contains_expression",
    "evaluate",
    "evaluate_condition",
    "find_expressions",
    "interpolate",
    "interpolate_tree",
    "named_values",
    "parse",
    "to_string",
    "truthy",
]
