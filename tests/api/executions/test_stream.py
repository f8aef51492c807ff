"""GET /api/executions/{runId}/threads/stream (seed 000) against a real daemon."""

from __future__ import annotations

import json
from itertools import groupby
from typing import TYPE_CHECKING, Any

import trio

from runner.config import EnvironmentSettings, StreamSettings
from tests.sse_client import Frame, read_frames

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

    from tests.api.conftest import Daemon, DaemonFactory

# A matrix (build.1, build.2), a `needs` hand-over (package -> deploy), an approval
# (deploy, environment production), a matrix that only starts after the approval
# (verify.1, verify.2) and a failing job (lint).
CI = """
    name: CI
    on: push
    jobs:
      build:
        strategy:
          matrix:
            n: [1, 2]
        runs-on: ubuntu-latest
        steps:
          - name: Compile
            run: echo "building ${{ matrix.n }}"
      package:
        needs: build
        runs-on: ubuntu-latest
        outputs:
          version: ${{ steps.v.outputs.version }}
        steps:
          - id: v
            name: Version
            run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
      deploy:
        needs: package
        environment: production
        runs-on: ubuntu-latest
        steps:
          - name: Ship
            run: echo "deploying ${{ needs.package.outputs.version }}"
      verify:
        needs: deploy
        strategy:
          matrix:
            region: [eu, us]
        runs-on: ubuntu-latest
        steps:
          - name: Smoke
            run: echo "smoke ${{ matrix.region }}"
      lint:
        runs-on: ubuntu-latest
        steps:
          - name: Check
            run: echo checking; echo "bad style" >&2; exit 3
"""
APPROVAL = {"production": EnvironmentSettings(approval=True)}


async def ci_daemon(daemon_factory: DaemonFactory, **overrides: Any) -> Daemon:
    daemon = await daemon_factory(environments=APPROVAL, **overrides)
    daemon.write_workflow("ci.yml", CI)
    return daemon


async def start_ci(client: httpx.AsyncClient, daemon: Daemon, *, approve: bool = False) -> str:
    response = await client.post(
        "/api/runs", json={"workflow": "ci", "approve": approve}, headers=daemon.auth
    )
    assert response.status_code == 201, response.text
    return str(response.json()["runId"])


async def approve(client: httpx.AsyncClient, daemon: Daemon, run_id: str, job: str) -> None:
    response = await client.post(
        f"/api/runs/{run_id}/jobs/{job}/approve", json={}, headers=daemon.auth
    )
    assert response.status_code == 200, response.text


async def threads(
    client: httpx.AsyncClient,
    run_id: str,
    *,
    params: Any = None,
    headers: dict[str, str] | None = None,
    on_frame: Callable[[Frame], Awaitable[None]] | None = None,
    limit: float = 20,
) -> list[Frame]:
    """Every frame of the execution stream until the server ends it."""
    return await read_frames(
        client,
        "GET",
        f"/api/executions/{run_id}/threads/stream",
        params=params,
        headers=headers or {},
        on_frame=on_frame,
        limit=limit,
    )


def approver(
    client: httpx.AsyncClient, daemon: Daemon, run_id: str
) -> Callable[[Frame], Awaitable[None]]:
    async def on_frame(frame: Frame) -> None:
        if frame.event == "thread_blocked":
            await approve(client, daemon, run_id, frame.data["threadId"])

    return on_frame


def by_thread(frames: list[Frame]) -> dict[str, list[Frame]]:
    out: dict[str, list[Frame]] = {}
    for frame in frames:
        if frame[0] != "connected":
            out.setdefault(frame[2]["threadId"], []).append(frame)
    return out


def shape(frames: list[Frame]) -> list[str]:
    """Event names, a run of output lines shown once as `thread_output*`."""
    return [
        f"{name}*" if name == "thread_output" else name for name, _ in groupby(f[0] for f in frames)
    ]


def inner(frame: Frame) -> Any:
    return json.loads(frame[2]["data"]["data_json"])


def id_key(frame_id: str) -> tuple[int, int]:
    seq, _, index = frame_id.partition(".")
    return int(seq), int(index or -1)


