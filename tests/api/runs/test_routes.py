"""The REST surface: runs, logs, workflows, health; tokens, Host/Origin checks, bad bodies."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from typing import TYPE_CHECKING

import jsonschema
import trio

from runner.config import EnvironmentSettings
from tests.api.runner_events.test_stream import CHECKOUT_AND_BUILD, collect, start_run

if TYPE_CHECKING:
    from tests.api.conftest import Daemon, DaemonFactory
    from tests.sse_client import Frame


async def wait_for_run(client: object, run_id: str) -> dict:  # type: ignore[type-arg]
    with trio.fail_after(20):
        while True:
            response = await client.get(f"/api/runs/{run_id}")  # type: ignore[attr-defined]
            assert response.status_code == 200, response.text
            run = response.json()
            if run["status"] == "completed":
                return run  # type: ignore[no-any-return]
            await trio.sleep(0.02)


async def test_token_file_is_private_and_mutations_need_it(daemon: Daemon) -> None:
    token_file = daemon.settings.data_dir / "token"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    async with daemon.client() as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"x-api-key": "wrong"}):
            response = await client.post("/api/runs", json={"workflow": "build"}, headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "authentication_error"
        ok = await client.post(
            "/api/runs", json={"workflow": "build"}, headers={"x-api-key": daemon.address.token}
        )
        assert ok.status_code == 201
        # Reads are open on loopback.
        assert (await client.get("/api/runs")).status_code == 200


async def test_foreign_host_and_origin_are_refused(daemon: Daemon) -> None:
    async with daemon.client() as client:
        rebinding = await client.get("/api/health", headers={"Host": "evil.example:4800"})
        assert rebinding.status_code == 403
        assert rebinding.json()["error"]["type"] == "forbidden_host"
        cross_site = await client.post(
            "/api/runs",
            json={"workflow": "x"},
            headers={**daemon.auth, "Origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403
        assert cross_site.json()["error"]["type"] == "forbidden_origin"
        same = await client.get("/api/health", headers={"Origin": daemon.url})
        assert same.status_code == 200
        assert "access-control-allow-origin" not in same.headers


async def test_bad_bodies_get_specific_errors(daemon: Daemon) -> None:
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    daemon.write_workflow("broken.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    cases = [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 422, "must be a JSON object"),
        (b'{"workflow": 3}', 422, "field 'workflow' must be a string"),
        (b'{"workflow": "build", "bogus": 1}', 422, "unknown field 'bogus'"),
        (b"{}", 422, "missing field 'workflow'"),
        (b'{"workflow": "nope"}', 404, "no workflow named 'nope'"),
        (b'{"workflow": "../../etc/passwd"}', 403, "'..' paths are refused"),
        (b'{"workflow": "/etc/hostname"}', 403, "outside the workflow dirs"),
        (b'{"workflow": "broken"}', 422, "broken.yml"),
        (b'{"workflow": "build", "jobs": ["nope"]}', 422, "unknown job 'nope'"),
        (b'{"workflow": "build", "workdir": "relative"}', 422, "absolute path"),
        (b'{"workflow": "build", "localRepositories": {"x@v1": "/"}}', 422, "OWNER/REPO@REF"),
        (
            b'{"workflow": "build", "localRepositories": {"o/r@v1": "rel"}}',
            422,
            "localRepositories.o/r@v1: 'rel' is not an absolute path to a directory",
        ),
        (b'{"workflow": "build", "actionOfflineMode": "yes"}', 422, "actionOfflineMode"),
        (b'{"workflow": "build", "bind": "yes"}', 422, "bind"),
    ]
    async with daemon.client() as client:
        for body, status, fragment in cases:
            response = await client.post(
                "/api/runs",
                content=body,
                headers={**daemon.auth, "Content-Type": "application/json"},
            )
            assert response.status_code == status, (body, response.text)
            assert fragment in response.json()["error"]["message"], (body, response.text)
        # Nothing half-written: no run was recorded by any of them.
        assert (await client.get("/api/runs")).json()["runs"] == []


async def test_runs_list_get_log_and_unknowns(daemon: Daemon) -> None:
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    async with daemon.client() as client:
        first = await start_run(client, daemon, "build")
        await wait_for_run(client, first)
        second = await start_run(client, daemon, "build")
        run = await wait_for_run(client, second)
        assert run["run_number"] == 2
        assert [j["id"] for j in run["jobs"]] == ["build"]
        assert [s["name"] for s in run["jobs"][0]["steps"]] == ["Checkout", "Build"]
        page = (await client.get("/api/runs", params={"limit": 1})).json()
        assert [r["id"] for r in page["runs"]] == [second]
        older = (await client.get("/api/runs", params={"limit": 1, "before": page["next"]})).json()
        assert [r["id"] for r in older["runs"]] == [first]
        assert older["next"] is None
        log = await client.get(f"/api/runs/{second}/jobs/build/steps/2/log")
        assert log.headers["content-type"].startswith("text/plain")
        assert "building\n" in log.text
        for path in (
            "/api/runs/nope",
            f"/api/runs/{second}/jobs/build/steps/9/log",
            f"/api/runs/{second}/jobs/nope/steps/1/log",
        ):
            missing = await client.get(path)
            assert missing.status_code == 404
            assert missing.json()["error"]["type"] == "not_found_error"
        done = await client.post(f"/api/runs/{second}/cancel", headers=daemon.auth)
        assert done.status_code == 409
        assert (await client.post("/api/runs/nope/cancel", headers=daemon.auth)).status_code == 404
        bad = await client.get("/api/runs", params={"limit": "many"})
        assert bad.status_code == 400


async def test_cancel_a_running_run(daemon: Daemon) -> None:
    daemon.write_workflow(
        "slow.yml",
        """
        on: push
        jobs:
          slow:
            runs-on: ubuntu-latest
            steps:
              - run: echo started; sleep 30
              - if: always()
                run: echo cleaned up
    """,
    )
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "slow")
        cancelled: list[int] = []

        async def cancel_once_started(frame: Frame) -> None:
            if frame.event == "step.log" and frame.data["line"] == "started\n" and not cancelled:
                response = await client.post(f"/api/runs/{run_id}/cancel", headers=daemon.auth)
                cancelled.append(response.status_code)

        await collect(client, {"runId": run_id, "lastEventId": "0"}, on_frame=cancel_once_started)
        assert cancelled == [202]
        run = await wait_for_run(client, run_id)
    assert run["conclusion"] == "cancelled"
    steps = run["jobs"][0]["steps"]
    assert [s["conclusion"] for s in steps] == ["cancelled", "success"]


async def test_approval_over_http(daemon_factory: DaemonFactory) -> None:
    daemon = await daemon_factory(environments={"production": EnvironmentSettings(approval=True)})
    daemon.write_workflow(
        "deploy.yml",
        """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            environment: production
            steps:
              - run: echo deployed
    """,
    )
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "deploy")
        frames = await collect(client, {"runId": run_id, "lastEventId": "0"}, until="job.blocked")
        assert frames[-1][2]["environment"] == "production"
        not_waiting = await client.post(
            f"/api/runs/{run_id}/jobs/nope/approve", headers=daemon.auth
        )
        assert not_waiting.status_code == 404
        approved = await client.post(
            f"/api/runs/{run_id}/jobs/deploy/approve", json={}, headers=daemon.auth
        )
        assert approved.status_code == 200, approved.text
        run = await wait_for_run(client, run_id)
        assert run["conclusion"] == "success"
        again = await client.post(f"/api/runs/{run_id}/jobs/deploy/approve", headers=daemon.auth)
        assert again.status_code == 409


async def test_workflows_and_health(daemon: Daemon) -> None:
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    daemon.write_workflow("broken.yml", "on: push\njobs: {}\nbogus: 1\n")
    async with daemon.client() as client:
        listing = (await client.get("/api/workflows")).json()["workflows"]
        by_name = {w["name"]: w for w in listing}
        assert by_name["build"]["valid"] is True
        assert by_name["build"]["jobs"] == [{"id": "build", "name": "build", "needs": []}]
        assert by_name["broken"]["valid"] is False
        assert by_name["broken"]["errors"]
        health = (await client.get("/api/health")).json()
        assert health["status"] == "ok"
        assert health["accepting_runs"] is True


async def test_a_deleted_data_dir_degrades_the_daemon_at_once(daemon: Daemon) -> None:
    """The store's health as the HTTP side finds it on the spot (its own check of the files,
    not the engine's next report; tests/chaos/test_store_loss.py has the run in flight):
    degraded at once, runs refused, reads served."""
    daemon.write_workflow("build.yml", CHECKOUT_AND_BUILD)
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "build")
        await wait_for_run(client, run_id)
        shutil.rmtree(daemon.settings.data_dir)
        health = (await client.get("/api/health")).json()
        assert health["status"] == "degraded"
        assert "stax.db is gone" in health["store_error"]
        refused = await client.post("/api/runs", json={"workflow": "build"}, headers=daemon.auth)
        assert refused.status_code == 503
        assert refused.json()["error"]["type"] == "store_unavailable"
        assert (await client.get(f"/api/runs/{run_id}")).json()["conclusion"] == "success"


async def test_openapi_documents_every_route(daemon: Daemon) -> None:
    from runner.api.app import create_app

    async with daemon.client() as client:
        document = (await client.get("/openapi.json")).json()
    app = create_app(daemon.services)

    def shape(path: str) -> str:  # parameter names may differ; positions must not
        return re.sub(r"[{<][^}>]*[}>]", "{}", path)

    documented = {
        (shape(path), method) for path, ops in document["paths"].items() for method in ops
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("dashboard."):
            continue  # the dashboard's pages and assets are HTML, not API
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (shape(rule.rule), method.lower()) in documented, (rule.rule, method)


async def test_every_route_with_a_body_refuses_an_oversized_one_as_documented(
    daemon: Daemon,
) -> None:
    """A 413 from each route that takes a body, in the error format its document gives."""
    async with daemon.client() as client:
        document = (await client.get("/openapi.json")).json()
    with_body = [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert len(with_body) >= 5
    port = daemon.address.port
    for path, method, operation in with_body:
        assert {"408", "413"} <= set(operation["responses"]), (path, method)
        url = re.sub(r"{[^}]*}", "x", path)
        head = (
            f"{method.upper()} {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {daemon.address.token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n"
        )
        async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
            await stream.send_all(head.encode())
            answer = b""
            with trio.fail_after(10):
                while chunk := await stream.receive_some(65536):
                    answer += chunk  # the daemon closes after a 413
        status_line, _, body = answer.partition(b"\r\n\r\n")
        assert status_line.split()[1] == b"413", (path, status_line)
        schema = operation["responses"]["413"]["content"]["application/json"]["schema"]
        jsonschema.validate(json.loads(body), schema)
