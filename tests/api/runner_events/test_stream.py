"""GET /api/events against seed 003: headers, the sample stream, resume, filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.sse_client import Frame, read_frames

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

    from tests.api.conftest import Daemon

SEED_TYPES = (
    "run.started,run.completed,job.started,job.completed,step.started,step.completed,step.log"
)

CHECKOUT_AND_BUILD = """
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - name: Checkout
            uses: actions/checkout@v4
          - name: Build
            run: echo building
"""


async def start_run(client: httpx.AsyncClient, daemon: Daemon, workflow: str, **body: Any) -> str:
    response = await client.post(
        "/api/runs", json={"workflow": workflow, **body}, headers=daemon.auth
    )
    assert response.status_code == 201, response.text
    return str(response.json()["runId"])


async def collect(
    client: httpx.AsyncClient,
    params: dict[str, str],
    *,
    until: str = "run.completed",
    headers: dict[str, str] | None = None,
    start: Callable[[], Awaitable[Any]] | None = None,
    on_frame: Callable[[Frame], Awaitable[None]] | None = None,
    limit: float = 20,
) -> list[Frame]:
    """Every frame of /api/events until the `until` event. `start()` runs once the stream
    is open; `on_frame(frame)` sees each frame as it arrives."""
    return await read_frames(
        client,
        "GET",
        "/api/events",
        params=params,
        headers=headers or {},
        until=lambda frame: frame.event == until,
        on_open=start,
        on_frame=on_frame,
        limit=limit,
    )


def superset(actual: Any, expected: Any) -> bool:
    """Every field of `expected` is in `actual` with the same value (recursively)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and superset(actual[k], v) for k, v in expected.items()
        )
    return bool(actual == expected)


async def test_headers_and_ping_on_connect(daemon: Daemon) -> None:
    async with daemon.client() as client, client.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        for name, value in {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "connection": "keep-alive",
            "x-accel-buffering": "no",
        }.items():
            assert response.headers[name] == value
        first = b""
        async for chunk in response.aiter_bytes():
            first += chunk
            if b"\n\n" in first:
                break
        assert first.startswith(b"event: ping\n")
        assert b"data: {}\n\n" in first


async def test_seed_sample_stream_event_by_event(daemon: Daemon) -> None:
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    async with daemon.client() as client:
        run_ids: list[str] = []

        async def start() -> None:
            run_ids.append(await start_run(client, daemon, "build"))

        frames = await collect(client, {"types": SEED_TYPES}, start=start)
    run_id = run_ids[0]
    seed = [
        ("ping", {}),
        (
            "run.started",
            {"runId": run_id, "run": {"id": run_id, "status": "in_progress", "jobs": []}},
        ),
        ("job.started", {"runId": run_id, "jobId": "build", "job": {"name": "build", "steps": []}}),
        (
            "step.started",
            {"runId": run_id, "jobId": "build", "stepNumber": 1, "step": {"name": "Checkout"}},
        ),
        (
            "step.log",
            {
                "runId": run_id,
                "jobId": "build",
                "stepNumber": 1,
                "line": "Workspace already available\n",
            },
        ),
        (
            "step.completed",
            {"runId": run_id, "jobId": "build", "stepNumber": 1, "step": {"conclusion": "success"}},
        ),
    ]
    for (name, _, data), (want_name, want) in zip(frames[: len(seed)], seed, strict=True):
        assert name == want_name
        assert superset(data, want), (name, data, want)
    tail = [(name, data) for name, _, data in frames[len(seed) :]]
    assert [name for name, _ in tail][-2:] == ["job.completed", "run.completed"]
    assert superset(
        tail[-2][1], {"runId": run_id, "jobId": "build", "job": {"conclusion": "success"}}
    )
    assert superset(
        tail[-1][1], {"runId": run_id, "run": {"status": "completed", "conclusion": "success"}}
    )
    build_lines = [
        data["line"] for name, _, data in frames if name == "step.log" and data["stepNumber"] == 2
    ]
    assert "building\n" in build_lines


async def test_every_event_has_an_id_and_last_event_id_resumes_exactly(daemon: Daemon) -> None:
    daemon.write_workflow(
        "lines.yml",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: for i in $(seq 1 50); do echo "line $i"; done
    """,
    )
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "lines")
        everything = await collect(client, {"runId": run_id, "lastEventId": "0"})
        ids = [frame_id for name, frame_id, _ in everything if name != "ping"]
        assert all(ids)
        assert len(ids) == len(set(ids))
        # Resume from the middle of a log chunk: the rest follows, nothing repeated.
        log_frames = [(i, f) for i, f in enumerate(everything) if f[0] == "step.log"]
        cut_index, cut = log_frames[20]
        assert "." in cut[1]  # line ids address the line inside its chunk
        resumed = await collect(client, {"runId": run_id}, headers={"Last-Event-ID": cut[1]})
        assert [f for f in resumed if f[0] != "ping"] == everything[cut_index + 1 :]
        # Resume after a whole event.
        whole = next(i for i, f in enumerate(everything) if f[0] == "step.started")
        resumed = await collect(client, {"runId": run_id, "lastEventId": everything[whole][1]})
        assert [f for f in resumed if f[0] != "ping"] == everything[whole + 1 :]


async def test_filters_and_their_errors(daemon: Daemon) -> None:
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "build")
        frames = await collect(
            client, {"runId": run_id, "lastEventId": "0", "types": "job.completed,run.completed"}
        )
        assert [name for name, _, _ in frames] == ["ping", "job.completed", "run.completed"]
        for params, fragment in (
            ({"types": "nope"}, "unknown event type"),
            ({"lastEventId": "x1"}, "invalid event id"),
        ):
            response = await client.get("/api/events", params=params)
            assert response.status_code == 400
            assert fragment in response.json()["error"]["message"]
        other = await collect(client, {"runId": "nope", "lastEventId": "0"}, until="ping")
        assert other == [("ping", "", {})]


async def test_canonical_format_for_stax_clients(daemon: Daemon) -> None:
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "build")
        frames = await collect(client, {"runId": run_id, "lastEventId": "0", "format": "canonical"})
    events = [data for name, _, data in frames if name != "ping"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    logs = [e for e in events if e["type"] == "step.log"]
    assert logs
    assert all(isinstance(e["data"]["lines"], list) for e in logs)
