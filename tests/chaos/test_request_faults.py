"""An unexpected exception while serving a request fails that request only.

With the test-only hook (runner/api/faults.py), a route of every endpoint family raises
while a run writes its log and an SSE client follows it on a real Hypercorn server: each
faulted request gets its family's JSON 500, the traceback reaches the log, and the
stream, the run and every other request carry on as if nothing happened.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trio
from httpx_sse import aconnect_sse

from runner.api.faults import ENV, HEADER, InjectedFault
from runner.api.last_resort import LastResort

if TYPE_CHECKING:
    from tests.api.conftest import DaemonFactory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "skills"
TICKER = """
    on: push
    jobs:
      tick:
        runs-on: ubuntu-latest
        steps:
          - run: |
              i=0
              while [ ! -e "{go}" ]; do i=$((i+1)); echo "tick $i"; sleep 0.02; done
              echo done
"""
# (method, path, body, the family's 500 body given its message)
FAMILIES: list[tuple[str, str, Any, Any]] = [
    ("GET", "/api/runs", None, lambda m: {"error": {"type": "internal_error", "message": m}}),
    (
        "POST",
        "/api/runs",
        {"workflow": "ticker"},
        lambda m: {"error": {"type": "internal_error", "message": m}},
    ),
    (
        "GET",
        "/api/executions/{run}/threads/stream",
        None,
        lambda m: {"error": {"type": "internal_error", "message": m}},
    ),
    ("GET", "/openapi.json", None, lambda m: {"error": {"type": "internal_error", "message": m}}),
    (
        "GET",
        "/v1/sessions",
        None,
        lambda m: {"type": "error", "error": {"type": "internal_error", "message": m}},
    ),
    (
        "GET",
        "/v1/sessions/sess_{run}/events/stream",
        None,
        lambda m: {"type": "error", "error": {"type": "internal_error", "message": m}},
    ),
    ("GET", "/v1/skills", None, lambda m: {"error": {"type": "internal_error", "message": m}}),
    (
        "POST",
        "/v1/skills/text.summarize/execute/stream",
        {"inputs": {"text": "x"}},
        lambda m: {"error": {"type": "internal_error", "message": m}},
    ),
    ("POST", "/threads", {}, lambda m: {"error": "internal_error", "detail": m}),
    (
        "POST",
        "/threads/t1/stream/events",
        {"channels": ["values"]},
        lambda m: {"error": "internal_error", "detail": m},
    ),
    ("GET", "/", None, lambda m: {"error": {"type": "internal_error", "message": m}}),
]


async def test_a_fault_in_any_route_fails_that_request_only(
    daemon_factory: DaemonFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv(ENV, "1")
    daemon = await daemon_factory(skills_dirs=(EXAMPLES,))
    go = tmp_path / "go"
    daemon.write_workflow("ticker.yml", TICKER.format(go=go))
    ticks: list[str] = []
    seen_ticks = trio.Event()
    wanted = 3
    completed = trio.Event()

    async with daemon.client() as client, trio.open_nursery() as nursery:

        async def follow(task_status: trio.TaskStatus[None]) -> None:
            nonlocal seen_ticks
            async with aconnect_sse(client, "GET", "/api/events") as source:
                task_status.started()
                async for sse in source.aiter_sse():
                    line = json.loads(sse.data).get("line", "")
                    if sse.event == "step.log" and line.startswith("tick"):
                        ticks.append(line)
                        if len(ticks) >= wanted:
                            seen_ticks.set()
                    elif sse.event == "run.completed":
                        completed.set()
                        return

        with trio.fail_after(30):
            await nursery.start(follow)
            started = await client.post(
                "/api/runs", json={"workflow": "ticker"}, headers=daemon.auth
            )
            assert started.status_code == 201, started.text
            run_id = started.json()["runId"]
            await seen_ticks.wait()

            caplog.clear()
            for method, path, body, expected in FAMILIES:
                response = await client.request(
                    method,
                    path.format(run=run_id),
                    json=body,
                    headers={**daemon.auth, HEADER: "raise"},
                )
                assert response.status_code == 500, (path, response.text)
                assert response.headers["content-type"] == "application/json"
                assert response.json() == expected("internal error: InjectedFault"), path
            logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is InjectedFault]
            assert len(logged) == len(FAMILIES)
            assert all(r.levelno == logging.ERROR for r in logged)

            # Everything else carries on: the stream flows, requests answer, the run ends.
            seen_ticks, wanted = trio.Event(), len(ticks) + 3
            await seen_ticks.wait()
            assert (await client.get("/api/health")).json()["status"] == "ok"
            assert (await client.get("/api/runs")).json()["runs"][0]["id"] == run_id
            go.touch()
            await completed.wait()
            run = (await client.get(f"/api/runs/{run_id}")).json()
            assert run["conclusion"] == "success"
            assert ticks == [f"tick {i}\n" for i in range(1, len(ticks) + 1)]


async def test_an_error_outside_the_routes_is_still_the_familys_json_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The last resort, around the whole app: what escapes it (matching the URL, an error
    handler failing) is answered, unless the response has begun."""
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise ExceptionGroup("in a nursery", [KeyError("boom")])

    def body_of(path: str, status: int, message: str) -> str:
        return json.dumps({"path": path, "status": status, "message": message})

    scope = {"type": "http", "method": "GET", "path": "/v1/sessions"}
    await LastResort(broken, error_body=body_of)(scope, receive, send)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 500
    assert json.loads(sent[1]["body"]) == {
        "path": "/v1/sessions",
        "status": 500,
        "message": "internal error: KeyError",
    }
    assert any(r.exc_info and "boom" in str(r.exc_info[1].exceptions[0]) for r in caplog.records)

    async def half_sent(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    sent.clear()
    with pytest.raises(RuntimeError, match="mid-stream"):
        await LastResort(half_sent, error_body=body_of)(scope, receive, send)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start"]

    async def never(scope: Any, receive: Any, send: Any) -> None:
        await trio.sleep_forever()

    sent.clear()
    with trio.CancelScope() as cancel_scope:
        cancel_scope.cancel()
        await LastResort(never, error_body=body_of)(scope, receive, send)  # type: ignore[arg-type]
    assert cancel_scope.cancelled_caught
    assert sent == []
