"""JSON text, in and out: the one encoder and the one strict reader of stax.

JSON has no infinity and no NaN. Python's `json` writes them anyway (`Infinity`, `NaN`),
and every strict reader (a browser's `JSON.parse`, the SDKs) then refuses the whole
document: one such number in one event would make `GET /api/runs` unreadable for
everyone. So everything stax writes as JSON (the store, SSE frames, REST bodies, the
CLI's `--json`) goes through `dumps`, which refuses non-finite numbers (ValueError),
and what a client sends is read by `loads`, which refuses them at the door, along with
integers beyond 64 bits (SQLite's, and more than any input needs) and documents nested
deeper than MAX_DEPTH (a recursion bomb for every walker after the parser).
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeAlias

# A JSON document as Python objects (runner.expressions computes with these too).
JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None

MAX_DEPTH = 64
_INT_LIMIT = 2**63


def dumps(value: object, *, indent: int | None = None, ascii: bool = True) -> str:
    """`value` as JSON text: compact (or indented by `indent`), ASCII unless told
    otherwise. ValueError for a non-finite number, TypeError for a non-JSON value."""
    return json.dumps(
        value,
        allow_nan=False,
        ensure_ascii=ascii,
        indent=indent,
        separators=(",", ":") if indent is None else None,
    )


def finite(value: JSONValue) -> JSONValue:
    """`value` with every non-finite number replaced by null (for the one place that
    must store what it was given whatever it holds: the event log)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


class JSONTextError(ValueError):
    """Text that is not a JSON document; the message says why."""


class JSONValueError(JSONTextError):
    """A JSON document stax does not accept: a non-finite or out-of-range number, or
    nesting deeper than MAX_DEPTH."""


def loads(text: str | bytes) -> Any:
    """The JSON document `text` holds. JSONTextError when it is not JSON; JSONValueError
    for NaN/Infinity, a number that overflows a double or a 64-bit integer, and
    nesting deeper than MAX_DEPTH.

    At the C parser's speed: request bodies are read on the event loop that serves
    every client, so what would cost a walk in Python is first looked for in the raw
    text with byte operations, and walked for only when it may be there."""
    try:
        value = json.loads(text, parse_constant=_constant)
    except RecursionError:
        raise JSONValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    except JSONTextError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        if str(exc).startswith("Exceeds the limit"):  # int() of over 4,300 digits
            raise JSONValueError("an integer is out of range (64 bits)") from None
        raise JSONTextError(str(exc)) from None
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper_than(raw, MAX_DEPTH):
        raise JSONValueError(f"nested deeper than {MAX_DEPTH} levels")
    if _maybe_big_number(raw) and (problem := _number_problem(value)) is not None:
        raise JSONValueError(problem)
    return value


def _constant(name: str) -> float:
    raise JSONValueError(f"{name} is not a JSON number (JSON numbers are finite)")


_OPEN_AS_ONE = bytes.maketrans(b"{}", b"[]")
_NOT_A_BRACKET = bytes(set(range(256)) - set(b"[]{}"))


def _deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the valid JSON text `raw` nests more than `limit` levels. Byte operations
    only: without its escaped backslashes and quotes, every quote of valid JSON opens
    or closes a string, so every other piece between quotes is structure; its
    brackets then lose their innermost level with each `replace`."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = b"".join(unescaped.split(b'"')[::2])
    nesting = structure.translate(_OPEN_AS_ONE, _NOT_A_BRACKET)
    for _ in range(limit):
        if not nesting:
            return False
        nesting = nesting.replace(b"[]", b"")
    return bool(nesting)


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789E", b"000000000e")


def _maybe_big_number(raw: bytes) -> bool:
    """Whether `raw` has a run of 16 digits or a 3-digit exponent: only such a number can
    overflow a double or a 64-bit integer. (A superset: it may be inside a string.)"""
    text = raw.translate(_DIGITS_AS_ZERO)
    return any(mark in text for mark in (b"0" * 16, b"e000", b"e+000", b"e-000"))


def _number_problem(value: object) -> str | None:
    """A non-finite or out-of-range number in `value`, if any (iteratively)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return "a number is out of range (not a finite double)"
        if isinstance(item, int) and not -_INT_LIMIT <= item < _INT_LIMIT:
            return f"the integer {_shown(str(item))} is out of range (64 bits)"
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
