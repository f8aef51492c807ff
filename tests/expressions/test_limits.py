"""What an expression may build is bounded, and checked as it is built: a bomb fails
with an ExpressionError at the bound instead of asking for the memory (40 nested
`format('{0}{0}', ...)` once grew toward 2**40 characters and killed the daemon)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from runner.expressions import EvalContext, ExpressionError, evaluate, interpolate
from runner.expressions.limits import MAX_RESULT_CHARS

CTX = EvalContext(
    contexts={"env": {"BIG": "y" * (MAX_RESULT_CHARS // 2 + 1), "CTRL": "\x01" * 200_000}}
)


def nested_format(depth: int) -> str:
    expression = "'x'"
    for _ in range(depth):
        expression = f"format('{{0}}{{0}}', {expression})"
    return expression


# Finite bombs (64 MiB at most, were nothing to stop them), so that this test fails
# safely without the bound; tests/chaos/test_hostile_steps.py sends the real one.
BOMBS = {
    "format": nested_format(26),
    "format-template": "format(format('{0}{0}{0}{0}', format('{{0}}', 'a')), env.BIG)",
    "join": "join(fromJSON('[1,2,3]'), env.BIG)",
    "toJSON": "toJSON(env.CTRL)",  # each character escaped as \\u0001
    "fromJSON": "fromJSON(format('\"{0}{0}{0}\"', env.BIG))",
    "nested toJSON": ("toJSON(fromJSON('" + "[" * 400 + ",".join(["1"] * 2000) + "]" * 400 + "'))"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_bomb_fails_at_the_bound_without_the_memory(name: str) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ExpressionError, match="the most an expression may build"):
            evaluate(BOMBS[name], CTX)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * MAX_RESULT_CHARS
    assert time.monotonic() - started < 5


def test_a_template_splicing_too_much_fails() -> None:
    with pytest.raises(ExpressionError, match="the template: the result would be longer"):
        interpolate("${{ env.BIG }} and ${{ env.BIG }}", CTX)


def test_up_to_the_bound_is_fine() -> None:
    assert len(evaluate(nested_format(20), CTX)) == 2**20 == MAX_RESULT_CHARS
    assert len(evaluate("join(fromJSON('[1]'), env.BIG)", CTX)) == 1
    assert interpolate("${{ env.BIG }}", CTX) == CTX.contexts["env"]["BIG"]  # type: ignore[index]
