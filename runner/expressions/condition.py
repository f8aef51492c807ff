"""``if:`` conditions: GitHub's implicit ``success() &&``."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from runner.expressions.evaluate import evaluate
from runner.expressions.nodes import And, Call, Expression, Group, calls_status_function
from runner.expressions.template import condition_expression
from runner.expressions.values import truthy

if TYPE_CHECKING:
    from runner.expressions.context import EvalContext


@functools.lru_cache(maxsize=2048)
def _compile(condition: str) -> Expression:
    text = condition.strip()
    if not text:
        text = "success()"
    expression = condition_expression(text)
    if calls_status_function(expression):
        return expression
    # No status function anywhere: the step or job runs only if all went well so far.
    implicit = Call(offset=0, name="success", spelled="success", args=())
    body = And(offset=0, operands=(implicit, Group(offset=0, inner=expression.body)))
    return Expression(text=expression.text, body=body)


def evaluate_condition(condition: str, ctx: EvalContext) -> bool:
    """Whether an ``if:`` condition holds.

    The text may be bare or wrapped in ``${{ }}``. When it calls none of
    success(), failure(), cancelled() and always(), it is evaluated as
    ``success() && (condition)``; an empty condition is ``success()``. Raises
    ExpressionError for bad syntax or evaluation errors.
    """
    return truthy(evaluate(_compile(condition), ctx))
