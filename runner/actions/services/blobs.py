"""Blobs with Azure Block Blob semantics, the way the Azure client the toolkit uses
uploads them and a plain GET downloads them.

    PUT  …?comp=block&blockid=B   stage one block (the client sends several at once)
    PUT  …?comp=blocklist         commit: the blob is the listed blocks, in list order
    PUT  …                        a whole blob at once (x-ms-blob-type: BlockBlob)
    GET  …                        the committed blob

Invariant: a committed blob is the concatenation of the blocks its committed block list
names, in that order — never in the order they arrived. (Blocks arrive in parallel, so
arrival order differs from blob order; a blob assembled by arrival corrupts large
uploads.) A block staged twice keeps its last content; staged blocks the list does not
name are dropped. A blob is replaced whole (written aside, then renamed), so a reader
never sees half of one.

Each answer carries the headers the Azure client expects of the service
(x-ms-request-id, x-ms-version, Date, ETag; Content-MD5 when the client sent one to
check), and errors are Azure's XML.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING

import trio

from runner import json_text
from runner.actions.services.http import Request, Response, ServiceError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

MAX_BLOCK_BYTES = 256 * 1024 * 1024  # the clients send 8 MiB (artifacts) or 64 MiB (cache)
MAX_BLOB_PUT_BYTES = 256 * 1024 * 1024  # one-shot uploads: the cache client's are <= 128 MiB
MAX_BLOCKS = 50_000  # Azure's limit on a block list
_API_VERSION = "2025-01-05"


@dataclass(frozen=True, slots=True, kw_only=True)
class BlobInfo:
    """A committed blob: its size, SHA-256 (hex) and content type."""

    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BlobSlot:
    """Where one blob lives (`directory`), whether it may be written now, and who hears
    of its progress and commit (the artifact or the cache entry it belongs to)."""

    directory: Path
    writable: bool
    file_name: str
    on_commit: Callable[[BlobInfo], Awaitable[None]] | None = None
    on_progress: Callable[[], Awaitable[None]] | None = None

    @property
    def blob(self) -> Path:
        return self.directory / "blob"

    @property
    def meta(self) -> Path:
        return self.directory / "blob.json"

    @property
    def blocks(self) -> Path:
        return self.directory / "blocks"


def read_info(slot: BlobSlot) -> BlobInfo | None:
    """The committed blob's description, None when nothing is committed yet."""
    try:
        meta = json.loads(slot.meta.read_text(encoding="utf-8"))
        return BlobInfo(
            size=int(meta["size"]), sha256=meta["sha256"], content_type=meta["content_type"]
        )
    except (OSError, ValueError, KeyError):
        return None


async def handle_blob(request: Request, slot: BlobSlot) -> Response:
    """Answer one blob request (the URL's signature is already checked)."""
    comp = request.query.get("comp")
    if request.method in ("GET", "HEAD") and comp is None:
        return _download(request, slot)
    if request.method != "PUT":
        raise ServiceError(405, "UnsupportedHttpVerb", f"{request.method} is not supported here")
    if not slot.writable:
        raise ServiceError(
            409, "BlobImmutable", "this blob is finalized and can no longer be written"
        )
    if comp == "block":
        return await _stage_block(request, slot)
    if comp == "blocklist":
        return await _commit_block_list(request, slot)
    if comp is None:
        return await _put_blob(request, slot)
    raise ServiceError(400, "InvalidQueryParameterValue", f"comp={comp} is not supported")


async def _stage_block(request: Request, slot: BlobSlot) -> Response:
    block = _block_name(request.query.get("blockid", ""))
    slot.blocks.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a retried block replaces an earlier try whole.
    temporary = slot.blocks / f".{block}.{uuid.uuid4().hex}"
    try:
        digests = _md5_if_sent(request)
        saved = await request.save(temporary, limit=MAX_BLOCK_BYTES, digests=digests)
        _check_md5(request, saved.md5)
        os.replace(temporary, slot.blocks / block)
    finally:
        temporary.unlink(missing_ok=True)
    if slot.on_progress is not None:
        await slot.on_progress()
    return _answer(request, 201, _md5_header(saved.md5))


