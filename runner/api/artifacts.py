"""Artifacts for people: a run's artifacts listed, and each downloaded.

    GET /api/runs/{runId}/artifacts                       the run's finished artifacts
    GET /api/runs/{runId}/artifacts/{artifactId}/zip      one of them: its zip (a v4
        artifact as uploaded, a v3 one zipped from its files), or the file itself for
        one uploaded without an archive

Reads, like the other run routes: open on loopback unless stax.toml says otherwise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import trio
from quart import Blueprint, Response, current_app

from runner import json_text
from runner.actions.services import ServiceError
from runner.api.openapi import document, error_response, json_response, path_param
from runner.errors import ApiError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from runner.actions.services import Artifact, ArtifactStore
    from runner.api.app import Services

blueprint = Blueprint("artifacts", __name__)

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CHUNK = 1024 * 1024


def _store() -> ArtifactStore:
    services: Services = current_app.config["STAX_DAEMON"]
    if services.runner is None:
        raise ApiError(503, "unavailable", "this daemon serves no artifacts")
    return services.runner.artifacts


async def _artifacts(run_id: str) -> list[Artifact]:
    services: Services = current_app.config["STAX_DAEMON"]
    store = _store()
    known = _RUN_ID.match(run_id) is not None and (
        await services.store.get_run(run_id) is not None or run_id in services.manager.active
    )
    if not known:
        raise ApiError(404, "not_found_error", f"no run {run_id!r}")
    try:
        return store.listed(run_id)
    except ServiceError as exc:
        raise ApiError(500, "internal_error", exc.message) from None


@blueprint.get("/api/runs/<run_id>/artifacts")
async def list_artifacts(run_id: str) -> Response:
    artifacts = [
        {**a.public(), "download_url": f"/api/runs/{run_id}/artifacts/{a.id}/zip"}
        for a in await _artifacts(run_id)
    ]
    body = {"total_count": len(artifacts), "artifacts": artifacts}
    return Response(json_text.dumps(body), content_type="application/json")


@blueprint.get("/api/runs/<run_id>/artifacts/<int:artifact_id>/zip")
async def download_artifact(run_id: str, artifact_id: int) -> Response:
    artifact = next((a for a in await _artifacts(run_id) if a.id == artifact_id), None)
    if artifact is None:
        raise ApiError(404, "not_found_error", f"run {run_id!r} has no artifact {artifact_id}")
    try:
        path, size = await _store().archive(artifact)
    except ServiceError as exc:
        raise ApiError(exc.status, "not_found_error", exc.message) from None
    name = artifact.download_name
    response = Response(
        _read(path, size),
        content_type="application/zip" if artifact.is_zip else artifact.content_type,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        },
    )
    response.timeout = None  # a large artifact may take longer than Quart's default 60 s
    return response


async def _read(path: Path, size: int) -> AsyncIterator[bytes]:
    async with await trio.open_file(path, "rb") as handle:
        remaining = size
        while remaining > 0:
            chunk = await handle.read(min(_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


_ARTIFACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "kind", "size_in_bytes", "download_url"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["v4", "v3"]},
        "job_id": {"type": "string"},
        "size_in_bytes": {"type": "integer"},
        "digest": {"type": ["string", "null"]},
        "content_type": {"type": "string"},
        "file_name": {"type": "string"},
        "created_at": {"type": "integer"},
        "finalized_at": {"type": ["integer", "null"]},
        "download_url": {"type": "string"},
    },
}
_RUN_PARAM = path_param("runId", "the run's id")

document(
    "/api/runs/{runId}/artifacts",
    "get",
    {
        "summary": "The run's artifacts (finished uploads, v4 and v3)",
        "parameters": [_RUN_PARAM],
        "responses": {
            "200": json_response(
                "The artifacts, oldest first",
                {
                    "type": "object",
                    "required": ["total_count", "artifacts"],
                    "properties": {
                        "total_count": {"type": "integer"},
                        "artifacts": {"type": "array", "items": _ARTIFACT_SCHEMA},
                    },
                },
            ),
            "404": error_response("no such run"),
        },
    },
)
document(
    "/api/runs/{runId}/artifacts/{artifactId}/zip",
    "get",
    {
        "summary": "Download one artifact: its zip, or its one file if it was uploaded "
        "without an archive",
        "parameters": [
            _RUN_PARAM,
            path_param("artifactId", "the artifact's id in the run", {"type": "integer"}),
        ],
        "responses": {
            "200": {
                "description": "The artifact",
                "content": {
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "404": error_response("no such run or artifact"),
        },
    },
)
