"""The artifact APIs as the toolkit's clients call them.

v4 (`@actions/artifact` 2 and later; upload-artifact and download-artifact v4+): Twirp
JSON at /twirp/github.actions.results.api.v1.ArtifactService/<Method>; the content
goes to and comes from a signed blob URL (blobs.py).

v3 (`@actions/artifact` 1; the v3 actions): the pipelines API under ACTIONS_RUNTIME_URL:
a file container per artifact, files PUT in Content-Range chunks (gzip-encoded when the
client says so), the size PATCHed to finalize, items listed and fetched one by one.

Either way a request speaks for the run in its runtime token, and reaches only that
run's artifacts: the run a request names must be the token's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from runner.actions.services.artifacts import V3, V4, Artifact, ArtifactStore
from runner.actions.services.environment import SERVICES_PREFIX
from runner.actions.services.http import Request, Response, ServiceError, json_response
from runner.actions.services.tokens import signed_url
from runner.run_ids import same_run

if TYPE_CHECKING:
    from runner.actions.services.tokens import RuntimeClaims

ARTIFACT_SERVICE = "github.actions.results.api.v1.ArtifactService"
BLOB_PREFIX = f"{SERVICES_PREFIX}blobs/artifacts/"
PIPELINES = re.compile(rf"^{SERVICES_PREFIX}_apis/pipelines/workflows/([^/]+)/artifacts/?$")
CONTAINERS = re.compile(rf"^{SERVICES_PREFIX}_apis/resources/Containers/([^/]+)/(\d+)(/content)?$")
MAX_CHUNK_BYTES = 256 * 1024 * 1024


def blob_path(artifact: Artifact) -> str:
    return f"{BLOB_PREFIX}{artifact.run_id}/{artifact.id}/{artifact.file_name}"


def parse_blob_path(path: str) -> tuple[str, int] | None:
    """(run id, artifact id) of an artifact blob path."""
    parts = path[len(BLOB_PREFIX) :].split("/", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


# -- v4: Twirp ------------------------------------------------------------------------
async def twirp(
    method: str, request: Request, claims: RuntimeClaims, store: ArtifactStore, key: bytes
) -> dict[str, Any]:
    body = await request.json()
    _same_run(_field(body, "workflow_run_backend_id") or "(none)", claims)
    name = _field(body, "name")
    if method == "CreateArtifact":
        artifact = await store.create(
            claims,
            name,
            content_type=_field(body, "mime_type") or "application/zip",
            expires_at=_field(body, "expires_at") or None,
        )
        url = signed_url(key, request.origin, blob_path(artifact), "w")
        return {"ok": True, "signed_upload_url": url}
    if method == "FinalizeArtifact":
        artifact = await store.finalize(claims, name, digest=_field(body, "hash") or None)
        return {"ok": True, "artifact_id": str(artifact.id)}
    if method == "ListArtifacts":
        id_filter = _field(body, "id_filter")
        listed = store.listed(
            claims.run_id,
            kind=V4,
            name=_field(body, "name_filter") or None,
            artifact_id=int(id_filter) if id_filter.isdigit() else None,
        )
        return {"artifacts": [_listed(a) for a in listed]}
    if method == "GetSignedArtifactURL":
        found = store.listed(claims.run_id, kind=V4, name=name)
        if not found:
            raise ServiceError(404, "not_found", f"no artifact named {name!r} in this run")
        return {"signed_url": signed_url(key, request.origin, blob_path(found[-1]), "r")}
    if method == "DeleteArtifact":
        artifact = await store.delete(claims, name)
        return {"ok": True, "artifact_id": str(artifact.id)}
    raise ServiceError(404, "bad_route", f"the artifact service has no method {method!r}")


def _listed(artifact: Artifact) -> dict[str, Any]:
    item: dict[str, Any] = {
        "workflow_run_backend_id": artifact.run_id,
        "workflow_job_run_backend_id": artifact.job_id,
        "database_id": str(artifact.id),
        "name": artifact.name,
        "size": str(artifact.size),
        "created_at": timestamp(artifact.created_at),
    }
    if artifact.digest:
        item["digest"] = artifact.digest
    return item


def timestamp(ms: int) -> str:
    """Protobuf JSON's Timestamp: RFC 3339 in UTC, milliseconds."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _field(body: dict[str, Any], name: str) -> str:
    """A string field, by its proto name or its JSON (camelCase) name; a wrapper value
    (StringValue, Int64Value) arrives as the plain value."""
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
    value = body.get(name, body.get(camel, ""))
    if isinstance(value, dict):  # a wrapper sent as an object
        value = value.get("value", "")
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise ServiceError(400, "invalid_argument", f"{name} must be a string")
    return str(value)


# -- v3: the pipelines API ------------------------------------------------------------
async def pipelines(
    request: Request, run_id: str, claims: RuntimeClaims, store: ArtifactStore
) -> Response:
    """POST creates a container, PATCH finalizes it, GET lists the run's v3 artifacts."""
    _same_run(run_id, claims)
    if request.method == "POST":
        body = await request.json()
        artifact = await store.open_container(claims, str(body.get("Name") or ""))
        return json_response(201, _container(request, artifact, size=-1))
    if request.method == "PATCH":
        await request.json()  # {"Size": n}: the size is what was stored
        artifact = await store.finalize_container(claims, request.query.get("artifactName", ""))
        return json_response(200, _container(request, artifact, size=artifact.size))
    if request.method == "GET":
        listed = store.listed(claims.run_id, kind=V3)
        value = [_container(request, a, size=a.size) for a in listed]
        return json_response(200, {"count": len(value), "value": value})
    raise ServiceError(405, "method_not_allowed", f"{request.method} is not supported here")


