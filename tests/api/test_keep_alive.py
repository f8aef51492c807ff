"""Connections over raw TCP: a request answered before its body arrived (a 401, 404 or
405 decided from the headers) must not leave the connection hanging; a body over the
limit is answered 413, and one that stops coming 408, on a connection the daemon then
closes; a connection that never completes a request is closed after the idle timeout,
and one whose peer vanished by the kernel (TCP_USER_TIMEOUT)."""

from __future__ import annotations

import json
import os
import socket
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest
import trio
import trio.lowlevel

from runner.api.app import MAX_BODY_BYTES
from runner.config import ConnectionSettings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.api.conftest import Daemon, DaemonFactory


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


def json_headers(body: bytes, auth: dict[str, str]) -> dict[str, str]:
    return {**auth, "Content-Type": "application/json", "Content-Length": str(len(body))}


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
    headers = json_headers(body, daemon.auth if with_token else {})
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
    headers = json_headers(body, daemon.auth)
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


async def test_a_body_that_stops_coming_is_answered_408_and_its_connection_closed(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await daemon_factory(connections=ConnectionSettings(body_timeout_seconds=0.5))
    daemon.write_workflow(
        "hello.yml", "on: push\njobs:\n  a:\n    runs-on: local\n    steps:\n      - run: 'true'\n"
    )
    body = b'{"workflow": "hello"}'
    headers = json_headers(body, daemon.auth)
    async with connect(daemon) as conn:
        with trio.fail_after(10):
            started = trio.current_time()
            await conn.send(conn.head("POST", "/api/runs", headers) + body[:5])
            status, response_headers, payload = await conn.response()
            assert trio.current_time() - started >= 0.5
            assert status == 408
            assert response_headers["connection"] == "close"
            assert json.loads(payload) == {
                "error": {
                    "type": "request_timeout",
                    "message": "the request body was not whole within 0.5 seconds",
                }
            }
            assert await conn.closed()
    async with daemon.client() as client:
        assert (await client.get("/api/runs")).json()["runs"] == []  # the half request ran nothing


async def _trickle(conn: Connection, data: bytes) -> None:
    try:
        for i in range(len(data)):
            await conn.send(data[i : i + 1])
            await trio.sleep(0.05)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass  # closed by the daemon: what the test waits for


@pytest.mark.parametrize("sent", ["nothing", "half a head", "a head trickled byte by byte"])
async def test_a_connection_without_a_whole_request_is_closed_after_the_idle_timeout(
    daemon_factory: DaemonFactory, sent: str
) -> None:
    daemon = await daemon_factory(connections=ConnectionSettings(idle_timeout_seconds=0.5))
    head = f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{daemon.address.port}\r\nX-Pad: "
    async with connect(daemon) as conn, trio.open_nursery() as nursery:
        if sent == "half a head":
            await conn.send(head.encode())
        elif sent == "a head trickled byte by byte":
            nursery.start_soon(_trickle, conn, head.encode() + b"x" * 200)  # ~10 s of it
        started = trio.current_time()
        with trio.fail_after(10):
            assert await conn.closed()
        assert 0.4 <= trio.current_time() - started < 5
        nursery.cancel_scope.cancel()


@pytest.mark.skipif(not hasattr(socket, "TCP_USER_TIMEOUT"), reason="TCP_USER_TIMEOUT is Linux's")
async def test_the_daemons_connections_carry_the_unacknowledged_timeout(
    daemon_factory: DaemonFactory,
) -> None:
    """The daemon sets TCP_USER_TIMEOUT on its listening socket and what it accepts
    inherits it, so the kernel drops a peer that vanished mid-stream once our bytes go
    unacknowledged that long (a stream's heartbeats make sure there are bytes). Read back
    from the daemon's own end of a connection (it runs in this process)."""
    daemon = await daemon_factory(
        connections=ConnectionSettings(unacknowledged_timeout_seconds=12.5)
    )
    async with connect(daemon) as conn:
        await conn.send(conn.head("GET", "/api/health", {}))
        status, _, _ = await conn.response()  # accepted and served
        assert status == 200
        ours = conn.stream.socket.getsockname()
        sockets = _sockets_of_this_process()
        timeouts = [
            server.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
            for server in sockets
            if server.getsockname()[1] == daemon.address.port and _peer(server) == ours
        ]
        for sock in sockets:
            sock.close()
    assert timeouts == [12_500]


def _peer(sock: socket.socket) -> object:
    try:
        return sock.getpeername()
    except OSError:
        return None  # the listening socket


def _sockets_of_this_process() -> list[socket.socket]:
    found = []
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue  # not a socket (or gone)
        with sock:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                found.append(sock.dup())
    return found
