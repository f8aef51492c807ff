"""Numbers a request carries in its query or its headers, read one way everywhere.

`str.isdigit()` is true for "²" and "٣", which `int()` then refuses (a 500) or reads
as 3; `int()` also takes "+5", " 5", "1_000" and thousands of digits, and an integer
past 2**63 overflows SQLite. So a number here is ASCII digits, at most 18 of them,
nothing else.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from runner.errors import ApiError

if TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

_UINT = re.compile(r"[0-9]{1,18}")


def parse_uint(text: str) -> int | None:
    """`text` as a non-negative integer below 10**18, or None when it is not one."""
    return int(text) if _UINT.fullmatch(text) else None


def shown(text: str) -> str:
    """`text` as an error message quotes it (cut when long)."""
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}… ({len(text)} characters)"


def int_arg(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    """Query parameter `name` as an integer in low..high (`default` when absent or
    empty); ApiError 400 otherwise."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_uint(raw)
    if value is None or not low <= value <= high:
        raise ApiError(
            400,
            "invalid_request_error",
            f"?{name}= must be an integer from {low} to {high}, not {shown(raw)}",
        )
    return value
