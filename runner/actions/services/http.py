"""The little HTTP the services need, on plain ASGI: a request whose body streams to
disk, a response that streams a file, and an error that knows its status.

The services are an ASGI app so that one implementation serves both the daemon
(mounted beside its Quart app, under Hypercorn) and `stax run --local` (a small h11
server in the same process); neither brings a web framework along.

A body is always read to its end before the answer goes out (or the connection is
closed after it): a keep-alive connection whose request was answered mid-body would
otherwise hang on the next request.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import trio

from runner import json_text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping
    from pathlib import Path

    Scope = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[dict[str, Any]]]
    Send = Callable[[dict[str, Any]], Awaitable[None]]

WRITE_CHUNK = 1024 * 1024  # bytes gathered before one write (on a worker thread)
READ_CHUNK = 1024 * 1024  # bytes read from a file per message sent
MAX_JSON_BODY = 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # past this much unread body, close instead of draining


class ServiceError(Exception):
    """A request the services refuse: `status`, a machine code (Twirp's or Azure's), a
    message for the user."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ClientGone(Exception):
    """The client disconnected before its request was whole: there is nobody to answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Saved:
    """A body written to a file: its size and the digests asked for."""

    size: int
    sha256: str = ""
    md5: bytes = b""


class Request:
    """One request: method, path, query, lower-cased headers; the body is read at most
    once, as bytes, into a file, or drained."""

    def __init__(self, scope: Scope, receive: Receive, *, idle_timeout_s: float) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]  # ASGI's is percent-decoded already
        raw_query = scope.get("query_string", b"").decode("latin-1")
        self.query: dict[str, str] = dict(parse_qsl(raw_query, keep_blank_values=True))
        self.headers: dict[str, str] = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        self.server: tuple[str, int | None] | None = scope.get("server")
        self._receive = receive
        self._idle_timeout_s = idle_timeout_s
        self._done = scope["method"] in ("GET", "HEAD") and not self._declared_length()

    @property
    def origin(self) -> str:
        """Where the client reached us (its Host was checked): signed URLs point here."""
        return f"http://{self.headers.get('host', '127.0.0.1')}"

    def bearer(self) -> str | None:
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    async def json(self) -> dict[str, Any]:
        """The body as a JSON object (400 when it is not one)."""
        raw = await self.read()
        try:
            value = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError(400, "malformed", f"the body is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ServiceError(400, "malformed", "the body must be a JSON object")
        return value

    def _declared_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def body_done(self) -> bool:
        return self._done

    async def _next_chunk(self) -> bytes | None:
        """The next piece of the body, None at its end."""
        if self._done:
            return None
        with trio.move_on_after(self._idle_timeout_s):
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._done = True
                raise ClientGone
            if not message.get("more_body", False):
                self._done = True
            return bytes(message.get("body", b""))
        raise ServiceError(
            408,
            "request_timeout",
            f"the request body stalled for {self._idle_timeout_s:g} seconds",
        )

    async def read(self, *, limit: int = MAX_JSON_BODY) -> bytes:
        """The whole body (a small one: 413 past `limit`)."""
        self._refuse_declared_over(limit)
        parts: list[bytes] = []
        size = 0
        while (chunk := await self._next_chunk()) is not None:
            size += len(chunk)
            if size > limit:
                raise ServiceError(413, "request_too_large", f"the body is over {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def save(
        self,
        path: Path,
        *,
        limit: int,
        offset: int | None = None,
        digests: tuple[str, ...] = (),
    ) -> Saved:
        """Write the body to `path` (a new file, or at `offset` into an existing one),
        computing `digests` ("sha256", "md5") on the way. Writes and hashing happen on a
        worker thread, a megabyte at a time. 413 past `limit`."""
        self._refuse_declared_over(limit)
        sink = _FileSink(path, offset, digests)
        await trio.to_thread.run_sync(sink.open)
        try:
            buffer = bytearray()
            size = 0
            while (chunk := await self._next_chunk()) is not None:
                size += len(chunk)
                if size > limit:
                    raise ServiceError(413, "request_too_large", f"the body is over {limit} bytes")
                buffer += chunk
                if len(buffer) >= WRITE_CHUNK:
                    data, buffer = bytes(buffer), bytearray()
                    await trio.to_thread.run_sync(sink.write, data)
            if buffer:
                await trio.to_thread.run_sync(sink.write, bytes(buffer))
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(sink.close)
        return sink.saved(size)

    async def drain(self) -> bool:
        """Read and drop what is left of the body; False when there was too much (the
        connection is then to be closed)."""
        dropped = 0
        try:
            while (chunk := await self._next_chunk()) is not None:
                dropped += len(chunk)
                if dropped > DRAIN_LIMIT:
                    return False
        except (ServiceError, ClientGone):
            return False
        return True

    def _refuse_declared_over(self, limit: int) -> None:
        declared = self._declared_length()
        if declared is not None and declared > limit:
            raise ServiceError(413, "request_too_large", f"the body is over {limit} bytes")


class _FileSink:
    def __init__(self, path: Path, offset: int | None, digests: tuple[str, ...]) -> None:
        self.path = path
        self.offset = offset
        self.hashers = {name: hashlib.new(name) for name in digests}
        self.fd = -1
        self.position = offset or 0

    def open(self) -> None:
        flags = os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if self.offset is None else os.O_CREAT)
        self.fd = os.open(self.path, flags, 0o600)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd, view, self.position)
            self.position += written
            view = view[written:]
        for hasher in self.hashers.values():
            hasher.update(data)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def saved(self, size: int) -> Saved:
        sha = self.hashers.get("sha256")
        md5 = self.hashers.get("md5")
        return Saved(
            size=size,
            sha256=sha.hexdigest() if sha else "",
            md5=md5.digest() if md5 else b"",
        )


@dataclass(slots=True, kw_only=True)
class Response:
    """What to send: a status, headers, and bytes or a file (`file_size` bytes of it)."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    file: Path | None = None
    file_size: int = 0


def json_response(status: int, payload: Any) -> Response:
    return Response(
        status=status,
        headers=[("Content-Type", "application/json")],
        body=json_text.dumps(payload).encode(),
    )


async def send_response(send: Send, response: Response, *, head: bool, close: bool) -> None:
    """Send `response` (headers only for HEAD); a file goes out a megabyte at a time,
    read on a worker thread."""
    length = response.file_size if response.file is not None else len(response.body)
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(length).encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if head or response.file is None:
        body = b"" if head else response.body
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    with open(response.file, "rb") as handle:  # noqa: ASYNC230 (reads go to a thread)
        remaining = response.file_size
        while remaining > 0:
            chunk = await trio.to_thread.run_sync(handle.read, min(READ_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