async def containers(
    request: Request,
    run_id: str,
    artifact_id: int,
    content: bool,
    claims: RuntimeClaims,
    store: ArtifactStore,
) -> Response:
    """PUT a file chunk; GET the container's items, or (…/content) one file."""
    _same_run(run_id, claims)
    artifact = store.find(run_id, artifact_id)
    if artifact is None or artifact.kind != V3:
        raise ServiceError(404, "not_found", f"no artifact container {artifact_id} in this run")
    item_path = request.query.get("itemPath", "")
    if request.method == "PUT" and not content:
        return await _put_chunk(request, artifact, item_path, store)
    if request.method == "GET" and content:
        return _file(artifact, item_path, store)
    if request.method == "GET":
        return _items(request, artifact, item_path, store)
    raise ServiceError(405, "method_not_allowed", f"{request.method} is not supported here")


async def _put_chunk(
    request: Request, artifact: Artifact, item_path: str, store: ArtifactStore
) -> Response:
    relative, path = store.file_path(artifact, item_path)
    start, end, total = _content_range(request.headers.get("content-range", ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    if start == 0:
        path.unlink(missing_ok=True)  # the file's first chunk (again, on a retry): anew
    length = end - start + 1
    saved = await request.save(path, limit=min(MAX_CHUNK_BYTES, length), offset=start)
    if saved.size != length:
        raise ServiceError(
            400,
            "invalid_argument",
            f"the chunk has {saved.size} bytes, its Content-Range says {length}",
        )
    gzipped = request.headers.get("content-encoding", "").lower() == "gzip"
    await store.record_file(artifact, relative, size=total, gzip_=gzipped)
    return json_response(200, {"path": item_path, "fileLength": total})


def _items(request: Request, artifact: Artifact, prefix: str, store: ArtifactStore) -> Response:
    base = f"{request.origin}{SERVICES_PREFIX}_apis/resources/Containers/"
    value = []
    for relative, meta in sorted(artifact.files.items()):
        path = f"{artifact.name}/{relative}"
        if prefix and not (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
            continue
        query = urlencode({"itemPath": path})
        value.append(
            {
                "containerId": artifact.id,
                "scopeIdentifier": "00000000-0000-0000-0000-000000000000",
                "path": path,
                "itemType": "file",
                "status": "created",
                "fileLength": int(meta["size"]),
                "dateCreated": timestamp(artifact.created_at),
                "dateLastModified": timestamp(artifact.finalized_at or artifact.created_at),
                "createdBy": artifact.job_id,
                "lastModifiedBy": artifact.job_id,
                "contentLocation": f"{base}{artifact.run_id}/{artifact.id}/content?{query}",
            }
        )
    return json_response(200, {"count": len(value), "value": value})


def _file(artifact: Artifact, item_path: str, store: ArtifactStore) -> Response:
    relative, path = store.file_path(artifact, item_path)
    meta = artifact.files.get(relative)
    if meta is None or not path.is_file():
        raise ServiceError(404, "not_found", f"no file {item_path!r} in the artifact")
    headers = [("Content-Type", "application/octet-stream")]
    if meta.get("gzip"):
        headers.append(("Content-Encoding", "gzip"))
    return Response(status=200, headers=headers, file=path, file_size=path.stat().st_size)


def _container(request: Request, artifact: Artifact, *, size: int) -> dict[str, Any]:
    resource = (
        f"{request.origin}{SERVICES_PREFIX}_apis/resources/Containers/"
        f"{artifact.run_id}/{artifact.id}"
    )
    return {
        "containerId": artifact.id,
        "size": size,
        "signedContent": None,
        "fileContainerResourceUrl": resource,
        "type": "actions_storage",
        "name": artifact.name,
        "url": f"{request.origin}{SERVICES_PREFIX}_apis/pipelines/workflows/"
        f"{artifact.run_id}/artifacts?artifactName={quote(artifact.name)}",
    }


def _content_range(header: str) -> tuple[int, int, int]:
    if header.strip() == "bytes 0--1/0":  # how the v1 client sends an empty file
        return 0, -1, 0
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", header.strip())
    if match is None:
        raise ServiceError(
            400, "invalid_argument", f"expected Content-Range: bytes a-b/n, got {header!r}"
        )
    start, end, total = (int(g) for g in match.groups())
    if not start <= end < total:
        raise ServiceError(400, "invalid_argument", f"an impossible Content-Range: {header!r}")
    return start, end, total


def _same_run(run_id: str, claims: RuntimeClaims) -> None:
    if not same_run(run_id, claims.run_id):
        raise ServiceError(
            403,
            "permission_denied",
            f"this job belongs to run {claims.run_id}: it may reach that run's artifacts "
            f"only, not run {run_id}'s",
        )
