"""The runner services for `stax run --local`: the same ASGI app as the daemon's, served
by a small HTTP/1.1 server (h11) on a loopback port of the run's own process.

It is started only for a run that needs it (needs.py), listens on 127.0.0.1 at a port
the kernel picks, answers only to that address, and stops with the run. Its signing key
lives in memory: its tokens mean nothing to any other process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import h11
import trio

from runner.actions.services.app import RunnerServices
from runner.actions.services.environment import ServiceAccess
from runner.actions.services.tokens import new_key

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import Settings

log = logging.getLogger("stax.services")

_READ_BYTES = 256 * 1024
_IDLE_S = 75.0  # a connection with no request in progress is closed after this
_DRAIN_LIMIT = 64 * 1024 * 1024  # unread body dropped to keep a connection; past it, closed


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalServicesStatistics:
    connections: int
    requests: int


class LocalServices:
    """`await nursery.start(LocalServices(settings, data_dir).run)` returns the run's
    ServiceAccess once the port is listening; cancelling the nursery stops it."""

    def __init__(self, settings: Settings, *, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.key = new_key()
        self.app: RunnerServices | None = None
        self._connections = 0
        self._requests = 0

    def statistics(self) -> LocalServicesStatistics:
        return LocalServicesStatistics(connections=self._connections, requests=self._requests)

    async def run(
        self, *, task_status: trio.TaskStatus[ServiceAccess] = trio.TASK_STATUS_IGNORED
    ) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = int(listeners[0].socket.getsockname()[1])
        allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.app = RunnerServices(
            data_dir=self.data_dir,
            key=self.key,
            cache_max_bytes=int(self.settings.services.cache_size_mb * 1024 * 1024),
            cache_dir=self.settings.data_dir / "cache",
            host_allowed=lambda host, _port: (host or "").lower() in allowed,
            body_idle_timeout_s=self.settings.connections.body_timeout_seconds,
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(
                partial(trio.serve_listeners, partial(self._connection, port), listeners)
            )
            task_status.started(ServiceAccess(url=f"http://127.0.0.1:{port}", key=self.key))

    async def _connection(self, port: int, stream: trio.SocketStream) -> None:
        """Serve one connection's requests in turn until it closes; never raises."""
        self._connections += 1
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event: Any = None
                with trio.move_on_after(_IDLE_S):
                    event = await _next_event(conn, stream)
                if not isinstance(event, h11.Request):
                    return  # closed, or idle for too long
                self._requests += 1
                await _Exchange(conn, stream, event, port).run(self._app())
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                else:
                    return
        except (h11.ProtocolError, trio.BrokenResourceError, trio.ClosedResourceError):
            return
        except Exception:
            log.exception("the local services server failed on a connection")
        finally:
            with trio.move_on_after(1, shield=True):
                await stream.aclose()

    def _app(self) -> RunnerServices:
        assert self.app is not None
        return self.app


async def _next_event(conn: h11.Connection, stream: trio.SocketStream) -> Any:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            if conn.they_are_waiting_for_100_continue:
                await stream.send_all(
                    conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                )
            conn.receive_data(await stream.receive_some(_READ_BYTES))
            continue
        return event


class _Exchange:
    """One request and its response, bridged to ASGI."""

    def __init__(
        self, conn: h11.Connection, stream: trio.SocketStream, request: h11.Request, port: int
    ) -> None:
        self.conn = conn
        self.stream = stream
        target = request.target
        path, _, query = target.partition(b"?")
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method.decode("ascii"),
            "scheme": "http",
            "path": unquote(path.decode("ascii", "replace")),
            "raw_path": path,
            "query_string": query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers],
            "server": ("127.0.0.1", port),
            "client": None,
        }
        self.body_done = False

    async def run(self, app: RunnerServices) -> None:
        await app(self.scope, self.receive, self.send)
        # The app reads no body from a GET; h11 still has its end to take (it is in the
        # buffer already) before the connection can carry the next request.
        dropped = 0
        with trio.move_on_after(_IDLE_S):
            while (
                self.conn.our_state is h11.DONE
                and self.conn.their_state is h11.SEND_BODY
                and dropped <= _DRAIN_LIMIT
            ):
                event = await _next_event(self.conn, self.stream)
                if isinstance(event, h11.Data):
                    dropped += len(event.data)
                elif not isinstance(event, h11.EndOfMessage):
                    return

    async def receive(self) -> dict[str, Any]:
        if self.body_done:
            return {"type": "http.disconnect"}
        event = await _next_event(self.conn, self.stream)
        if isinstance(event, h11.Data):
            return {"type": "http.request", "body": bytes(event.data), "more_body": True}
        if isinstance(event, h11.EndOfMessage):
            self.body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        self.body_done = True
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            response = h11.Response(status_code=message["status"], headers=message["headers"])
            await self._send(response)
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await self._send(h11.Data(data=message["body"]))
            if not message.get("more_body", False):
                await self._send(h11.EndOfMessage())

    async def _send(self, event: Any) -> None:
        data = self.conn.send(event)
        if data:
            await self.stream.send_all(data)
