"""The runtime token a job's steps present to the services, and the signed blob URLs.

ACTIONS_RUNTIME_TOKEN is JWT-shaped (HS256, signed with a key only this stax process
and its engine hold) because the toolkit clients decode it: @actions/artifact reads the
run's and the job's backend ids from the `scp` claim
(`Actions.Results:<run>:<job>`), and the cache service reads the job's cache scopes
from `ac`, as GitHub's does. The services trust only what the signature covers.

Blob URLs carry their own signature (`sig`), an expiry (`se`) and a permission
(`sp`: r or w), as an Azure SAS does: the Azure client sends no bearer token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from runner import json_text

TOKEN_LIFETIME_S = 24 * 3600  # longer than any job's default 6 h timeout
URL_LIFETIME_S = 24 * 3600
READ, WRITE = 1, 2  # the bits of a cache scope's Permission, as in GitHub's `ac` claim


class TokenError(Exception):
    """A runtime token or a signed URL that does not verify (the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheScope:
    """A ref whose cache entries a job may read, and write if `writable`."""

    scope: str
    writable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeClaims:
    """What a verified runtime token says: whose job it is and which caches it sees."""

    run_id: str
    job_id: str
    cache_scopes: tuple[CacheScope, ...] = ()

    @property
    def write_scope(self) -> str | None:
        """The ref the job saves cache entries under (the run's own)."""
        return next((s.scope for s in self.cache_scopes if s.writable), None)

    @property
    def read_scopes(self) -> list[str]:
        """The refs whose entries the job may restore, in the order they are tried."""
        return [s.scope for s in self.cache_scopes]


def new_key() -> bytes:
    """A fresh signing key: one per daemon or local run, never written to disk."""
    return secrets.token_bytes(32)


def mint_token(key: bytes, claims: RuntimeClaims, *, now: float | None = None) -> str:
    """A signed runtime token carrying `claims`."""
    issued = int(time.time() if now is None else now)
    ids = f"{claims.run_id}:{claims.job_id}"
    payload: dict[str, Any] = {
        "iss": "stax",
        "iat": issued,
        "nbf": issued - 60,
        "exp": issued + TOKEN_LIFETIME_S,
        "scp": f"Actions.GenericRead:{claims.run_id} Actions.UploadArtifacts:{ids} "
        f"Actions.Results:{ids}",
        "ac": json_text.dumps(
            [
                {"Scope": s.scope, "Permission": READ | (WRITE if s.writable else 0)}
                for s in claims.cache_scopes
            ]
        ),
    }
    head = _b64(json_text.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    body = _b64(json_text.dumps(payload).encode())
    signature = _b64(hmac.digest(key, f"{head}.{body}".encode(), hashlib.sha256))
    return f"{head}.{body}.{signature}"


def verify_token(key: bytes, token: str, *, now: float | None = None) -> RuntimeClaims:
    """The claims of a token this key signed; TokenError for anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("the runtime token is not a signed token")
    head, body, signature = parts
    expected = _b64(hmac.digest(key, f"{head}.{body}".encode(), hashlib.sha256))
    if not hmac.compare_digest(expected, signature):
        raise TokenError("the runtime token's signature does not verify")
    try:
        payload = json.loads(_unb64(body))
        exp = int(payload["exp"])
        scp = str(payload["scp"])
        ac = json.loads(payload.get("ac") or "[]")
        scopes = tuple(
            CacheScope(scope=str(s["Scope"]), writable=bool(int(s["Permission"]) & WRITE))
            for s in ac
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"the runtime token's claims are malformed ({exc})") from None
    if exp < (time.time() if now is None else now):
        raise TokenError("the runtime token has expired")
    for part in scp.split():
        kind, _, ids = part.partition(":")
        run_id, _, job_id = ids.partition(":")
        if kind == "Actions.Results" and run_id and job_id:
            return RuntimeClaims(run_id=run_id, job_id=job_id, cache_scopes=scopes)
    raise TokenError("the runtime token has no Actions.Results scope")


def sign_path(key: bytes, path: str, permission: str, *, now: float | None = None) -> str:
    """The query string that lets its holder `permission` ("r" or "w") the blob at `path`."""
    expiry = int(time.time() if now is None else now) + URL_LIFETIME_S
    return f"sp={permission}&se={expiry}&sig={_url_signature(key, path, permission, expiry)}"


def signed_url(key: bytes, origin: str, path: str, permission: str) -> str:
    """`origin` + `path` (percent-encoded) + the query that signs it."""
    return f"{origin}{quote(path)}?{sign_path(key, path, permission)}"


def verify_path(
    key: bytes, path: str, query: dict[str, str], permission: str, *, now: float | None = None
) -> None:
    """Raise TokenError unless `query` signs `permission` on `path` and has not expired."""
    try:
        expiry = int(query.get("se", ""))
    except ValueError:
        raise TokenError("the URL has no valid expiry (se)") from None
    if query.get("sp") != permission:
        raise TokenError(f"the URL does not grant {'write' if permission == 'w' else 'read'}")
    expected = _url_signature(key, path, permission, expiry)
    if not hmac.compare_digest(expected, query.get("sig", "")):
        raise TokenError("the URL's signature does not verify")
    if expiry < (time.time() if now is None else now):
        raise TokenError("the URL has expired")


def _url_signature(key: bytes, path: str, permission: str, expiry: int) -> str:
    message = f"{permission}\n{expiry}\n{path}".encode()
    return _b64(hmac.digest(key, message, hashlib.sha256))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64url: {exc}") from None