async def _commit_block_list(request: Request, slot: BlobSlot) -> Response:
    names = _parse_block_list(await request.read())
    content_type = request.headers.get("x-ms-blob-content-type", "application/octet-stream")
    missing = [n for n in names if not (slot.blocks / n).is_file()]
    info: BlobInfo | None
    if not missing:
        info = await trio.to_thread.run_sync(_assemble, slot, names, content_type)
    elif _committed_list(slot) == names and len(missing) == len(names):
        info = read_info(slot)  # a retried commit of what already is the blob: no change
    else:
        info = None
    if info is None:
        raise ServiceError(
            400,
            "InvalidBlockList",
            f"{len(missing)} of the {len(names)} listed blocks were never staged",
        )
    if slot.on_commit is not None:
        await slot.on_commit(info)
    return _answer(request, 201, _etag(info))


async def _put_blob(request: Request, slot: BlobSlot) -> Response:
    blob_type = request.headers.get("x-ms-blob-type", "BlockBlob")
    if blob_type != "BlockBlob":
        raise ServiceError(
            400, "InvalidHeaderValue", f"x-ms-blob-type {blob_type} is not supported"
        )
    content_type = request.headers.get(
        "x-ms-blob-content-type", request.headers.get("content-type", "application/octet-stream")
    )
    slot.directory.mkdir(parents=True, exist_ok=True)
    temporary = slot.directory / f".blob.{uuid.uuid4().hex}"
    try:
        digests = ("sha256", *_md5_if_sent(request))
        saved = await request.save(temporary, limit=MAX_BLOB_PUT_BYTES, digests=digests)
        _check_md5(request, saved.md5)
        info = BlobInfo(size=saved.size, sha256=saved.sha256, content_type=content_type)
        await trio.to_thread.run_sync(_install, slot, temporary, info, None)
    finally:
        temporary.unlink(missing_ok=True)
    if slot.on_commit is not None:
        await slot.on_commit(info)
    return _answer(request, 201, [*_etag(info), *_md5_header(saved.md5)])


def _download(request: Request, slot: BlobSlot) -> Response:
    info = read_info(slot)
    if info is None or not slot.blob.is_file():
        raise ServiceError(404, "BlobNotFound", "the blob does not exist (not uploaded yet?)")
    quoted = slot.file_name.replace("\\", "_").replace('"', "_")
    encoded = _rfc5987(slot.file_name)
    response = _answer(
        request,
        200,
        [
            *_etag(info),
            ("Content-Type", info.content_type),
            ("x-ms-blob-type", "BlockBlob"),
            (
                "Content-Disposition",
                f"attachment; filename=\"{quoted}\"; filename*=UTF-8''{encoded}",
            ),
        ],
    )
    response.file, response.file_size = slot.blob, info.size
    return response


def _assemble(slot: BlobSlot, names: list[str], content_type: str) -> BlobInfo:
    """Concatenate the listed blocks, in list order, into the blob (on a worker thread)."""
    temporary = slot.directory / f".blob.{uuid.uuid4().hex}"
    sha = hashlib.sha256()
    size = 0
    try:
        with open(temporary, "wb") as out:
            for name in names:
                with open(slot.blocks / name, "rb") as block:
                    while chunk := block.read(1024 * 1024):
                        out.write(chunk)
                        sha.update(chunk)
                        size += len(chunk)
        info = BlobInfo(size=size, sha256=sha.hexdigest(), content_type=content_type)
        _install(slot, temporary, info, names)
    finally:
        temporary.unlink(missing_ok=True)
    shutil.rmtree(slot.blocks, ignore_errors=True)
    return info


