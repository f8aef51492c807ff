"""The cache APIs as `@actions/cache` calls them.

v2 (ACTIONS_CACHE_SERVICE_V2 set; actions/cache v4+): Twirp JSON at
/twirp/github.actions.results.api.v1.CacheService/<Method>, the archive uploaded to a
signed blob URL (blobs.py: in one PUT up to 128 MiB, in 64 MiB blocks above) and
downloaded from one. `ok: false` from CreateCacheEntry means "not saved: already
cached, or being saved" — the client then just says so.

v1 (ACTIONS_CACHE_URL): GET …/_apis/artifactcache/cache?keys=…&version=… (204: a miss),
POST …/caches to reserve, PATCH …/caches/<id> with Content-Range chunks (in parallel,
each written at its offset), POST …/caches/<id> to commit once every byte arrived.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import trio

from runner.actions.services.artifact_routes import timestamp
from runner.actions.services.blobs import install_file
from runner.actions.services.environment import SERVICES_PREFIX
from runner.actions.services.http import Request, Response, ServiceError, json_response
from runner.actions.services.tokens import signed_url

if TYPE_CHECKING:
    from runner.actions.services.cache import CacheEntry, CacheStore
    from runner.actions.services.tokens import RuntimeClaims

CACHE_SERVICE = "github.actions.results.api.v1.CacheService"
BLOB_PREFIX = f"{SERVICES_PREFIX}blobs/cache/"
V1_PREFIX = f"{SERVICES_PREFIX}_apis/artifactcache/"
_CACHES_ID = re.compile(r"^caches/(\d+)$")
MAX_CHUNK_BYTES = 256 * 1024 * 1024


def blob_path(entry_id: int) -> str:
    return f"{BLOB_PREFIX}{entry_id}/cache.tzst"


def parse_blob_path(path: str) -> int | None:
    parts = path[len(BLOB_PREFIX) :].split("/")
    return int(parts[0]) if len(parts) == 2 and parts[0].isdigit() else None


class CacheRoutes:
    """Both APIs over one CacheStore; v1's upload progress (which byte ranges of a
    reservation have arrived) is kept here, in memory, by the process serving the job."""

    def __init__(self, store: CacheStore, key: bytes) -> None:
        self.store = store
        self.key = key
        self._ranges: dict[int, list[tuple[int, int]]] = {}

    # -- v2 -----------------------------------------------------------------------------
    async def twirp(self, method: str, request: Request, claims: RuntimeClaims) -> dict[str, Any]:
        body = await request.json()
        key = str(body.get("key") or "")
        version = str(body.get("version") or "")
        if method == "CreateCacheEntry":
            reserved = await self.store.reserve(claims, key, version)
            if isinstance(reserved, str):
                return {"ok": False, "signed_upload_url": "", "message": reserved}
            url = signed_url(self.key, request.origin, blob_path(reserved.id), "w")
            return {"ok": True, "signed_upload_url": url}
        if method == "FinalizeCacheEntryUpload":
            entry = await self.store.pending(claims, key=key, version=version)
            info = self.store.committed_info(entry)
            if info is None:
                return {"ok": False, "entry_id": "0", "message": "nothing was uploaded"}
            size = body.get("size_bytes", body.get("sizeBytes"))
            committed = await self.store.commit(
                entry, info, size=int(size) if size not in (None, "") else None
            )
            return {"ok": True, "entry_id": str(committed.id)}
        if method == "GetCacheEntryDownloadURL":
            restore = body.get("restore_keys", body.get("restoreKeys")) or []
            keys = [key, *(str(k) for k in restore if isinstance(k, str))]
            found = await self.store.lookup(keys, version, claims.read_scopes)
            if found is None:
                return {"ok": False, "signed_download_url": "", "matched_key": ""}
            url = signed_url(self.key, request.origin, blob_path(found.id), "r")
            return {"ok": True, "signed_download_url": url, "matched_key": found.key}
        raise ServiceError(404, "bad_route", f"the cache service has no method {method!r}")

    # -- v1 -----------------------------------------------------------------------------
    async def v1(self, request: Request, resource: str, claims: RuntimeClaims) -> Response:
        if resource == "cache" and request.method == "GET":
            keys = [k for k in request.query.get("keys", "").split(",") if k]
            version = request.query.get("version", "")
            found = await self.store.lookup(keys, version, claims.read_scopes)
            if found is None:
                return Response(status=204)
            return json_response(200, self._described(request, found))
        if resource == "caches" and request.method == "GET":
            entries = await self.store.matching(request.query.get("key", ""), claims.read_scopes)
            caches = [self._described(request, e, location=False) for e in entries]
            return json_response(200, {"totalCount": len(caches), "artifactCaches": caches})
        if resource == "caches" and request.method == "POST":
            return await self._reserve(request, claims)
        match = _CACHES_ID.match(resource)
        if match is not None and request.method == "PATCH":
            return await self._upload_chunk(request, int(match.group(1)), claims)
        if match is not None and request.method == "POST":
            return await self._commit(request, int(match.group(1)), claims)
        raise ServiceError(404, "not_found", f"no cache route {request.method} {resource}")

    def _described(
        self, request: Request, entry: CacheEntry, *, location: bool = True
    ) -> dict[str, Any]:
        described: dict[str, Any] = {
            "cacheKey": entry.key,
            "cacheVersion": entry.version,
            "scope": entry.scope,
            "creationTime": timestamp(entry.created_at),
        }
        if location:
            described["archiveLocation"] = signed_url(
                self.key, request.origin, blob_path(entry.id), "r"
            )
        return described

    async def _reserve(self, request: Request, claims: RuntimeClaims) -> Response:
        body = await request.json()
        size = body.get("cacheSize")
        reserved = await self.store.reserve(
            claims,
            str(body.get("key") or ""),
            str(body.get("version") or ""),
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        )
        if isinstance(reserved, str):
            status = 400 if "over the cache's limit" in reserved else 409
            return json_response(status, {"message": reserved, "typeKey": "ReserveCacheError"})
        self._ranges[reserved.id] = []
        return json_response(201, {"cacheId": reserved.id})

    async def _upload_chunk(
        self, request: Request, entry_id: int, claims: RuntimeClaims
    ) -> Response:
        entry = await self.store.pending(claims, entry_id=entry_id)
        match = re.fullmatch(
            r"bytes (\d+)-(\d+)/(\*|\d+)", request.headers.get("content-range", "")
        )
        if match is None:
            raise ServiceError(400, "invalid_argument", "expected Content-Range: bytes a-b/*")
        start, end = int(match.group(1)), int(match.group(2))
        if end < start:
            raise ServiceError(400, "invalid_argument", "an impossible Content-Range")
        slot = self.store.upload_slot(entry)
        slot.directory.mkdir(parents=True, exist_ok=True)
        length = end - start + 1
        saved = await request.save(
            slot.directory / "upload.part", limit=min(length, MAX_CHUNK_BYTES), offset=start
        )
        if saved.size != length:
            raise ServiceError(
                400, "invalid_argument", f"the chunk has {saved.size} bytes, not {length}"
            )
        self._ranges.setdefault(entry_id, []).append((start, end + 1))
        await self.store.touch(entry_id)
        return Response(status=204)

    async def _commit(self, request: Request, entry_id: int, claims: RuntimeClaims) -> Response:
        entry = await self.store.pending(claims, entry_id=entry_id)
        body = await request.json()
        size = body.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ServiceError(400, "invalid_argument", "the body must say the archive's size")
        missing = _gap(self._ranges.get(entry_id, []), size)
        if missing is not None:
            raise ServiceError(
                400,
                "invalid_argument",
                f"bytes {missing[0]}-{missing[1] - 1} of the {size} were never uploaded",
            )
        slot = self.store.upload_slot(entry)
        part = slot.directory / "upload.part"
        if size == 0:
            part.parent.mkdir(parents=True, exist_ok=True)
            part.touch()
        info = await trio.to_thread.run_sync(install_file, slot, part, "application/octet-stream")
        if info.size != size:
            raise ServiceError(
                400, "invalid_argument", f"the archive has {info.size} bytes, not {size}"
            )
        await self.store.commit(entry, info, size=size)
        self._ranges.pop(entry_id, None)
        return Response(status=204)


def _gap(ranges: list[tuple[int, int]], size: int) -> tuple[int, int] | None:
    """The first range of [0, size) no chunk covered, None when all arrived."""
    covered = 0
    for start, end in sorted(ranges):
        if start > covered:
            return covered, start
        covered = max(covered, end)
    return (covered, size) if covered < size else None
