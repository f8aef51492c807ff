"""The dashboard: the single-page app the daemon serves, and its login.

Pages. `/`, `/runs/<id>` and `/skills[/<id>]` all answer index.html: the app
routes on the client, so deep links survive a reload. Assets are served from
memory under `/assets/<version>/...`, where `version` is a digest of every
file, so a URL names one content forever: assets are cached `immutable`, and
index.html (`no-cache`, with an ETag) is all a browser revalidates. Every page
carries a strict Content-Security-Policy: scripts, styles, images and
connections from this origin only. The dashboard makes no external request.

Login. On loopback the dashboard reads without credentials, but it mutates
(start, cancel, approve) only with a session cookie:

    stax serve  --prints-->  http://127.0.0.1:4800/login?token=<one-time token>
    GET /login?token=...  -->  303 to /, Set-Cookie: stax_session=...;
                                HttpOnly; SameSite=Strict; Path=/; Max-Age=30 days

A login token is random, lives in this process's memory only and is good for
one use: `login_url()` mints one for the CLI, `POST /api/session/links` mints
one for a client that holds the daemon token, and the app's sign-in form
trades the daemon token itself for a cookie (`POST /api/session`, the token in
`x-api-key`, never in a URL). The cookie is signed with a key derived from the
daemon token, so it survives a daemon restart and dies when the token file is
rotated. `session_authorized()` is what the app's guard asks.

CSRF: the cookie is SameSite=Strict, so a request another site makes the
browser send carries no cookie; and the guard refuses any request whose Origin
is not this daemon. The cookie is HttpOnly: page scripts never see it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import mimetypes
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quart import Blueprint, Response, current_app, request

from runner import json_text
from runner.api.app import Services, authorized
from runner.api.openapi import document, error_response, json_response, query_param
from runner.errors import ApiError

if TYPE_CHECKING:
    from runner.daemon import DaemonAddress

blueprint = Blueprint("dashboard", __name__)

COOKIE_NAME = "stax_session"
SESSION_MAX_AGE_S = 30 * 24 * 3600
_MAX_PENDING_LOGINS = 64
_DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"
_ASSET_PLACEHOLDER = "{{assets}}"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


# -- one-time login tokens ----------------------------------------------------------
class LoginTokens:
    """The one-time login tokens of one daemon: minted, then redeemed at most once.

    Held in memory only (a restart forgets them); at most `_MAX_PENDING_LOGINS` wait
    at once, the oldest dropped first. Only a digest of each token is kept.
    """

    def __init__(self) -> None:
        self._pending: dict[bytes, float] = {}
        self._lock = threading.Lock()  # the CLI may mint from another thread

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

    @property
    def pending(self) -> int:
        return len(self._pending)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


# One entry per daemon, by its token: the CLI holds the daemon's address (with the token)
# and the routes hold its Services (with the same token). One daemon per data dir.
_LOGINS: dict[str, LoginTokens] = {}
_LOGINS_LOCK = threading.Lock()


def login_tokens(daemon_token: str) -> LoginTokens:
    """The one-time login tokens of the daemon whose API token is `daemon_token`."""
    with _LOGINS_LOCK:
        tokens = _LOGINS.get(daemon_token)
        if tokens is None:
            tokens = _LOGINS[daemon_token] = LoginTokens()
        return tokens


def login_url(address: DaemonAddress) -> str:
    """A fresh one-time login URL for the dashboard of the daemon at `address`
    (what `stax serve` prints). Each call mints a new token."""
    return f"{address.url}/login?token={login_tokens(address.token).mint()}"


# -- the session cookie -------------------------------------------------------------
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


def session_authorized(req: Any) -> bool:
    """True when the request carries a valid dashboard session cookie (the app's guard
    calls this for requests that need a token)."""
    services: Services | None = current_app.config.get("STAX_DAEMON")
    if services is None:
        return False
    return session_valid(req.cookies.get(COOKIE_NAME), services.token)


def _set_session(response: Response, services: Services) -> None:
    response.set_cookie(
        COOKIE_NAME,
        new_session_cookie(services.token),
        max_age=SESSION_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.scheme == "https",
    )


# -- static files -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class _Bundle:
    version: str
    assets: dict[str, _Asset]
    index: _Asset


_BUNDLE: _Bundle | None = None
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


def load_bundle(root: Path = _DASHBOARD_DIR) -> _Bundle:
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
        name: _Asset(body, _content_type(name), f'"{hashlib.sha256(body).hexdigest()[:16]}"')
        for name, body in files.items()
        if name != "index.html"
    }
    page = files.get("index.html", b"<!doctype html><title>stax</title>no dashboard files")
    page = page.replace(_ASSET_PLACEHOLDER.encode(), f"/assets/{version}".encode())
    index = _Asset(page, _CONTENT_TYPES[".html"], f'"{hashlib.sha256(page).hexdigest()[:16]}"')
    return _Bundle(version=version, assets=assets, index=index)


def _bundle() -> _Bundle:
    global _BUNDLE
    if _BUNDLE is None:
        _BUNDLE = load_bundle()
    return _BUNDLE


def _content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _send(asset: _Asset, cache_control: str) -> Response:
    headers = {"Cache-Control": cache_control, "ETag": asset.etag, **SECURITY_HEADERS}
    if asset.etag in _etags(request.headers.get("If-None-Match")):
        return Response(b"", status=304, headers=headers)
    response = Response(asset.body, status=200, content_type=asset.content_type, headers=headers)
    if request.method == "HEAD":
        response.set_data(b"")
        response.headers["Content-Length"] = str(len(asset.body))
    return response


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


# -- routes -------------------------------------------------------------------------
def _services() -> Services:
    services: Services = current_app.config["STAX_DAEMON"]
    return services


@blueprint.get("/")
@blueprint.get("/runs/<run_id>")
@blueprint.get("/skills")
@blueprint.get("/skills/<path:skill_id>")
async def page(run_id: str | None = None, skill_id: str | None = None) -> Response:
    """The app's one page, for every route it draws (deep links survive a reload)."""
    return _send(_bundle().index, "no-cache")


