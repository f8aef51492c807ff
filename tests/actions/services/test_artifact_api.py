"""The artifact APIs refuse what GitHub refuses, and keep each run's artifacts to it."""

from __future__ import annotations

import gzip

import httpx
import pytest

from tests.actions.services.conftest import Served

IDS = {"workflow_run_backend_id": "run1", "workflow_job_run_backend_id": "build"}


async def create(
    served: Served, client: httpx.AsyncClient, name: str, **ids: str
) -> httpx.Response:
    body = {**IDS, **ids, "name": name, "version": 7}
    return await served.twirp(client, "ArtifactService", "CreateArtifact", body)


async def test_a_missing_or_forged_token_is_unauthenticated(served: Served) -> None:
    forged = served.token().rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    for token in (None, "x", forged):
        async with served.client(token) as client:
            response = await served.twirp(client, "ArtifactService", "ListArtifacts", IDS)
            assert response.status_code == 401
            assert response.json()["code"] == "unauthenticated"
            v3 = await client.get("/_services/_apis/pipelines/workflows/run1/artifacts")
            assert v3.status_code == 401


async def test_a_job_reaches_its_own_runs_artifacts_only(served: Served) -> None:
    async with (
        served.client(served.token("run1")) as one,
        served.client(served.token("run2")) as two,
    ):
        async with httpx.AsyncClient(timeout=10) as plain:
            url = (await create(served, one, "secret")).json()["signed_upload_url"]
            assert (await plain.put(url, content=b"data")).status_code == 201
        finalize = {**IDS, "name": "secret", "size": "4"}
        assert (await served.twirp(one, "ArtifactService", "FinalizeArtifact", finalize)).json()[
            "ok"
        ]
        for method in ("ListArtifacts", "GetSignedArtifactURL", "DeleteArtifact", "CreateArtifact"):
            response = await served.twirp(two, "ArtifactService", method, {**IDS, "name": "secret"})
            assert response.status_code == 403, method
            assert response.json()["code"] == "permission_denied"
        own = await served.twirp(
            two, "ArtifactService", "ListArtifacts", {**IDS, "workflow_run_backend_id": "run2"}
        )
        assert own.json() == {"artifacts": []}
        v3 = await two.get("/_services/_apis/pipelines/workflows/run1/artifacts")
        assert v3.status_code == 403
        listed = await served.twirp(one, "ArtifactService", "ListArtifacts", IDS)
        [artifact] = listed.json()["artifacts"]
        assert artifact["name"] == "secret"
        assert artifact["size"] == "4"
        assert artifact["database_id"] == "1"


@pytest.mark.parametrize(
    "name", ["", "a/b", "a\\b", 'a"b', "a:b", "a<b", "a>b", "a|b", "a*b", "a?b", "a\nb"]
)
async def test_artifact_names_are_validated_as_github_validates_them(
    served: Served, name: str
) -> None:
    async with served.client(served.token()) as client:
        response = await create(served, client, name)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_argument"


async def test_names_are_unique_in_a_run_but_a_retried_upload_replaces_its_pending_one(
    served: Served,
) -> None:
    async with served.client(served.token()) as client, httpx.AsyncClient(timeout=10) as plain:
        await create(served, client, "dist")
        retry = (await create(served, client, "dist")).json()["signed_upload_url"]
        assert (await plain.put(retry, content=b"zip")).status_code == 201
        nothing = await served.twirp(
            client, "ArtifactService", "FinalizeArtifact", {**IDS, "name": "none"}
        )
        assert nothing.status_code == 404
        wrong = await served.twirp(
            client,
            "ArtifactService",
            "FinalizeArtifact",
            {**IDS, "name": "dist", "hash": "sha256:" + "0" * 64},
        )
        assert wrong.status_code == 400
        assert "digest" in wrong.json()["msg"]
        done = await served.twirp(
            client, "ArtifactService", "FinalizeArtifact", {**IDS, "name": "dist"}
        )
        assert done.json() == {"ok": True, "artifact_id": "2"}
        taken = await create(served, client, "dist")
        assert taken.status_code == 409
        assert taken.json()["code"] == "already_exists"
        deleted = await served.twirp(
            client, "ArtifactService", "DeleteArtifact", {**IDS, "name": "dist"}
        )
        assert deleted.json() == {"ok": True, "artifact_id": "2"}
        reborn = (await create(served, client, "dist")).json()["signed_upload_url"]
        assert (await plain.put(reborn, content=b"zip")).status_code == 201
        again = await served.twirp(
            client, "ArtifactService", "FinalizeArtifact", {**IDS, "name": "dist"}
        )
        assert again.json() == {"ok": True, "artifact_id": "3"}  # ids are never reused


async def test_finalizing_before_anything_was_uploaded_fails_the_precondition(
    served: Served,
) -> None:
    async with served.client(served.token()) as client:
        await create(served, client, "empty")
        response = await served.twirp(
            client, "ArtifactService", "FinalizeArtifact", {**IDS, "name": "empty"}
        )
        assert response.status_code == 412


async def test_v3_file_paths_cannot_leave_their_artifact(served: Served) -> None:
    async with served.client(served.token()) as client:
        created = await client.post(
            "/_services/_apis/pipelines/workflows/run1/artifacts",
            params={"api-version": "6.0-preview"},
            json={"Type": "actions_storage", "Name": "logs"},
        )
        assert created.status_code == 201, created.text
        resource = created.json()["fileContainerResourceUrl"]
        body = gzip.compress(b"line\n")
        for item in ("logs/../../escape", "/etc/passwd", "other/file", "logs/a:b", "logs"):
            response = await client.put(
                resource,
                params={"itemPath": item},
                content=body,
                headers={"Content-Range": f"bytes 0-{len(body) - 1}/{len(body)}"},
            )
            assert response.status_code == 400, item
        ok = await client.put(
            resource,
            params={"itemPath": "logs/dir/run.log"},
            content=body,
            headers={
                "Content-Range": f"bytes 0-{len(body) - 1}/{len(body)}",
                "Content-Encoding": "gzip",
            },
        )
        assert ok.status_code == 200, ok.text
        finalized = await client.patch(
            "/_services/_apis/pipelines/workflows/run1/artifacts",
            params={"artifactName": "logs"},
            json={"Size": len(body)},
        )
        assert finalized.status_code == 200
        items = (await client.get(resource, params={"itemPath": "logs"})).json()
        assert [i["path"] for i in items["value"]] == ["logs/dir/run.log"]
        content = await client.get(items["value"][0]["contentLocation"])
        assert content.headers["content-encoding"] == "gzip"
        assert content.content == b"line\n"  # httpx decodes it, as the client does


async def test_requests_from_elsewhere_are_refused(served: Served) -> None:
    async with served.client(served.token()) as client:
        rebound = await client.get("/_services/x", headers={"Host": "evil.example:80"})
        assert rebound.status_code == 403
        page = await served.twirp(client, "ArtifactService", "ListArtifacts", IDS)
        assert page.status_code == 200
        from_page = await client.post(
            "/twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts",
            json=IDS,
            headers={"Origin": "http://evil.example"},
        )
        assert from_page.status_code == 403
