"""Coercions: truthiness, to_string number formatting, loose equality, ordering."""

from __future__ import annotations

import math

import pytest

from runner.expressions import EvalContext, evaluate, to_string, truthy
from runner.expressions.values import (
    JSONValue,
    compare,
    fold,
    loose_equal,
    normalize_number,
    parse_number,
    to_number,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (True, True),
        (0, False),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        (-1, True),
        (0.5, True),
        (math.inf, True),
        ("", False),
        ("0", True),
        ("false", True),
        ([], True),
        ({}, True),
    ],
)
def test_truthy(value: JSONValue, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (1, "1"),
        (1.0, "1"),
        (-3.14, "-3.14"),
        (1.1, "1.1"),
        (0.1 + 0.2, "0.3"),  # 15 significant digits, like GitHub
        (1234567890.0, "1234567890"),
        (123456789012345, "123456789012345"),
        (10**15, "1E+15"),
        (12345678901234567890.0, "1.23456789012346E+19"),
        (12345678901234567890, "1.23456789012346E+19"),
        (1e-5, "1E-05"),
        (0.0001, "0.0001"),
        (1.5e300, "1.5E+300"),
        (10**400, "Infinity"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        ("text", "text"),
        ([1, 2], "Array"),
        ({"a": 1}, "Object"),
    ],
)
def test_to_string(value: JSONValue, text: str) -> None:
    assert to_string(value) == text


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("", 0.0),
        ("   ", 0.0),
        (" 42 ", 42.0),
        ("-1.5e2", -150.0),
        (".5", 0.5),
        ("0x1F", 31.0),
        ("0o10", 8.0),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("1e999", math.inf),
    ],
)
def test_parse_number(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "text", ["abc", "1a", "0x", "0X1", "0xfffffffff", "--1", "\u0661", "true", "NaN"]
)
def test_parse_number_nan(text: str) -> None:
    assert math.isnan(parse_number(text))


@pytest.mark.parametrize(
    ("value", "number"),
    [(None, 0.0), (True, 1.0), (False, 0.0), (7, 7.0), ("3", 3.0), ("", 0.0)],
)
def test_to_number(value: JSONValue, number: float) -> None:
    assert to_number(value) == number


@pytest.mark.parametrize("value", ["x", [], {}, [1], math.nan])
def test_to_number_nan(value: JSONValue) -> None:
    assert math.isnan(to_number(value))


def test_normalize_number() -> None:
    assert type(normalize_number(2.0)) is int
    assert type(normalize_number(2.5)) is float
    assert type(normalize_number(2.0**60)) is float
    assert math.copysign(1, normalize_number(-0.0)) == -1


_OBJ: dict[str, JSONValue] = {}
_ARR: list[JSONValue] = []

# GitHub's equality table: (left, right, equal?)
EQUALITY: list[tuple[JSONValue, JSONValue, bool]] = [
    (None, None, True),
    (None, 0, True),
    (None, "", True),
    (None, False, True),
    (None, "null", False),
    (True, 1, True),
    (True, "1", True),
    (True, "true", False),  # "true" is NaN as a number
    (False, 0, True),
    (False, "", True),
    ("3", 3, True),
    ("3.0", 3, True),
    (" 3 ", 3, True),
    ("0x10", 16, True),
    ("abc", "ABC", True),
    ("abc", "abd", False),
    (1, 1.0, True),
    (math.nan, math.nan, False),
    (_OBJ, _OBJ, True),
    ({}, {}, False),
    (_ARR, _ARR, True),
    ([], [], False),
    ([], 0, False),
    ({}, None, False),
    ([], "", False),
]


@pytest.mark.parametrize(("left", "right", "equal"), EQUALITY)
def test_loose_equality_both_ways(left: JSONValue, right: JSONValue, equal: bool) -> None:
    assert loose_equal(left, right) is equal
    assert loose_equal(right, left) is equal


@pytest.mark.parametrize(
    ("left", "right", "order"),
    [
        (1, 2, -1),
        (2, 2, 0),
        ("b", "A", 1),
        ("abc", "ABC", 0),
        (True, False, 1),
        ("10", 9, 1),  # string coerced to a number
        (None, 1, -1),
        (math.nan, 1, None),
        ({}, 1, None),
        ({}, [], None),
        ("a", 1, None),  # "a" is NaN
    ],
)
def test_compare(left: JSONValue, right: JSONValue, order: int | None) -> None:
    assert compare(left, right) == order


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 < 2", True),
        ("2 <= 2", True),
        ("'b' > 'A'", True),
        ("'a' >= 'A'", True),
        ("null <= null", True),
        ("null < null", False),
        ("NaN <= NaN", False),
        ("fromJSON('{}') <= fromJSON('{}')", False),
        ("env <= env", True),  # the same object equals itself
        ("'TEST' == 'test'", True),
        ("'TEST' != 'test'", False),
        ("1 < 2 < 3", True),  # (1 < 2) < 3: true is 1
        ("3 > 2 > 1", False),  # (3 > 2) > 1: true is 1, not greater than 1
    ],
)
def test_comparison_operators(expression: str, expected: bool) -> None:
    assert evaluate(expression, EvalContext(contexts={"env": {}})) is expected


def test_fold_keeps_length() -> None:
    assert fold("straße") == "STRAßE"
    assert fold("abc") == "ABC"