async def test_a_run_as_execution_threads_event_by_event(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon)
        async with client.stream("GET", f"/api/executions/{run_id}/threads/stream") as resp:
            assert resp.status_code == 200
            assert {
                k: resp.headers[k]
                for k in ("content-type", "cache-control", "connection", "x-accel-buffering")
            } == {
                "content-type": "text/event-stream",
                "cache-control": "no-cache",
                "connection": "keep-alive",
                "x-accel-buffering": "no",
            }
        frames = await threads(client, run_id, on_frame=approver(client, daemon, run_id))

    assert frames[0] == ("connected", "0", {"executionId": run_id, "threadIds": None})
    ids = [id_key(f[1]) for f in frames[1:]]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    threads_ = by_thread(frames)
    assert sorted(threads_) == [
        "build.1",
        "build.2",
        "deploy",
        "lint",
        "package",
        "verify.1",
        "verify.2",
    ]
    plain = [
        "thread_started",
        "thread_tool_running",
        "thread_status",
        "thread_output*",
        "thread_turn_complete",
    ]
    for thread in ("build.1", "build.2", "package", "verify.1", "verify.2"):
        assert shape(threads_[thread]) == [*plain, "thread_completed"], thread
    assert shape(threads_["lint"]) == [*plain, "thread_failed"]
    assert shape(threads_["deploy"]) == [
        "thread_started",
        "thread_blocked",
        "thread_status",
        *plain[1:],
        "thread_completed",
    ]
    for thread, own in threads_.items():
        assert [f[2]["data"]["sequence"] for f in own] == list(range(1, len(own) + 1)), thread
        for name, _, data in own:
            assert data["executionId"] == run_id
            assert data["type"] == f"gateway_{name}"
            assert data["data"]["thread_id"] == thread
            assert data["data"]["event_type"] == name.removeprefix("thread_")
            ms = data["data"]["timestamp_ms"]
            assert data["timestamp"].endswith("Z")
            assert len(data["timestamp"]) == 24
            assert data["timestamp"][20:23] == f"{ms % 1000:03d}"

    build2 = threads_["build.2"]
    assert inner(build2[0]) == {"name": "build (2)", "key": "build", "matrix": {"n": 2}}
    assert inner(build2[1]) == {"tool": "Compile", "stepNumber": 1}
    assert inner(build2[2]) == {"summary": "step 1/1: Compile"}
    assert {"text": "building 2", "stream": "stdout", "stepNumber": 1} in map(inner, build2)
    assert inner(build2[-2]) == {
        "tool": "Compile",
        "stepNumber": 1,
        "conclusion": "success",
        "error": None,
    }
    assert inner(build2[-1]) == {"conclusion": "success", "error": None}
    deploy = threads_["deploy"]
    assert inner(deploy[1]) == {
        "reason": "Waiting for approval to deploy to environment 'production'",
        "environment": "production",
    }
    assert inner(deploy[2]) == {"summary": "approved by api", "approved": True, "by": "api"}
    assert {"text": "deploying 1.2.3", "stream": "stdout", "stepNumber": 1} in map(inner, deploy)
    lint = threads_["lint"]
    assert {"text": "bad style", "stream": "stderr", "stepNumber": 1} in map(inner, lint)
    assert inner(lint[-2])["conclusion"] == "failure"
    assert inner(lint[-1]) == {"conclusion": "failure", "error": inner(lint[-1])["error"]}
    assert inner(lint[-1])["error"].startswith("step 1 (Check) failed")


async def test_thread_filter_and_new_matrix_threads(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon, approve=True)
        every = await threads(client, run_id)
        some = await threads(client, run_id, params={"threadIds": "build,lint"})
        one = await threads(client, run_id, params={"threadIds": "build.2"})
    assert some[0][2] == {"executionId": run_id, "threadIds": ["build", "lint"]}
    assert one[0][2] == {"executionId": run_id, "threadIds": ["build.2"]}
    assert set(by_thread(some)) == {"build.1", "build.2", "lint"}
    assert set(by_thread(one)) == {"build.2"}
    # The filter only selects: the same frames, the same ids and sequences.
    assert some[1:] == [f for f in every[1:] if f[2]["threadId"] in ("build.1", "build.2", "lint")]
    assert one[1:] == [f for f in every[1:] if f[2]["threadId"] == "build.2"]


