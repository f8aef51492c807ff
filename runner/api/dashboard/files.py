"""The dashboard's files (runner/dashboard/), read once and served from memory.

Assets are served under `/assets/<version>/...`, where `version` is a digest of every
file, so a URL names one content forever: assets are cached `immutable`, and
index.html (`no-cache`, with an ETag) is all a browser revalidates.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

DASHBOARD_DIR = Path(__file__).resolve().parent.parent.parent / "dashboard"
_ASSET_PLACEHOLDER = "{{assets}}"
_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class Bundle:
    version: str
    assets: dict[str, Asset]
    index: Asset


def load_bundle(root: Path = DASHBOARD_DIR) -> Bundle:
    """Every file of the dashboard, read once, with the version that names them all."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    digest = hashlib.sha256()
    for name, body in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(body).digest())
    version = digest.hexdigest()[:12]
    assets = {
        name: Asset(body, _content_type(name), f'"{hashlib.sha256(body).hexdigest()[:16]}"')
        for name, body in files.items()
        if name != "index.html"
    }
    page = files.get("index.html", b"<!doctype html><title>stax</title>no dashboard files")
    page = page.replace(_ASSET_PLACEHOLDER.encode(), f"/assets/{version}".encode())
    index = Asset(page, _CONTENT_TYPES[".html"], f'"{hashlib.sha256(page).hexdigest()[:16]}"')
    return Bundle(version=version, assets=assets, index=index)


def _content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
