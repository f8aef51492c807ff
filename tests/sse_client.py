"""The tests' one SSE client, on httpx-sse (the parser a Python client would use).

- `read_frames` follows a live stream, frame by frame, until a frame says stop or the
  server ends the stream; `read_events_sync` does so for a synchronous client, and
  leaves each event's data as sent.
- `parse_events` parses a body already read whole, or an encoder's output.

Frames carry JSON data (every stax stream's does), decoded. Tests of the wire encoding
itself (tests/api/test_sse_encoding.py, a stream's first bytes) read raw bytes instead.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
import trio
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse, connect_sse

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class Frame(NamedTuple):
    event: str
    id: str
    data: Any  # the frame's data, decoded from JSON


def _frame(sse: ServerSentEvent) -> Frame:
    return Frame(sse.event, sse.id, json.loads(sse.data))


def _dispatched(sse: ServerSentEvent) -> bool:
    """Whether an EventSource would dispatch it. httpx-sse 0.4 also yields an empty
    "message" for the blank line after a comment (a keepalive) once an id has been seen;
    the WHATWG rules dispatch nothing without data, and every stax event has data."""
    return bool(sse.data) or sse.event != "message"


async def read_frames(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    until: Callable[[Frame], bool] | None = None,
    on_open: Callable[[], Awaitable[Any]] | None = None,
    on_frame: Callable[[Frame], Awaitable[None]] | None = None,
    limit: float = 20,
    **request: Any,
) -> list[Frame]:
    """Every frame of the stream up to the first for which `until` holds (or to the
    stream's end). `on_open()` runs once the response has begun; `on_frame(frame)` sees
    each frame as it arrives. `request` goes to httpx (params, headers, json...)."""
    frames: list[Frame] = []
    request["headers"] = dict(request.get("headers") or {})  # httpx-sse adds to it
    with trio.fail_after(limit):
        async with aconnect_sse(client, method, url, **request) as source:
            response = source.response
            assert response.status_code == 200, (response.status_code, await response.aread())
            if on_open is not None:
                await on_open()
            async for sse in source.aiter_sse():
                if not _dispatched(sse):
                    continue
                frames.append(_frame(sse))
                if on_frame is not None:
                    await on_frame(frames[-1])
                if until is not None and until(frames[-1]):
                    break
    return frames


def read_events_sync(
    url: str,
    *,
    until: Callable[[ServerSentEvent], bool] | None = None,
    limit: float = 30,
    **request: Any,
) -> list[ServerSentEvent]:
    """The events of the stream at `url`, data as sent, up to the first for which `until`
    holds, the stream's end, or the first event after `limit` seconds have passed."""
    events: list[ServerSentEvent] = []
    request["headers"] = dict(request.get("headers") or {})  # httpx-sse adds to it
    deadline = time.monotonic() + limit
    with httpx.Client(timeout=5) as client, connect_sse(client, "GET", url, **request) as source:
        assert source.response.status_code == 200, source.response.status_code
        for sse in filter(_dispatched, source.iter_sse()):
            events.append(sse)
            if (until is not None and until(sse)) or time.monotonic() > deadline:
                break
    return events


def parse_events(text: str) -> list[ServerSentEvent]:
    """The events of a whole `text/event-stream` body, as an EventSource would see them
    (comments and keepalives skipped; `.json()` decodes an event's data)."""
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=text.encode()
    )
    return list(filter(_dispatched, EventSource(response).iter_sse()))
