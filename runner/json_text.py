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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue

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
    nesting deeper than MAX_DEPTH."""
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise JSONValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    except JSONTextError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONTextError(str(exc)) from None
    if _depth_over(value, MAX_DEPTH):
        raise JSONValueError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _constant(name: str) -> float:
    raise JSONValueError(f"{name} is not a JSON number (JSON numbers are finite)")


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JSONValueError(f"the number {_shown(text)} is out of range (not a finite double)")
    return number


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not -_INT_LIMIT <= (number := int(text)) < _INT_LIMIT:
        raise JSONValueError(f"the integer {_shown(text)} is out of range (64 bits)")
    return number


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"


def _depth_over(value: object, limit: int) -> bool:
    """Whether `value` nests containers more than `limit` deep (iteratively)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