async def test_history_then_live_with_threads_that_appear_after_connecting(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon)
        seen_before_approval: set[str] = set()

        async def on_frame(frame: Frame) -> None:
            if frame.event == "thread_blocked":
                seen_before_approval.update(by_thread(frames_so_far))
                await approve(client, daemon, run_id, frame.data["threadId"])

        frames_so_far: list[Frame] = []

        async def record(frame: Frame) -> None:
            frames_so_far.append(frame)
            await on_frame(frame)

        frames = await threads(
            client, run_id, params={"threadIds": "deploy,verify"}, on_frame=record
        )
    assert set(by_thread(frames)) == {"deploy", "verify.1", "verify.2"}
    assert seen_before_approval == {"deploy"}  # the matrix came later, on the same stream
    verify = by_thread(frames)["verify.2"]
    assert inner(verify[0]) == {"name": "verify (us)", "key": "verify", "matrix": {"region": "us"}}
    assert shape(verify)[-1] == "thread_completed"


async def test_last_event_id_resumes_exactly_and_a_finished_execution_ends_with_204(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon, approve=True)
        every = await threads(client, run_id)
        url = f"/api/executions/{run_id}/threads/stream"
        # Resume after a line inside a log chunk, after a whole event, and from 0.
        line = next(i for i, f in enumerate(every) if "." in f[1] and not f[1].endswith(".0"))
        whole = next(i for i, f in enumerate(every) if f[0] == "thread_turn_complete")
        for cut in (line, whole, 0):
            last_id = every[cut][1]
            rest = await threads(client, run_id, headers={"Last-Event-ID": last_id})
            assert rest[0] == ("connected", last_id, {"executionId": run_id, "threadIds": None})
            assert rest[1:] == every[cut + 1 :], last_id  # same ids, same sequences
        # Nothing left: 204, so an EventSource stops reconnecting.
        done = await client.get(url, headers={"Last-Event-ID": every[-1][1]})
        assert done.status_code == 204
        assert done.content == b""
        lint_last = [f for f in every if f[2].get("threadId") == "lint"][-1][1]
        filtered = await client.get(
            url, params={"threadIds": "lint"}, headers={"Last-Event-ID": lint_last}
        )
        assert filtered.status_code == 204
        # ... but other threads still had events after lint's last one.
        assert id_key(lint_last) < id_key(every[-1][1])


async def test_errors(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon, approve=True)
        url = f"/api/executions/{run_id}/threads/stream"
        missing = await client.get("/api/executions/nope/threads/stream")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/json"
        assert missing.json()["error"]["type"] == "not_found_error"
        for params in (
            {"threadIds[]": "build"},
            {"threadIds": ""},
            {"threadIds": "a,,b"},
            {"threadIds": "a b"},
        ):
            bad = await client.get(url, params=params)
            assert bad.status_code == 400, params
            assert bad.json()["error"]["type"] == "invalid_request_error"
        for last_id in ("x", "1.x", "99999999"):
            bad = await client.get(url, headers={"Last-Event-ID": last_id})
            assert bad.status_code == 400, last_id


async def test_heartbeat_then_cleanup_on_disconnect(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(
        daemon_factory, streams=StreamSettings(heartbeat_seconds=0.2, ping_seconds=0.2)
    )
    bus = daemon.services.bus
    registry = daemon.services.thread_streams
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon)  # deploy waits for approval: the run is idle
        baseline = bus.statistics().subscribers
        with trio.fail_after(10):
            async with client.stream(
                "GET", f"/api/executions/{run_id}/threads/stream", params={"threadIds": "deploy"}
            ) as response:
                lines = response.aiter_lines()
                heartbeats = 0
                async for line in lines:
                    if line == ": heartbeat":
                        heartbeats += 1
                        if heartbeats == 3:
                            break
                assert registry.statistics().open == 1
                assert bus.statistics().subscribers == baseline + 1
            # The client went away: the server's generator ends, taking the subscription
            # and the heartbeat with it.
            while registry.statistics().open:
                await registry.wait_changed()
        assert bus.statistics().subscribers == baseline
        beats = registry.statistics().heartbeats
        assert beats >= 3
        # Three more intervals, timed by the daemon's own keepalive on /api/events (a
        # ping on connect, then one per 0.2 s idle): a live timer would have beaten again.
        pings = 0

        def fourth_ping(frame: Frame) -> bool:
            nonlocal pings
            pings += frame.event == "ping"
            return pings == 4

        await read_frames(client, "GET", "/api/events", until=fourth_ping)
        assert registry.statistics().heartbeats == beats
        await approve(client, daemon, run_id, "deploy")
