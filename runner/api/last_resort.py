"""The last resort: an error that escapes the app still ends as its family's JSON 500.

The app's error handlers answer every exception raised by a route or a guard. What
happens outside them (matching the URL, setting up the request, an error handler that
itself fails) would reach Hypercorn, which answers an empty 500. This ASGI middleware,
around everything else, answers it instead: the family's JSON error body, status 500,
the traceback in the log. A response whose headers have left cannot be changed any
more: then the exception goes on to Hypercorn, which closes that connection only.

Cancellation (a client gone, the daemon stopping) is never an error: it passes through.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope

    ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]

log = logging.getLogger("stax.http")


class LastResort:
    def __init__(self, app: ASGIApp, *, error_body: Callable[[str, int, str], str]) -> None:
        self.app = app
        self.error_body = error_body  # (path, status, message) -> the family's JSON body

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: ASGISendEvent) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except BaseException as exc:
            error = _only_errors(exc)
            if error is None or started:
                raise
            log.error(
                "unhandled error serving %s %s", scope["method"], scope["path"], exc_info=error
            )
            message = f"internal error: {_name(error)}"
            body = self.error_body(scope["path"], 500, message).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                    "trailers": False,
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})


def _only_errors(exc: BaseException) -> BaseException | None:
    """`exc` when it is an error (an Exception, or a group of nothing else); None for a
    cancellation or an exit, alone or in a group."""
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split(Exception)
        return exc if rest is None else None
    return exc if isinstance(exc, Exception) else None


def _name(error: BaseException) -> str:
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return type(error).__name__
