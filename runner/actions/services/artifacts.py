"""Artifacts: kept per run, in the run's files (<data_dir>/runs/<run_id>/artifacts),
so retention removes them with the run.

    artifacts/index.json     every artifact of the run (written aside, then renamed)
    artifacts/<id>/blob      a v4 artifact: the zip (or the one raw file) as uploaded
    artifacts/<id>/files/…   a v3 artifact: its files, gzip-encoded where the client sent so

A v4 artifact is created, uploaded as one blob (Azure block semantics, see blobs.py) and
finalized; from then on it is immutable and listed. Names are unique in a run, as on
GitHub. A v3 artifact is a file container several jobs may add files to (v3's matrix
uploads). Only the run's own jobs — their runtime tokens — reach a run's artifacts.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from runner import json_text
from runner.actions.services.blobs import BlobInfo, BlobSlot, read_info
from runner.actions.services.http import ServiceError
from runner.events.store import run_files_dir
from runner.events.types import now_ms

if TYPE_CHECKING:
    from runner.actions.services.tokens import RuntimeClaims

# What GitHub refuses in an artifact name, and (minus the slashes) in a file's path in one.
_PATH_CHARACTERS = {
    '"': "double quote",
    ":": "colon",
    "<": "less than",
    ">": "greater than",
    "|": "vertical bar",
    "*": "asterisk",
    "?": "question mark",
    "\r": "carriage return",
    "\n": "line feed",
}
_NAME_CHARACTERS = {**_PATH_CHARACTERS, "\\": "backslash", "/": "forward slash"}
V4, V3 = "v4", "v3"
PENDING, FINALIZED = "pending", "finalized"


def check_name(name: str) -> str:
    """`name` if GitHub accepts it as an artifact name; else a 400 saying why."""
    if not name.strip():
        raise ServiceError(400, "invalid_argument", "the artifact name is empty")
    for character, what in _NAME_CHARACTERS.items():
        if character in name:
            raise ServiceError(
                400,
                "invalid_argument",
                f"the artifact name {name!r} contains a {what} ({character!r}); "
                f"not allowed: {' '.join(repr(c) for c in _NAME_CHARACTERS)}",
            )
    return name


def check_item_path(path: str) -> list[str]:
    """The parts of a file's path inside an artifact; a 400 for anything that could
    leave the artifact (an absolute path, `..`) or that GitHub refuses."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith(("/", "\\")) or any(p in ("", ".", "..") for p in parts):
        raise ServiceError(400, "invalid_argument", f"invalid path in the artifact: {path!r}")
    for character, what in _PATH_CHARACTERS.items():
        if character in path:
            raise ServiceError(
                400, "invalid_argument", f"the path {path!r} contains a {what} ({character!r})"
            )
    return parts


