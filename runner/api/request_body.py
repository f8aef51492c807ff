"""Whole request bodies before the app: ASGI middleware around the Quart app.

Hypercorn (0.18, trio) leaves a keep-alive connection hanging when the app finishes its
response before the request's body has arrived: a 404, 405 or 401 answered from the
headers alone, while the client is still sending a few bytes of JSON. The response
arrives whole, but the next request on that connection is never read. So every request's
body is received in full before the app sees the request; the app then reads it from
memory. A body over the limit is answered 413 here, without reading the rest of it, and
the connection is closed after the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    def __init__(self, app: ASGIApp, *, limit: int, too_large: Callable[[str, int], str]) -> None:
        self.app = app
        self.limit = limit
        self.too_large = too_large  # (path, limit) -> the 413's JSON body

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if _declared_length(scope) > limit:
            await self._refuse(scope["path"], limit, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before its request was whole: nobody to answer
            chunks.append(message["body"])
            size += len(message["body"])
            if size > limit:
                await self._refuse(scope["path"], limit, send)
                return
            if not message.get("more_body", False):
                break
        replay: list[ASGIReceiveEvent] = [
            {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        ]

        async def buffered_receive() -> ASGIReceiveEvent:
            return replay.pop() if replay else await receive()

        await self.app(scope, buffered_receive, send)

    async def _refuse(self, path: str, limit: int, send: ASGISendCallable) -> None:
        body = self.too_large(path, limit).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
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
