"""The values expressions compute with: JSON's, as Python objects, and GitHub's coercions.

GitHub's expression engine has one number type (a double); here a number is an
``int`` or a ``float`` and the two are interchangeable by value. ``bool`` is a
subclass of ``int`` in Python, so every check below tests ``bool`` first.

Coercions follow actions/runner (EvaluationResult.cs): JavaScript's abstract
equality, except that strings compare case-insensitively and objects/arrays
are never converted to primitives (they are equal only to themselves).
"""

from __future__ import annotations

import math
import re

# Re-exported at run time: every layer names it as runner.expressions.JSONValue.
from runner.json_text import JSONValue as JSONValue  # noqa: TC001

# Doubles hold every integer up to 2**53 exactly; past that we keep a float so
# that a value never pretends to more precision than GitHub's doubles have.
_MAX_EXACT_INT = 2**53

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def truthy(value: JSONValue) -> bool:
    """GitHub's truthiness: false, 0, -0, NaN, "" and null are falsy; arrays and objects truthy."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def kind_name(value: JSONValue) -> str:
    """The name GitHub gives the kind of a value: Null, Boolean, Number, String, Array, Object."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def is_primitive(value: JSONValue) -> bool:
    """True for null, booleans, numbers and strings."""
    return not isinstance(value, list | dict)


def normalize_number(number: float) -> int | float:
    """An integral float becomes an int (1.0 -> 1) while that is exact; others stay floats."""
    if math.isfinite(number) and number.is_integer() and abs(number) <= _MAX_EXACT_INT:
        if number == 0 and math.copysign(1.0, number) < 0:
            return number  # keep -0.0: it prints as "-0" like GitHub's
        return int(number)
    return number


def parse_number(text: str) -> float:
    """GitHub's string -> number rule (JavaScript's Number() in spirit); NaN when not a number.

    Accepts surrounding whitespace, decimal and exponent forms, ``0x`` hex and
    ``0o`` octal (32-bit, as .NET parses them), ``Infinity`` and ``-Infinity``;
    the empty string is 0.
    """
    text = text.strip()
    if not text:
        return 0.0
    if _DECIMAL.fullmatch(text):
        return float(text)  # huge exponents give inf, as .NET's double parsing does
    if text.startswith("0x") and len(text) > 2 and set(text[2:]) <= _HEX_DIGITS:
        return _int32_from_digits(text[2:], 16)
    if text.startswith("0o") and len(text) > 2 and set(text[2:]) <= set("01234567"):
        return _int32_from_digits(text[2:], 8)
    if text == "Infinity":
        return math.inf
    if text == "-Infinity":
        return -math.inf
    return math.nan


def _int32_from_digits(digits: str, base: int) -> float:
    digits = digits.lstrip("0") or "0"
    if len(digits) > 11:  # longer than any 32-bit value in base 8 or 16
        return math.nan
    value = int(digits, base)
    if value >= 2**32:
        return math.nan
    # .NET reads hex/octal digits as the bit pattern of an Int32.
    return float(value - 2**32 if value >= 2**31 else value)


def to_number(value: JSONValue) -> float:
    """GitHub's conversion to a number: null 0, booleans 1/0, strings parsed, arrays/objects NaN."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an int too large for a double
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        return parse_number(value)
    return math.nan


def format_number(number: float) -> str:
    """A number as GitHub prints it (.NET "G15"): 1.0 -> "1", 1e19 -> "1E+19", NaN, Infinity."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return format(number, ".15g").replace("e", "E")


def to_string(value: JSONValue) -> str:
    """GitHub's conversion to a string: null "", "true"/"false", G15 numbers, "Array", "Object"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) < 10**15:
        return str(value)  # exact and identical to G15 below 15 digits
    if isinstance(value, int | float):
        return format_number(to_number(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "Array"
    return "Object"


def fold(text: str) -> str:
    """Case-fold like .NET's OrdinalIgnoreCase: upper-case each character on its own."""
    if text.isascii():
        return text.upper()
    # str.upper() may turn one character into several ("ß" -> "SS"); .NET never does.
    return "".join(c if len(u := c.upper()) != 1 else u for c in text)


def _coerce(left: JSONValue, right: JSONValue) -> tuple[JSONValue, JSONValue]:
    """Bring two values to a common kind where GitHub does; leave them apart where it doesn't."""
    left_kind, right_kind = kind_name(left), kind_name(right)
    if left_kind == right_kind:
        return left, right
    if left_kind == "Number" and right_kind == "String":
        return left, to_number(right)
    if left_kind == "String" and right_kind == "Number":
        return to_number(left), right
    if left_kind in ("Boolean", "Null"):
        return _coerce(to_number(left), right)
    if right_kind in ("Boolean", "Null"):
        return _coerce(left, to_number(right))
    return left, right


def loose_equal(left: JSONValue, right: JSONValue) -> bool:
    """GitHub's ``==``: coerced primitives, case-insensitive strings, objects by identity, NaN != NaN."""
    left, right = _coerce(left, right)
    if kind_name(left) != kind_name(right):
        return False
    if left is None:
        return True
    if isinstance(left, bool):
        return left is right
    if isinstance(left, int | float):
        return to_number(left) == to_number(right)  # NaN compares unequal by itself
    if isinstance(left, str) and isinstance(right, str):
        return fold(left) == fold(right)
    return left is right


def compare(left: JSONValue, right: JSONValue) -> int | None:
    """Order two values for ``<``/``>``: -1, 0 or 1, or None when GitHub says they don't compare.

    Only numbers (NaN excluded), strings (case-insensitively) and booleans order;
    anything else, including mixed kinds that coercion cannot unite, is None,
    which makes every ordering operator false.
    """
    left, right = _coerce(left, right)
    if isinstance(left, bool) and isinstance(right, bool):
        return int(left) - int(right)
    if kind_name(left) == kind_name(right) == "Number":
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return None
        return (a > b) - (a < b)
    if isinstance(left, str) and isinstance(right, str):
        a_text, b_text = fold(left), fold(right)
        return (a_text > b_text) - (a_text < b_text)
    return None
