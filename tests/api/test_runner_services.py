"""The runner services served by the daemon: the real toolkit clients in the steps of
runs it executes (in its engine process), the REST routes that list and serve a run's
artifacts, and the guards in front of them."""

from __future__ import annotations

import io
import os
import zipfile
from typing import TYPE_CHECKING, Any

import httpx
import trio

from runner.actions.services import CacheScope, RuntimeClaims, mint_token, new_key
from tests.actions.services.clients import requires_node_clients, results, workflow_text
from tests.actions.services.test_local_server import PROBE

if TYPE_CHECKING:
    from tests.api.conftest import Daemon, DaemonFactory

MAKE_AND_USE = """
    on: push
    jobs:
      make:
        runs-on: ubuntu-latest
        steps:
          - run: |
              mkdir -p dist/sub && printf 'one\\n' > dist/one.txt
              head -c 300000 /dev/urandom > dist/sub/two.bin && tar -cf dist.tar dist
          - run: node $CLIENTS/artifact.mjs upload dist dist
          - run: node $CLIENTS/artifact_v1.mjs upload dist-v3 dist
          - run: node $CLIENTS/cache.mjs save deps-1 dist
      use:
        needs: make
        runs-on: ubuntu-latest
        steps:
          - run: |
              mkdir original && tar -xf dist.tar -C original && rm -rf dist
              node $CLIENTS/artifact.mjs download dist got
              node $CLIENTS/cache.mjs restore deps-2 deps- dist
              diff -r original/dist got && diff -r original/dist dist
              echo IDENTICAL
"""
OTHER_RUN = """
    on: push
    jobs:
      look:
        runs-on: ubuntu-latest
        steps:
          - run: node $CLIENTS/artifact.mjs list
          - run: ACTIONS_RUNTIME_TOKEN="$FORGED" node $CLIENTS/artifact.mjs list || true
"""


async def finish(
    client: httpx.AsyncClient, daemon: Daemon, workflow: str, **body: Any
) -> tuple[dict[str, Any], str]:
    """Start a run, wait for it; its snapshot and every step's log."""
    response = await client.post(
        "/api/runs", json={"workflow": workflow, **body}, headers=daemon.auth
    )
    assert response.status_code == 201, response.text
    run_id = response.json()["runId"]
    with trio.fail_after(120):
        while True:
            run = (await client.get(f"/api/runs/{run_id}")).json()
            if run["status"] == "completed":
                break
            await trio.sleep(0.1)
    logs = []
    for job in run["jobs"]:
        for step in job["steps"]:
            url = f"/api/runs/{run_id}/jobs/{job['id']}/steps/{step['number']}/log"
            logs.append((await client.get(url)).text)
    return run, "".join(logs)


@requires_node_clients
async def test_the_toolkit_clients_round_trip_through_the_daemon(daemon: Daemon) -> None:
    daemon.write_workflow("services.yml", workflow_text(MAKE_AND_USE))
    daemon.write_workflow("other.yml", workflow_text(OTHER_RUN))
    async with daemon.client() as client:
        run, output = await finish(client, daemon, "services")
        assert run["conclusion"] == "success", output
        assert "IDENTICAL" in output
        assert {"matched": "deps-1"} in results(output)
        token_lines = [line for line in output.splitlines() if "eyJ" in line]
        assert token_lines == []  # the runtime token never reaches a log

        listed = (await client.get(f"/api/runs/{run['id']}/artifacts")).json()
        assert [(a["name"], a["kind"]) for a in listed["artifacts"]] == [
            ("dist", "v4"),
            ("dist-v3", "v3"),
        ]
        for artifact in listed["artifacts"]:
            download = await client.get(artifact["download_url"])
            assert download.status_code == 200
            assert download.headers["content-type"] == "application/zip"
            with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
                assert sorted(archive.namelist()) == ["one.txt", "sub/two.bin"]
                assert archive.read("one.txt") == b"one\n"
                assert len(archive.read("sub/two.bin")) == 300000
        missing = await client.get(f"/api/runs/{run['id']}/artifacts/99/zip")
        assert missing.status_code == 404
        assert (await client.get("/api/runs/nope/artifacts")).status_code == 404

        # Another run's job sees none of them, and a token it forges gets it nothing.
        forged = mint_token(
            new_key(),
            RuntimeClaims(run_id=run["id"], job_id="make", cache_scopes=(CacheScope(scope="x"),)),
        )
        other, other_output = await finish(client, daemon, "other", env={"FORGED": forged})
        assert other["conclusion"] == "success", other_output
        assert results(other_output) == [{"artifacts": []}]
        assert "(401)" in other_output


async def test_the_services_keep_the_daemons_host_check(daemon: Daemon) -> None:
    async with daemon.client() as client:
        for path in (
            "/twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts",
            "/_services/_apis/artifactcache/cache",
        ):
            rebound = await client.post(path, json={}, headers={"Host": "attacker.example"})
            assert rebound.status_code == 403
            unauthenticated = await client.post(path, json={})
            assert unauthenticated.status_code in (401, 405)
            daemon_token = await client.post(path, json={}, headers=daemon.auth)
            assert daemon_token.status_code in (
                401,
                405,
            )  # the daemon's token is not a runtime token


async def test_uploads_past_the_daemons_body_limit_reach_the_services(daemon: Daemon) -> None:
    """The daemon's own routes refuse bodies over 4 MiB; a blob upload is not theirs, and
    a refused one leaves the keep-alive connection working."""
    services = daemon.services.runner_services
    assert services is not None
    token = mint_token(services.key, RuntimeClaims(run_id="r", job_id="j"))
    body = os.urandom(6 * 1024 * 1024)
    async with daemon.client(headers={"Authorization": f"Bearer {token}"}) as client:
        created = await client.post(
            "/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact",
            json={
                "workflow_run_backend_id": "r",
                "workflow_job_run_backend_id": "j",
                "name": "big",
            },
        )
        url = created.json()["signed_upload_url"]
        refused = await client.put(url.replace("sig=", "sig=x"), content=body)
        assert refused.status_code == 403
        stored = await client.put(url, content=body, headers={"x-ms-blob-type": "BlockBlob"})
        assert stored.status_code == 201, stored.text
        assert (await client.get("/api/health")).status_code == 200


async def test_a_run_in_the_engine_process_reaches_the_services_without_node(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await daemon_factory()
    probe = daemon.root / "probe.py"
    probe.write_text(PROBE)
    daemon.write_workflow(
        "probe.yml",
        f"""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: python3 {probe}
        """,
    )
    async with daemon.client() as client:
        run, output = await finish(client, daemon, "probe")
    assert run["conclusion"] == "success", output
    assert 'LISTED {"artifacts":[]}' in output
