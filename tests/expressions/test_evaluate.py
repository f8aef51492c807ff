"""Evaluation: contexts, access and filters, operators, functions, errors."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runner.expressions import EvalContext, ExpressionError, JSONValue, evaluate, parse
from runner.expressions.functions import from_json, to_json

GITHUB: dict[str, Any] = {
    "event_name": "push",
    "event": {
        "commits": [
            {"author": {"username": "mona"}, "files": ["a", "b"]},
            {"author": {"username": "octocat"}, "files": ["c"]},
            {"message": "no author"},
        ],
        "pull_request": None,
    },
}
CTX = EvalContext(
    contexts={
        "github": GITHUB,
        "env": {"Path": "/bin", "EMPTY": ""},
        "needs": {
            "build": {"result": "success", "outputs": {"v": "1"}},
            "test": {"result": "failure", "outputs": {}},
        },
        "matrix": None,
    },
    job_status="success",
)


def ev(expression: str, ctx: EvalContext = CTX) -> Any:
    return evaluate(expression, ctx)


def test_context_names_and_keys_are_case_insensitive() -> None:
    assert ev("GitHub.Event_Name") == "push"
    assert ev("env.PATH") == "/bin"
    assert ev("env['path']") == "/bin"


def test_exact_key_wins_over_case_insensitive_match() -> None:
    ctx = EvalContext(contexts={"x": {"a": 1, "A": 2}})
    assert ev("x.A", ctx) == 2
    assert ev("x.a", ctx) == 1


def test_unknown_context_is_an_error_with_offset() -> None:
    with pytest.raises(ExpressionError) as info:
        ev("github.x || secrets.token")
    assert info.value.message == "Unrecognized named-value: 'secrets'"
    assert info.value.offset == 12


def test_present_but_null_context_is_fine() -> None:
    assert ev("matrix") is None
    assert ev("matrix.os") is None


def test_missing_properties_and_properties_of_null_are_null() -> None:
    assert ev("github.nope") is None
    assert ev("github.nope.deeper[0]") is None
    assert ev("github.event.pull_request.number") is None
    assert ev("env.Path.length") is None  # strings have no properties


def test_array_indexing() -> None:
    assert ev("github.event.commits[1].author.username") == "octocat"
    assert ev("github.event.commits[3]") is None
    assert ev("github.event.commits[-1]") is None
    assert ev("github.event.commits['1'].author.username") == "octocat"
    assert ev("github.event.commits[true].author.username") == "octocat"  # true is 1
    assert ev("github.event.commits[1.5]") is None
    assert ev("github.event.commits[NaN]") is None
    assert ev("github.event.commits[fromJSON('{}')]") is None


def test_object_index_converts_primitive_keys_to_strings() -> None:
    ctx = EvalContext(contexts={"x": {"1": "one", "true": "yes", "": "empty"}})
    assert ev("x[1]", ctx) == "one"
    assert ev("x[1.0]", ctx) == "one"
    assert ev("x[true]", ctx) == "yes"
    assert ev("x[null]", ctx) == "empty"
    assert ev("x[fromJSON('[]')]", ctx) is None


def test_object_filter_over_array_skips_items_without_the_key() -> None:
    assert ev("github.event.commits.*.author.username") == ["mona", "octocat"]
    assert ev("github.event.commits[*].author.username") == ["mona", "octocat"]


def test_object_filter_over_object_values() -> None:
    assert ev("needs.*.result") == ["success", "failure"]
    assert ev("contains(needs.*.result, 'failure')") is True
    assert ev("needs.*.outputs.v") == ["1"]


def test_chained_filters_flatten_one_level() -> None:
    assert ev("github.event.commits.*.files.*") == ["a", "b", "c"]
    assert ev("needs.*.*") == ["success", {"v": "1"}, "failure", {}]


def test_index_on_a_filter_applies_to_each_item_but_parentheses_end_the_filter() -> None:
    assert ev("github.event.commits.*.files[0]") == ["a", "c"]
    assert ev("(github.event.commits.*.files)[0]") == ["a", "b"]
    assert ev("(github.event.commits.*.author.username)[1]") == "octocat"


def test_filter_over_nothing_is_null() -> None:
    assert ev("github.event.pull_request.labels.*.name") is None
    assert ev("env.Path.*") is None


def test_property_of_a_plain_array_maps_over_its_objects() -> None:
    assert ev('fromJSON(\'[{"a": 1}, {"b": 2}, 3, {"A": 4}]\').a') == [1, 4]


def test_values_returned_are_the_context_objects() -> None:
    assert ev("github.event") is GITHUB["event"]
    assert ev("github.event == github.event") is True
    assert ev("github.event.commits.* == github.event.commits.*") is False


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 && 'x'", "x"),
        ("0 && 'x'", 0),
        ("'' || 'fallback'", "fallback"),
        ("env.EMPTY || 'fallback'", "fallback"),
        ("null || 0", 0),
        ("!0", True),
        ("!fromJSON('[]')", False),
        ("!!'x'", True),
        ("github.event_name == 'push' && 'deploy' || 'skip'", "deploy"),
        ("github.event_name == 'pr' && 'deploy' || 'skip'", "skip"),
    ],
)
def test_logical_operators_return_operands(expression: str, expected: Any) -> None:
    result = ev(expression)
    assert result == expected
    assert type(result) is type(expected)


def test_logical_operators_short_circuit() -> None:
    # The right side would fail (unknown context), but is never evaluated.
    assert ev("false && nope.x") is False
    assert ev("true || nope.x") is True
    with pytest.raises(ExpressionError, match="nope"):
        ev("true && nope.x")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("contains('Hello World', 'WORLD')", True),
        ("contains(github.event.commits.*.author.username, 'MONA')", True),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("contains(github.event, 'x')", False),
        ("contains('abc', fromJSON('[]'))", False),
        ("startsWith('Hello', 'he')", True),
        ("startsWith(fromJSON('[]'), '')", False),
        ("endsWith('Hello', 'LO')", True),
        ("endsWith(12345, 45)", True),
        ("join(github.event.commits.*.author.username)", "mona,octocat"),
        ("join(github.event.commits.*.author.username, ' + ')", "mona + octocat"),
        ("join(fromJSON('[1, true, null, 2.5]'), fromJSON('{}'))", "1,true,,2.5"),
        ("join(fromJSON('[]'), '-')", ""),
        ("join(github.event, '-')", ""),
        ("join('solo', '-')", "solo"),
        ("format('{0}{1}{0}', 'a', 'b')", "aba"),
        ("format('{{}}')", "{}"),
        ("format('{0:}', 'x')", "x"),
        ("format('{1}', fromJSON('bad json'), 'lazy')", "lazy"),
        ("fromJSON('1.0')", 1),
        ("fromJSON('\"text\"')", "text"),
        ("fromJSON('null')", None),
        ("fromJSON(' [true] ')", [True]),
        ("toJSON('a\"b')", '"a\\"b"'),
        ("toJSON(1.0)", "1"),
        ("toJSON(fromJSON('[]'))", "[]"),
        ("toJSON(needs.test)", '{\n  "result": "failure",\n  "outputs": {}\n}'),
        ("case(true, 'a', 'b')", "a"),
        ("case(false, 'a', 1 == 1, 'b', 'c')", "b"),
        ("case(false, 'a', false, 'b', 'c')", "c"),
        ("case(true, 'a', nope.x)", "a"),  # only the chosen branch is evaluated
    ],
)
def test_functions(expression: str, expected: Any) -> None:
    result = ev(expression)
    assert result == expected
    assert type(result) is type(expected)


def test_to_json_is_pretty_and_prints_numbers_like_github() -> None:
    value: JSONValue = {"a": [1, 2.5, 1e20, None, True], "b": {"c": "\u2028\n"}, "e": []}
    assert to_json(value) == (
        "{\n"
        '  "a": [\n'
        "    1,\n"
        "    2.5,\n"
        "    1E+20,\n"
        "    null,\n"
        "    true\n"
        "  ],\n"
        '  "b": {\n'
        '    "c": "\\u2028\\n"\n'
        "  },\n"
        '  "e": []\n'
        "}"
    )


def test_from_json_numbers() -> None:
    assert from_json("[1, 1.5, 1e400, 123456789012345678901234567890]") == [
        1,
        1.5,
        math.inf,
        1.2345678901234568e29,
    ]


def test_from_json_rejects_deep_nesting_cleanly() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        from_json("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("fromJSON('{')", "fromJSON: invalid JSON"),
        ("fromJSON('')", "fromJSON: invalid JSON"),
        ("format('{0}}', 1)", "Closing bracket without opening one."),
        ("format('{0', 1)", "Unclosed brackets."),
        ("format('{x}', 1)", "The following format string is invalid: '{x}'"),
        ("format('{}', 1)", "The following format string is invalid: '{}'"),
        ("format('{256}', 1)", "The following format string is invalid"),
        ("format('{1}', 1)", "references more arguments than were supplied"),
        (
            "format('{0:yyyy}', 1)",
            "The format specifiers 'yyyy' are not valid for objects of type 'Number'",
        ),
        ("case(true, 1, false, 2)", "case requires an odd number of arguments"),
        ("case(1, 'a', 'b')", "case predicate must evaluate to a boolean value"),
        ("success()", "success() is not available here"),
        ("hashFiles('*')", "hashFiles() is not available here"),
    ],
)
def test_evaluation_errors(expression: str, message: str) -> None:
    ctx = EvalContext(contexts={})
    with pytest.raises(ExpressionError) as info:
        evaluate("1 && " + expression, ctx)
    assert message in info.value.message
    assert info.value.expression == "1 && " + expression
    assert info.value.offset == 5  # the call


def test_status_functions_follow_job_status() -> None:
    for status in ("success", "failure", "cancelled"):
        ctx = EvalContext(contexts={}, job_status=status)
        assert evaluate("success()", ctx) is (status == "success")
        assert evaluate("failure()", ctx) is (status == "failure")
        assert evaluate("cancelled()", ctx) is (status == "cancelled")
        assert evaluate("always()", ctx) is True
    assert evaluate("always()", EvalContext(contexts={})) is True


def test_evaluate_accepts_a_parsed_tree() -> None:
    tree = parse("env.Path")
    assert evaluate(tree, CTX) == "/bin"
    assert evaluate(tree.body, CTX) == "/bin"


def test_deeply_nested_values_fail_cleanly() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ExpressionError, match="nested too deeply"):
        evaluate("toJSON(x)", EvalContext(contexts={"x": deep}))