def install_file(slot: BlobSlot, path: Path, content_type: str) -> BlobInfo:
    """Make `path` (a file in the slot's directory) the committed blob (a worker thread)."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as data:
        while chunk := data.read(1024 * 1024):
            sha.update(chunk)
            size += len(chunk)
    info = BlobInfo(size=size, sha256=sha.hexdigest(), content_type=content_type)
    _install(slot, path, info, None)
    return info


def _install(slot: BlobSlot, temporary: Path, info: BlobInfo, names: list[str] | None) -> None:
    """Put a finished blob in place, then its description (readers check both)."""
    os.replace(temporary, slot.blob)
    meta = {
        "size": info.size,
        "sha256": info.sha256,
        "content_type": info.content_type,
        "blocks": names,
    }
    staged = slot.directory / f".meta.{uuid.uuid4().hex}"
    staged.write_text(json_text.dumps(meta), encoding="utf-8")
    os.replace(staged, slot.meta)


def _committed_list(slot: BlobSlot) -> list[str] | None:
    try:
        blocks = json.loads(slot.meta.read_text(encoding="utf-8")).get("blocks")
    except (OSError, ValueError):
        return None
    return blocks if isinstance(blocks, list) else None


def _block_name(block_id: str) -> str:
    """A block id (base64 of at most 64 bytes, Azure's rule) as a file name."""
    try:
        raw = base64.b64decode(block_id, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw or len(raw) > 64:
        raise ServiceError(
            400, "InvalidQueryParameterValue", "blockid must be base64 of 1 to 64 bytes"
        )
    return raw.hex()


def _parse_block_list(body: bytes) -> list[str]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ServiceError(400, "InvalidXmlDocument", f"the block list is not XML: {exc}") from None
    if root.tag != "BlockList":
        raise ServiceError(400, "InvalidXmlDocument", "the body must be a <BlockList>")
    names = []
    for element in root:
        if element.tag not in ("Latest", "Committed", "Uncommitted"):
            raise ServiceError(400, "InvalidXmlDocument", f"unexpected <{element.tag}>")
        names.append(_block_name((element.text or "").strip()))
    if len(names) > MAX_BLOCKS:
        raise ServiceError(400, "BlockListTooLong", f"more than {MAX_BLOCKS} blocks")
    return names


def _md5_if_sent(request: Request) -> tuple[str, ...]:
    """MD5 costs as much as the write: computed only when the client sent one to check."""
    return ("md5",) if "content-md5" in request.headers else ()


def _md5_header(md5: bytes) -> list[tuple[str, str]]:
    return [("Content-MD5", base64.b64encode(md5).decode())] if md5 else []


def _check_md5(request: Request, md5: bytes) -> None:
    claimed = request.headers.get("content-md5")
    if claimed and claimed.strip() != base64.b64encode(md5).decode():
        raise ServiceError(400, "Md5Mismatch", "the body's MD5 differs from its Content-MD5")


def _etag(info: BlobInfo) -> list[tuple[str, str]]:
    return [("ETag", f'"0x{info.sha256[:16].upper()}"'), ("Last-Modified", formatdate(usegmt=True))]


def _answer(request: Request, status: int, headers: list[tuple[str, str]]) -> Response:
    return Response(status=status, headers=[*azure_headers(request), *headers])


def azure_headers(request: Request) -> list[tuple[str, str]]:
    """The headers every Azure Storage answer carries (the client reads them)."""
    headers = [
        ("x-ms-request-id", str(uuid.uuid4())),
        ("x-ms-version", request.headers.get("x-ms-version", _API_VERSION)),
        ("Date", formatdate(usegmt=True)),
        ("x-ms-request-server-encrypted", "false"),
    ]
    client_id = request.headers.get("x-ms-client-request-id")
    if client_id:
        headers.append(("x-ms-client-request-id", client_id))
    return headers


def azure_error(request: Request, error: ServiceError) -> Response:
    """An error as Azure Storage words it (XML, and the code in x-ms-error-code)."""
    body = ET.Element("Error")
    ET.SubElement(body, "Code").text = error.code
    ET.SubElement(body, "Message").text = error.message
    text = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(body)
    return Response(
        status=error.status,
        headers=[
            *azure_headers(request),
            ("x-ms-error-code", error.code),
            ("Content-Type", "application/xml"),
        ],
        body=text,
    )


def _rfc5987(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
