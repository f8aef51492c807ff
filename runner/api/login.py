"""The dashboard's login: one-time login tokens and the signed session cookie.

On loopback the dashboard reads without credentials, but it mutates (start, cancel,
approve) only with a session cookie:

    stax serve  --prints-->  http://127.0.0.1:4800/login?token=<one-time token>
    GET /login?token=...  -->  303 to /, Set-Cookie: stax_session=...;
                                HttpOnly; SameSite=Strict; Path=/; Max-Age=30 days

A login token is random, lives in the daemon's memory only (its Services' `logins`)
and is good for one use. The cookie is signed with a key derived from the daemon
token, so it survives a daemon restart and dies when the token file is rotated.
`session_valid()` is what the app's guard asks for requests that need a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time

COOKIE_NAME = "stax_session"
SESSION_MAX_AGE_S = 30 * 24 * 3600
_MAX_PENDING_LOGINS = 64


class LoginTokens:
    """The one-time login tokens of one daemon: minted, then redeemed at most once.

    Held in memory only (a restart forgets them); at most `_MAX_PENDING_LOGINS` wait
    at once, the oldest dropped first. Only a digest of each token is kept.
    """

    def __init__(self) -> None:
        self._pending: dict[bytes, float] = {}
        self._lock = threading.Lock()  # a tool may mint from another thread than the loop's

    def mint(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            while len(self._pending) >= _MAX_PENDING_LOGINS:
                del self._pending[next(iter(self._pending))]
            self._pending[_digest(token)] = time.time()
        return token

    def redeem(self, token: str) -> bool:
        """True (once) for a token this daemon minted; False for any other."""
        if not token or len(token) > 256:
            return False
        with self._lock:
            return self._pending.pop(_digest(token), None) is not None

    def login_url(self, base_url: str) -> str:
        """A fresh one-time login URL for the dashboard at `base_url` (what `stax serve`
        prints). Each call mints a new token."""
        return f"{base_url}/login?token={self.mint()}"

    @property
    def pending(self) -> int:
        return len(self._pending)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def _session_key(daemon_token: str) -> bytes:
    return hmac.new(daemon_token.encode(), b"stax dashboard session v1", "sha256").digest()


def _sign(key: bytes, message: str) -> str:
    mac = hmac.new(key, message.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def new_session_cookie(daemon_token: str, *, now: float | None = None) -> str:
    """A session cookie value: `v1.<issued unix s>.<nonce>.<signature>`."""
    issued = int(time.time() if now is None else now)
    body = f"v1.{issued}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_sign(_session_key(daemon_token), body)}"


def session_valid(value: str | None, daemon_token: str, *, now: float | None = None) -> bool:
    """True for a cookie this daemon's token signed less than 30 days ago."""
    if not value or len(value) > 200 or not value.isascii():
        return False  # (a cookie this daemon set is ASCII; compare_digest takes no other)
    body, _, signature = value.rpartition(".")
    parts = body.split(".")
    if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit():
        return False
    if not hmac.compare_digest(signature, _sign(_session_key(daemon_token), body)):
        return False
    age = (time.time() if now is None else now) - int(parts[1])
    return -300 <= age <= SESSION_MAX_AGE_S
