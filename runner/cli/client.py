"""Talking to a running daemon from the command line.

Finding out whether a daemon is up must cost nothing when none is: a plain
TCP connect to the configured address (refused in microseconds) decides,
and only then is the HTTP client imported. The token comes from the data
dir, as the daemon wrote it.
"""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING, Any

from runner.errors import StaxError
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from runner.config import Settings


def daemon_listening(settings: Settings, *, timeout: float = 0.2) -> bool:
    """True when something accepts connections on the daemon's address."""
    try:
        with socket.create_connection((settings.host, settings.port), timeout=timeout):
            return True
    except OSError:
        return False


def base_url(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


class DaemonClient:
    """A thin async client of the daemon's REST API and canonical event stream."""

    def __init__(self, settings: Settings) -> None:
        import httpx

        from runner.api.auth import read_token  # not for a run that finds no daemon

        self.settings = settings
        token = read_token(settings.data_dir)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(
            base_url=base_url(settings), headers=headers, timeout=httpx.Timeout(30.0, read=None)
        )

    async def __aenter__(self) -> DaemonClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise StaxError(
                f"the daemon at {base_url(self.settings)} did not answer: {exc}"
            ) from None
        if response.status_code >= 400:
            raise StaxError(_error_text(response))
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    async def events(
        self, *, run_id: str | None = None, after: int | None = None
    ) -> AsyncIterator[Event]:
        """Canonical events from the daemon, resuming with Last-Event-ID after a drop."""
        import httpx
        from httpx_sse import aconnect_sse

        last = after
        while True:
            params: dict[str, str] = {"format": "canonical"}
            if run_id:
                params["runId"] = run_id
            headers = {"Last-Event-ID": str(last)} if last is not None else {}
            try:
                async with aconnect_sse(
                    self.http, "GET", "/api/events", params=params, headers=headers
                ) as source:
                    if source.response.status_code >= 400:
                        await source.response.aread()
                        raise StaxError(_error_text(source.response))
                    async for sse in source.aiter_sse():
                        if sse.event == "ping" or not sse.data:
                            continue
                        event = event_from_json(json.loads(sse.data))
                        last = event.seq
                        yield event
                return
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError):
                import trio

                await trio.sleep(0.5)  # the daemon restarted or the link dropped: resume


def event_from_json(obj: dict[str, Any]) -> Event:
    return Event(
        seq=int(obj["seq"]),
        ts=int(obj["ts"]),
        type=EventType(obj["type"]),
        run_id=str(obj["run_id"]),
        job_id=obj.get("job_id"),
        step_number=obj.get("step_number"),
        data=obj.get("data") or {},
    )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else str(error)
    except (ValueError, AttributeError):
        message = response.text[:200]
    return f"daemon: {message} (HTTP {response.status_code})"
