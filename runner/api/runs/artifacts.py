"""Artifacts for people: a run's artifacts listed, and each downloaded.

    GET /api/runs/{runId}/artifacts                       the run's finished artifacts
    GET /api/runs/{runId}/artifacts/{artifactId}/zip      one of them: its zip (a v4
        artifact as uploaded, a v3 one zipped from its files), or the file itself for
        one uploaded without an archive

Reads, like the other run routes: open on loopback unless stax.toml says otherwise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

import trio
from quart import Response

from runner.actions.services.http import ServiceError
from runner.api.responses import json_response
from runner.api.routing import RouteGroup, get
from runner.errors import ApiError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from runner.actions.services.artifacts import Artifact, ArtifactStore
    from runner.expressions.values import JSONValue

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CHUNK = 1024 * 1024


class ArtifactRoutes(RouteGroup):
    name = "artifacts"

    @get("/api/runs/<run_id>/artifacts")
    async def list_artifacts(self, run_id: str) -> Response:
        artifacts: list[JSONValue] = [
            {**a.public(), "download_url": f"/api/runs/{run_id}/artifacts/{a.id}/zip"}
            for a in await self._artifacts(run_id)
        ]
        return json_response({"total_count": len(artifacts), "artifacts": artifacts})

    @get("/api/runs/<run_id>/artifacts/<int:artifact_id>/zip")
    async def download_artifact(self, run_id: str, artifact_id: int) -> Response:
        artifact = next((a for a in await self._artifacts(run_id) if a.id == artifact_id), None)
        if artifact is None:
            raise ApiError(404, "not_found_error", f"run {run_id!r} has no artifact {artifact_id}")
        try:
            path, size = await self._store().archive(artifact)
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

    def _store(self) -> ArtifactStore:
        if self.services.runner_services is None:
            raise ApiError(503, "unavailable", "this daemon serves no artifacts")
        return self.services.runner_services.artifacts

    async def _artifacts(self, run_id: str) -> list[Artifact]:
        services = self.services
        store = self._store()
        known = _RUN_ID.match(run_id) is not None and (
            await services.store.get_run(run_id) is not None or run_id in services.manager.active
        )
        if not known:
            raise ApiError(404, "not_found_error", f"no run {run_id!r}")
        try:
            return store.listed(run_id)
        except ServiceError as exc:
            raise ApiError(500, "internal_error", exc.message) from None


async def _read(path: Path, size: int) -> AsyncIterator[bytes]:
    async with await trio.open_file(path, "rb") as handle:
        remaining = size
        while remaining > 0:
            chunk = await handle.read(min(_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
