"""Properties: no input makes the package raise anything but ExpressionError; it stays pure."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.expressions import (
    EvalContext,
    ExpressionError,
    evaluate,
    evaluate_condition,
    find_expressions,
    interpolate,
    parse,
    to_string,
    truthy,
)

CTX = EvalContext(
    contexts={
        "github": {"event": {"commits": [{"id": 1}, {"id": 2.5}], "n": None}, "ref": "main"},
        "env": {"A": "1", "B": ""},
        "needs": {},
    },
    job_status="success",
)

# Fragments that are likely to combine into interesting (valid or nearly valid) input.
FRAGMENTS = [
    *"()[].,*!<>=&|' \t\n-+_$\"{}#?",
    *"0123456789abcxyzeE",
    "${{",
    "}}",
    "'{0}'",
    "'{{'",
    "''",
    "null",
    "true",
    "false",
    "NaN",
    "Infinity",
    "0x",
    "0o",
    "1e",
    "github",
    "env",
    "needs",
    "event.commits",
    ".*",
    "[*]",
    "fromJSON(",
    "toJSON(",
    "format(",
    "contains(",
    "startsWith(",
    "join(",
    "case(",
    "success()",
    "always()",
    "hashFiles(",
    "==",
    "!=",
    "&&",
    "||",
    "<=",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)
any_text = st.one_of(st.text(max_size=60), fragment_text)

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(any_text)
def test_parse_raises_only_expression_error(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as exc:
        offset = exc.offset
    else:
        return
    assert offset is None or 0 <= offset <= len(text)


@SETTINGS
@given(any_text)
def test_evaluate_raises_only_expression_error(text: str) -> None:
    try:
        value = evaluate(text, CTX)
    except ExpressionError:
        return
    # Whatever came out can be printed and tested like any value.
    assert isinstance(to_string(value), str)
    truthy(value)


@SETTINGS
@given(any_text)
def test_templates_and_conditions_raise_only_expression_error(text: str) -> None:
    for operation in (
        lambda: find_expressions(text),
        lambda: interpolate(text, CTX),
        lambda: evaluate_condition(text, CTX),
    ):
        with contextlib.suppress(ExpressionError):
            operation()


@SETTINGS
@given(st.text(max_size=40))
def test_string_literals_round_trip(text: str) -> None:
    literal = "'" + text.replace("'", "''") + "'"
    assert evaluate(literal, CTX) == text
    assert interpolate("${{ " + literal + " }}", CTX) == text


# toJSON prints numbers with 15 significant digits, like GitHub, so only
# integers below 10**15 survive a round trip exactly.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15) + 1, 10**15 - 1) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(json_values)
def test_to_json_from_json_round_trip(value: object) -> None:
    ctx = EvalContext(contexts={"v": value})  # type: ignore[dict-item]
    assert evaluate("fromJSON(toJSON(v))", ctx) == value


def test_importing_the_package_does_not_import_trio() -> None:
    code = (
        "import sys, runner.expressions as e; "
        "e.evaluate('1', e.EvalContext(contexts={})); "
        "sys.exit(1 if 'trio' in sys.modules else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
