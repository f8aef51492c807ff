"""Keep-alive connections over raw TCP: a request answered before its body arrived (a 401,
404 or 405 decided from the headers) must not leave the connection hanging, and a body
over the limit is answered 413 on a connection the daemon then closes."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest
import trio
import trio.lowlevel

from runner.api.app import MAX_BODY_BYTES

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.api.conftest import Daemon


class Connection:
    """One HTTP/1.1 connection, read response by response."""

    def __init__(self, stream: trio.SocketStream, host: str) -> None:
        self.stream = stream
        self.host = host
        self.buffer = b""

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    def head(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            await self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode().split("\r\n")
        headers = {}
        for line in header_lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            await self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    async def closed(self) -> bool:
        try:
            return await self.stream.receive_some(65536) == b""
        except trio.BrokenResourceError:
            return True

    async def _more(self) -> None:
        data = await self.stream.receive_some(65536)
        if not data:
            raise AssertionError("the daemon closed the connection")
        self.buffer += data


@asynccontextmanager
async def connect(daemon: Daemon) -> AsyncIterator[Connection]:
    port = daemon.address.port
    async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
        yield Connection(stream, f"127.0.0.1:{port}")


@pytest.mark.parametrize(
    ("path", "with_token", "status"),
    [
        ("/api/health", True, 405),  # no POST route: decided by the request line
        ("/api/runs", False, 401),  # no token: decided by the headers
        ("/v1/skills/nope/execute", True, 404),  # unknown skill: decided by the path
    ],
)
async def test_a_late_body_does_not_leave_its_connection_hanging(
    daemon: Daemon, path: str, with_token: bool, status: int
) -> None:
    body = b'{"workflow": "hello"}'
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if with_token:
        headers |= daemon.auth
    async with connect(daemon) as conn:
        await conn.send(conn.head("POST", path, headers))
        # The body comes late. Were the answer sent before it arrived, the connection
        # would never serve another request.
        with trio.move_on_after(0.3):
            await conn.response()
            raise AssertionError("answered before the request was whole")
        with trio.fail_after(10):
            await conn.send(body)
            answered, _, _ = await conn.response()
            assert answered == status
            await conn.send(conn.head("GET", "/api/health", {}))
            health, _, payload = await conn.response()
    assert health == 200
    assert b'"status":"ok"' in payload


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_body_over_the_limit_is_refused_and_its_connection_closed(
    daemon: Daemon, framing: str
) -> None:
    headers = {**daemon.auth, "Content-Type": "application/json"}
    async with connect(daemon) as conn:
        with trio.fail_after(10):
            if framing == "content-length":
                # Refused from the header alone: none of the body is read.
                headers["Content-Length"] = str(2 * MAX_BODY_BYTES)
                await conn.send(conn.head("POST", "/api/runs", headers))
            else:
                headers["Transfer-Encoding"] = "chunked"
                chunk = b" " * (MAX_BODY_BYTES + 1)
                await conn.send(conn.head("POST", "/api/runs", headers))
                await conn.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            status, response_headers, payload = await conn.response()
            assert status == 413
            assert response_headers["connection"] == "close"
            assert json.loads(payload) == {
                "error": {
                    "type": "request_too_large",
                    "message": f"the request body is over {MAX_BODY_BYTES} bytes",
                }
            }
            assert await conn.closed()


async def test_a_body_within_the_limit_reaches_the_route_whole(daemon: Daemon) -> None:
    """Bodies sent whole or in pieces, answered from the body: one connection serves all."""
    body = b'{"approve": "yes"}'
    headers = {
        **daemon.auth,
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
    }
    async with connect(daemon) as conn:
        with trio.fail_after(20):
            for i in range(20):
                head = conn.head("POST", "/api/runs/nope/jobs/a/approve", headers)
                if i % 2:
                    await conn.send(head + body)
                else:
                    await conn.send(head + body[:5])
                    await trio.lowlevel.checkpoint()
                    await conn.send(body[5:])
                status, _, payload = await conn.response()
                assert status == 422, payload  # "approve" must be a boolean: the body was read