@blueprint.get("/assets/<version>/<path:name>")
async def asset(version: str, name: str) -> Response:
    bundle = _bundle()
    found = bundle.assets.get(name)
    if found is None:
        raise ApiError(404, "not_found_error", f"no dashboard asset {name!r}")
    # An old page asking for an old version gets today's file, revalidated next time.
    immutable = version == bundle.version
    return _send(found, "public, max-age=31536000, immutable" if immutable else "no-cache")


@blueprint.get("/favicon.ico")
async def favicon() -> Response:
    return _send(_bundle().assets["icon.svg"], "public, max-age=86400")


@blueprint.get("/login")
async def login() -> Response:
    """Trade a one-time login token for a session cookie, then go to the dashboard.
    An unknown or spent token leads to the dashboard (read-only) with a notice."""
    services = _services()
    token = request.args.get("token", "")
    redeemed = login_tokens(services.token).redeem(token)
    response = Response(
        "",
        status=303,
        headers={
            "Location": "/" if redeemed else "/?login=invalid",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
    if redeemed:
        _set_session(response, services)
    return response


@blueprint.get("/api/session")
async def session() -> Response:
    """Whether this browser may start, cancel and approve: {authenticated, via}."""
    services = _services()
    via = None
    if session_valid(request.cookies.get(COOKIE_NAME), services.token):
        via = "cookie"
    elif authorized(services) is not None:
        via = "token"
    return _json({"authenticated": via is not None, "via": via})


@blueprint.post("/api/session")
async def sign_in() -> Response:
    """Set the session cookie for a request that presents the daemon token (the guard
    has checked it): the dashboard's sign-in form, for when no login link is at hand."""
    services = _services()
    if authorized(services) is None:
        raise ApiError(401, "authentication_error", "sign in with the daemon token")
    response = _json({"authenticated": True, "via": "cookie"})
    _set_session(response, services)
    return response


@blueprint.delete("/api/session")
async def sign_out() -> Response:
    response = _json({"authenticated": False, "via": None})
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Strict")
    return response


@blueprint.post("/api/session/links")
async def new_login_link() -> Response:
    """Mint a one-time login URL (for `stax` commands and scripts holding the token)."""
    services = _services()
    token = login_tokens(services.token).mint()
    return _json({"url": f"{request.scheme}://{request.host}/login?token={token}"}, status=201)


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json_text.dumps(payload),
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


# -- OpenAPI ------------------------------------------------------------------------
_SESSION_SCHEMA = {
    "type": "object",
    "required": ["authenticated", "via"],
    "properties": {
        "authenticated": {"type": "boolean"},
        "via": {"enum": ["cookie", "token", None]},
    },
}
# The session cookie authorises these too (openapi.py has no cookie scheme to name yet).
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]

document(
    "/login",
    "get",
    {
        "summary": "Trade a one-time login token for the dashboard's session cookie",
        "parameters": [query_param("token", "a one-time login token (`stax serve` prints one)")],
        "responses": {
            "303": {
                "description": "To `/` with `Set-Cookie: stax_session=...; HttpOnly; "
                "SameSite=Strict`, or to `/?login=invalid` (no cookie) for an unknown or "
                "spent token"
            }
        },
    },
)
document(
    "/api/session",
    "get",
    {
        "summary": "Whether this client may mutate (dashboard session cookie or token)",
        "responses": {"200": json_response("The session", _SESSION_SCHEMA)},
    },
)
document(
    "/api/session",
    "post",
    {
        "summary": "Set the dashboard session cookie for a client presenting the daemon token",
        "security": _SECURED,
        "responses": {
            "200": json_response("Signed in (Set-Cookie)", _SESSION_SCHEMA),
            "401": error_response("token missing or wrong"),
        },
    },
)
document(
    "/api/session",
    "delete",
    {
        "summary": "Clear the dashboard session cookie",
        "security": _SECURED,
        "responses": {
            "200": json_response("Signed out", _SESSION_SCHEMA),
            "401": error_response("not signed in"),
        },
    },
)
document(
    "/api/session/links",
    "post",
    {
        "summary": "Mint a one-time dashboard login URL",
        "security": _SECURED,
        "responses": {
            "201": json_response(
                "The URL", {"type": "object", "properties": {"url": {"type": "string"}}}
            ),
            "401": error_response("token missing or wrong"),
        },
    },
)