@dataclass(slots=True, kw_only=True)
class Artifact:
    id: int
    name: str
    kind: str  # V4 or V3
    run_id: str
    job_id: str
    state: str = PENDING
    created_at: int = field(default_factory=now_ms)
    finalized_at: int | None = None
    size: int = 0
    digest: str = ""  # "sha256:<hex>" of the blob (v4)
    content_type: str = "application/zip"
    file_name: str = ""  # what a download is called: <name>.zip, or the raw file's name
    expires_at: str | None = None
    # v3: item path (relative to the artifact) -> {"size": stored bytes, "gzip": bool}
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def finalized(self) -> bool:
        return self.state == FINALIZED

    @property
    def is_zip(self) -> bool:
        return self.kind == V3 or self.content_type == "application/zip"

    def public(self) -> dict[str, Any]:
        """The artifact as the REST API shows it."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "job_id": self.job_id,
            "size_in_bytes": self.size,
            "digest": self.digest or None,
            "content_type": "application/zip" if self.is_zip else self.content_type,
            "file_name": self.download_name,
            "created_at": self.created_at,
            "finalized_at": self.finalized_at,
        }

    @property
    def download_name(self) -> str:
        return f"{self.name}.zip" if self.kind == V3 else self.file_name


class ArtifactStore:
    """Every run's artifacts under `data_dir`. One process serves a run's jobs (the
    daemon, or the local run's own server), so a lock per run orders its changes; other
    processes only read, and see the index whole (it is replaced, never rewritten)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._locks: dict[str, trio.Lock] = {}

    # -- where things are -------------------------------------------------------------
    def root(self, run_id: str) -> Path:
        return run_files_dir(self.data_dir, run_id) / "artifacts"

    def directory(self, artifact: Artifact) -> Path:
        return self.root(artifact.run_id) / str(artifact.id)

    def _lock(self, run_id: str) -> trio.Lock:
        return self._locks.setdefault(run_id, trio.Lock())

    def load(self, run_id: str) -> list[Artifact]:
        try:
            raw = json.loads((self.root(run_id) / "index.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ServiceError(
                500, "internal", f"the run's artifact index is unreadable: {exc}"
            ) from None
        return [Artifact(**item) for item in raw["artifacts"]]

    def _save(self, run_id: str, artifacts: list[Artifact]) -> None:
        root = self.root(run_id)
        root.mkdir(parents=True, exist_ok=True)
        staged = root / f".index.{uuid.uuid4().hex}"
        staged.write_text(
            json_text.dumps({"artifacts": [asdict(a) for a in artifacts]}), encoding="utf-8"
        )
        os.replace(staged, root / "index.json")

    # -- reading ----------------------------------------------------------------------
    def listed(
        self,
        run_id: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        artifact_id: int | None = None,
    ) -> list[Artifact]:
        """The run's finalized artifacts, oldest first, filtered as asked."""
        return [
            a
            for a in self.load(run_id)
            if a.finalized
            and (kind is None or a.kind == kind)
            and (name is None or a.name == name)
            and (artifact_id is None or a.id == artifact_id)
        ]

    def find(self, run_id: str, artifact_id: int) -> Artifact | None:
        return next((a for a in self.load(run_id) if a.id == artifact_id), None)

    # -- v4: one blob -----------------------------------------------------------------
    async def create(
        self,
        claims: RuntimeClaims,
        name: str,
        *,
        content_type: str,
        expires_at: str | None,
        kind: str = V4,
    ) -> Artifact:
        """A new pending artifact (a pending one of the same name is replaced: a retried
        upload); 409 when the run already has one by that name."""
        check_name(name)
        run_id = claims.run_id
        async with self._lock(run_id):
            artifacts = self.load(run_id)
            same = [a for a in artifacts if a.name == name]
            if any(a.finalized or a.kind != kind for a in same):
                raise ServiceError(
                    409,
                    "already_exists",
                    f"an artifact named {name!r} already exists in this workflow run",
                )
            for old in same:
                artifacts.remove(old)
                shutil.rmtree(self.directory(old), ignore_errors=True)
            artifact = Artifact(
                id=self._next_id(run_id),
                name=name,
                kind=kind,
                run_id=run_id,
                job_id=claims.job_id,
                content_type=content_type,
                file_name=f"{name}.zip" if content_type == "application/zip" else name,
                expires_at=expires_at,
            )
            artifacts.append(artifact)
            self.directory(artifact).mkdir(parents=True, exist_ok=True)
            self._save(run_id, artifacts)
            return artifact

    def _next_id(self, run_id: str) -> int:
        """Ids are never reused in a run, even after a delete (a counter beside the index)."""
        counter = self.root(run_id) / "last_id"
        try:
            last = int(counter.read_text())
        except (OSError, ValueError):
            last = 0
        counter.parent.mkdir(parents=True, exist_ok=True)
        counter.write_text(str(last + 1))
        return last + 1

    def blob_slot(self, artifact: Artifact) -> BlobSlot:
        async def committed(info: BlobInfo) -> None:
            await self._update(artifact.run_id, artifact.id, content_type=info.content_type)

        return BlobSlot(
            directory=self.directory(artifact),
            writable=artifact.kind == V4 and not artifact.finalized,
            file_name=artifact.file_name,
            on_commit=committed,
        )

    async def finalize(self, claims: RuntimeClaims, name: str, *, digest: str | None) -> Artifact:
        """Mark the named pending artifact done, once its blob is whole (and matches the
        digest the client computed, when it sent one)."""
        async with self._lock(claims.run_id):
            artifacts = self.load(claims.run_id)
            artifact = next(
                (a for a in artifacts if a.name == name and a.kind == V4 and not a.finalized),
                None,
            )
            if artifact is None:
                raise ServiceError(
                    404, "not_found", f"no artifact named {name!r} is being uploaded in this run"
                )
            info = read_info(self.blob_slot(artifact))
            if info is None:
                raise ServiceError(
                    412,
                    "failed_precondition",
                    f"artifact {name!r}: nothing was uploaded (no committed blob)",
                )
            if digest and digest != f"sha256:{info.sha256}":
                raise ServiceError(
                    400,
                    "invalid_argument",
                    f"artifact {name!r}: the uploaded content's digest sha256:{info.sha256} "
                    f"differs from the client's {digest}",
                )
            artifact.state = FINALIZED
            artifact.finalized_at = now_ms()
            artifact.size = info.size
            artifact.digest = f"sha256:{info.sha256}"
            artifact.content_type = info.content_type or artifact.content_type
            self._save(claims.run_id, artifacts)
            return artifact

    async def delete(self, claims: RuntimeClaims, name: str) -> Artifact:
        async with self._lock(claims.run_id):
            artifacts = self.load(claims.run_id)
            artifact = next((a for a in artifacts if a.name == name and a.finalized), None)
            if artifact is None:
                raise ServiceError(404, "not_found", f"no artifact named {name!r} in this run")
            artifacts.remove(artifact)
            self._save(claims.run_id, artifacts)
            shutil.rmtree(self.directory(artifact), ignore_errors=True)
            return artifact

    async def _update(self, run_id: str, artifact_id: int, **changes: Any) -> None:
        async with self._lock(run_id):
            artifacts = self.load(run_id)
            for artifact in artifacts:
                if artifact.id == artifact_id:
                    for key, value in changes.items():
                        setattr(artifact, key, value)
            self._save(run_id, artifacts)

    # -- v3: a container of files -----------------------------------------------------
    async def open_container(self, claims: RuntimeClaims, name: str) -> Artifact:
        """The run's v3 artifact named `name`, created when it is new: v3 lets several
        jobs upload into one artifact."""
        existing = next((a for a in self.load(claims.run_id) if a.name == name), None)
        if existing is not None and existing.kind == V3:
            return existing
        return await self.create(
            claims, name, content_type="application/zip", expires_at=None, kind=V3
        )

    def file_path(self, artifact: Artifact, item_path: str) -> tuple[str, Path]:
        """(the path relative to the artifact, where it is stored) for an item path
        `<artifact name>/<path>`."""
        parts = check_item_path(item_path)
        if len(parts) < 2 or parts[0] != artifact.name:
            raise ServiceError(
                400,
                "invalid_argument",
                f"the item path {item_path!r} is not inside artifact {artifact.name!r}",
            )
        relative = "/".join(parts[1:])
        return relative, self.directory(artifact) / "files" / Path(*parts[1:])

    async def record_file(
        self, artifact: Artifact, relative: str, *, size: int, gzip_: bool
    ) -> None:
        async with self._lock(artifact.run_id):
            artifacts = self.load(artifact.run_id)
            for item in artifacts:
                if item.id == artifact.id:
                    item.files[relative] = {"size": size, "gzip": gzip_}
            self._save(artifact.run_id, artifacts)

    async def finalize_container(self, claims: RuntimeClaims, name: str) -> Artifact:
        async with self._lock(claims.run_id):
            artifacts = self.load(claims.run_id)
            artifact = next((a for a in artifacts if a.name == name and a.kind == V3), None)
            if artifact is None:
                raise ServiceError(404, "not_found", f"no artifact named {name!r} in this run")
            artifact.state = FINALIZED
            artifact.finalized_at = now_ms()
            artifact.size = sum(int(f["size"]) for f in artifact.files.values())
            self._save(claims.run_id, artifacts)
            return artifact

    # -- downloads for people (the REST API) ------------------------------------------
    async def archive(self, artifact: Artifact) -> tuple[Path, int]:
        """The file a download of `artifact` sends, and its size: a v4 blob as uploaded;
        a v3 artifact's files zipped (once, then kept)."""
        if artifact.kind == V4:
            info = read_info(self.blob_slot(artifact))
            if info is None:
                raise ServiceError(404, "not_found", "the artifact has no content")
            return self.directory(artifact) / "blob", info.size
        path = self.directory(artifact) / f"archive-{artifact.finalized_at}.zip"
        if not path.is_file():
            await trio.to_thread.run_sync(self._zip_files, artifact, path)
        return path, path.stat().st_size

    def _zip_files(self, artifact: Artifact, target: Path) -> None:
        staged = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        try:
            with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as archive:
                for relative, meta in sorted(artifact.files.items()):
                    source = self.directory(artifact) / "files" / relative
                    opener = gzip.open if meta.get("gzip") else open
                    with opener(source, "rb") as data, archive.open(relative, "w") as entry:
                        shutil.copyfileobj(data, entry, 1024 * 1024)
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
