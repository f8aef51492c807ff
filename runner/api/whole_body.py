"""Whole request bodies before the app: ASGI middleware around the Quart app.

Hypercorn (0.18, trio) leaves a keep-alive connection hanging when the app finishes its
response before the request's body has arrived: a 404, 405 or 401 answered from the
headers alone, while the client is still sending a few bytes of JSON. The response
arrives whole, but the next request on that connection is never read. So every request's
body is received in full before the app sees the request; the app then reads it from
memory. A body over the limit is answered 413 here, without reading the rest of it, and
a body that is not whole within the deadline 408; either way the connection is closed
after the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hypercorn.typing import (
        ASGIReceiveCallable,
        ASGIReceiveEvent,
        ASGISendCallable,
        HTTPScope,
        Scope,
    )

    ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]


class WholeBody:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        timeout_s: float,
        refusal: Callable[[str, int, str], str],
    ) -> None:
        self.app = app
        self.limit = limit
        self.timeout_s = timeout_s
        self.too_large = f"the request body is over {limit} bytes"
        self.too_slow = f"the request body was not whole within {timeout_s:g} seconds"
        self.refusal = refusal  # (path, status, message) -> the refusal's JSON body

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if _declared_length(scope) > limit:
            await self._refuse(scope["path"], 413, self.too_large, send)
            return
        chunks: list[bytes] = []
        size = 0
        refusal: tuple[int, str] | None = None
        # A client that stops sending mid-body (or vanished) must not hold a task forever.
        # (The refusal is sent outside the deadline's scope: never half a response.)
        with trio.move_on_after(self.timeout_s) as deadline:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client left before its request was whole: nobody to answer
                chunks.append(message["body"])
                size += len(message["body"])
                if size > limit:
                    refusal = (413, self.too_large)
                    break
                if not message.get("more_body", False):
                    break
        if deadline.cancelled_caught:
            refusal = (408, self.too_slow)
        if refusal is not None:
            await self._refuse(scope["path"], *refusal, send)
            return
        replay: list[ASGIReceiveEvent] = [
            {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        ]

        async def buffered_receive() -> ASGIReceiveEvent:
            return replay.pop() if replay else await receive()

        await self.app(scope, buffered_receive, send)

    async def _refuse(self, path: str, status: int, message: str, send: ASGISendCallable) -> None:
        body = self.refusal(path, status, message).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
                "trailers": False,
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _declared_length(scope: HTTPScope) -> int:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else 0  # Hypercorn refuses a bad one
    return 0
