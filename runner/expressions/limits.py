"""How much an expression may build.

A few functions make values bigger than what they were given: `format('{0}{0}', x)`
doubles x, so forty of them nested (720 characters of workflow) would build 2**40
characters; `join` repeats its separator, `toJSON` indents every level. Each of them
counts what it builds as it builds it and stops with an ExpressionError once the result
would pass MAX_RESULT_CHARS, so the memory is never asked for. The same bound holds for
a template's spliced text and for the text fromJSON parses (its arrays and objects are
then smaller than that text).

GitHub bounds an evaluation by memory (1 MB, at 2 bytes a character); stax bounds each
result by characters, at one mebi-character.
"""

from __future__ import annotations

from runner.errors import ExpressionError

MAX_RESULT_CHARS = 1 << 20


def check_size(size: int, what: str) -> None:
    """Raise ExpressionError if `size` characters are more than `what` may build."""
    if size > MAX_RESULT_CHARS:
        raise ExpressionError(
            f"{what}: the result would be longer than {MAX_RESULT_CHARS:,} characters, "
            "the most an expression may build"
        )
