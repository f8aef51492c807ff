"""Server-Sent Events on the wire: framing and event ids.

Framing follows the WHATWG rules: a field value may not hold CR or LF, so a
payload with line breaks becomes several `data:` lines (a client joins them
back with LF); `event:` and `id:` values are cleaned of line breaks and NUL.
Pure text: the projections build their frames with it, the streams
(runner/api/streaming.py) write them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner import json_text
from runner.api.request_numbers import shown

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELD_UNSAFE = re.compile(r"[\r\n\0]")


def dumps(payload: JSONValue) -> str:
    """Compact JSON on one line (JSON escapes CR and LF inside strings)."""
    return json_text.dumps(payload, ascii=False)


def frame(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> str:
    """One SSE message. `data` may hold line breaks: each line gets its own `data:`."""
    parts: list[str] = []
    if id is not None:
        parts.append(f"id: {_FIELD_UNSAFE.sub('', id)}\n")
    if event is not None:
        parts.append(f"event: {_FIELD_UNSAFE.sub('', event)}\n")
    if retry is not None:
        parts.append(f"retry: {retry}\n")
    if "\n" in data or "\r" in data:
        parts.extend(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    else:
        parts.append(f"data: {data}\n")
    parts.append("\n")
    return "".join(parts)


def to_wire(text: str) -> bytes:
    """UTF-8 for the socket. A lone surrogate (from a client's JSON, an argv byte) is
    replaced rather than allowed to break the stream for everyone."""
    return text.encode("utf-8", errors="replace")


def comment(text: str) -> str:
    return f": {_FIELD_UNSAFE.sub(' ', text)}\n\n"


@dataclass(frozen=True, slots=True)
class WireEvent:
    """One frame a projection produces from a canonical event."""

    event: str | None
    data: str  # already encoded (JSON text)
    id: str | None = None

    def encode(self) -> str:
        return frame(self.data, event=self.event, id=self.id)


_EVENT_ID = re.compile(r"([0-9]{1,18})(?:\.([0-9]{1,9}))?")


def parse_event_id(value: str | None) -> tuple[int, int | None] | None:
    """`N` -> (N, None): after event N. `N.i` -> (N, i): after line i of log chunk N.
    None for an absent value; ValueError for a malformed one (ASCII digits only)."""
    if value is None or value.strip() == "":
        return None
    match = _EVENT_ID.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"invalid event id {shown(value)}")
    seq, index = match.groups()
    return int(seq), int(index) if index is not None else None
