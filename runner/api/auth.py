"""Who may talk to the daemon, and from where.

The daemon runs shell commands, so:
- it binds loopback by default and refuses other addresses unless stax.toml
  says `allow_remote = true` (and then reads need a token too);
- every mutating request needs a token: the daemon's own (generated on
  first start into <data_dir>/token, mode 0600, read by the CLI) or one
  listed in stax.toml; sent as `Authorization: Bearer <t>` or `x-api-key: <t>`;
- a request whose Host is not this daemon's address is refused, which
  defeats DNS rebinding; a request from a foreign Origin (a web page
  elsewhere) is refused too, and no CORS header is ever sent.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from typing import TYPE_CHECKING

from runner.config import create_data_dir
from runner.errors import ApiError, ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

TOKEN_FILE = "token"
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


def load_or_create_token(data_dir: Path) -> str:
    """The daemon token, created (0600) on first use."""
    path = data_dir / TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = ""
    if token:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return token
    create_data_dir(data_dir)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def read_token(data_dir: Path) -> str | None:
    """The token a client should send (None when no daemon has created one)."""
    try:
        return (data_dir / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(
            f"refusing to listen on {host}: not a loopback address (set "
            "allow_remote = true in stax.toml to allow it; reads then need a "
            "token too)"
        )


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host header values this daemon answers to."""
    names = {f"[{host}]" if ":" in host and not host.startswith("[") else host.lower()}
    if is_loopback(host) or host in ("0.0.0.0", "::"):
        names.update(("localhost", "127.0.0.1", "[::1]"))
    return frozenset(f"{name}:{port}" for name in names)


def check_host(header: str | None, allowed: frozenset[str]) -> None:
    if not header or header.lower() not in allowed:
        raise ApiError(
            403,
            "forbidden_host",
            f"Host {header!r} is not this daemon's address (DNS rebinding guard)",
        )


def check_origin(origin: str | None, allowed: frozenset[str]) -> None:
    """A browser request from another site carries its Origin: refuse it."""
    if origin is None:
        return
    if origin == "null":
        raise ApiError(403, "forbidden_origin", "requests from an opaque origin are refused")
    scheme, _, rest = origin.partition("://")
    if scheme not in ("http", "https") or rest.lower() not in allowed:
        raise ApiError(
            403,
            "forbidden_origin",
            f"Origin {origin!r} is not this daemon (cross-site requests are refused)",
        )


def presented_token(authorization: str | None, api_key: str | None) -> str | None:
    if api_key:
        return api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


def token_matches(given: str | None, accepted: Iterable[str]) -> str | None:
    """The accepted token equal to `given` (compared in constant time), else None."""
    if not given:
        return None
    match = None
    for token in accepted:
        if hmac.compare_digest(given.encode(), token.encode()):
            match = token
    return match
