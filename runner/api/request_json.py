"""The one reader of JSON request bodies: what every route with a body gets from it.

Refused before any route looks at the body, each with the field it concerns:

- text that is not JSON (the family's status for that: 400, or 422 where its contract
  says so);
- what runner.json_text refuses: NaN/Infinity or a number out of range, nesting
  deeper than json_text.MAX_DEPTH (422);
- anything but an object (422);
- a string, key or value, holding NUL or a lone surrogate (422). Request values end up
  in process environments (env, inputs, secrets, event payloads read by `env:`), and no
  environment can carry either: the spawn would fail deep inside a run. Nothing stax
  takes from a client needs them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from quart import request

from runner import json_text
from runner.errors import ApiError, InvalidField

if TYPE_CHECKING:
    from collections.abc import Iterator

Loc = tuple[str | int, ...]
_UNFIT = re.compile(r"[\x00\ud800-\udfff]")
# How either can be written in a UTF-8 JSON body: escaped (raw, JSON refuses a NUL, and
# UTF-8 has no surrogates).
_MAY_BE_UNFIT = re.compile(r"\\u0000|\\u[dD][89a-fA-F]")


async def json_object(*, empty_ok: bool = False, not_json_status: int = 400) -> dict[str, Any]:
    """The request body as a JSON object ({} for an empty body when `empty_ok`)."""
    raw = await request.get_data(as_text=False)
    if not raw.strip() and empty_ok:
        return {}
    try:
        # UTF-8 only (RFC 8259 §8.1): the parser would also take UTF-16 and UTF-32, in
        # which the checks below would not find what they look for.
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json_text.loads(text)
    except json_text.JSONValueError as exc:
        raise InvalidField(("body",), f"the body is refused: {exc}") from None
    except (json_text.JSONTextError, UnicodeDecodeError) as exc:
        reason = f"not UTF-8 (byte {exc.start})" if isinstance(exc, UnicodeDecodeError) else exc
        message = f"the body is not valid JSON: {reason}"
        if not_json_status == 422:
            raise InvalidField(("body",), message, kind="json_invalid") from None
        raise ApiError(not_json_status, "invalid_request_error", message) from None
    if not isinstance(value, dict):
        raise InvalidField(("body",), "the body must be a JSON object", kind="dict_type")
    if _MAY_BE_UNFIT.search(text):  # else no string can hold either: no walk
        for loc, text, is_key in _strings(value, ("body",)):
            if problem := text_problem(text):
                raise InvalidField(loc, f"the {'name' if is_key else 'value'} {problem}")
    return value


def text_problem(text: str) -> str | None:
    """Why `text` cannot reach a process (None: it can)."""
    found = _UNFIT.search(text)
    if found is None:
        return None
    if found.group() == "\0":
        return "holds a NUL character, which no process environment or argument can carry"
    return f"holds a lone surrogate (U+{ord(found.group()):04X}), which is not Unicode text"


def _strings(value: object, loc: Loc) -> Iterator[tuple[Loc, str, bool]]:
    """(where, text, whether it is a key) of every string in `value`, keys included, in
    document order (iteratively: the depth is bounded, but no walker here recurses)."""
    stack: list[tuple[object, Loc, bool]] = [(value, loc, False)]
    while stack:
        item, where, is_key = stack.pop()
        if isinstance(item, str):
            yield where, item, is_key
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                stack.extend(((child, (*where, key), False), (key, (*where, key), True)))
        elif isinstance(item, list):
            stack.extend(
                (child, (*where, i), False) for i, child in reversed(list(enumerate(item)))
            )
