"""The dashboard: the single-page app the daemon serves, and its login.

Pages. `/`, `/runs/<id>` and `/skills[/<id>]` all answer index.html: the app
routes on the client, so deep links survive a reload. Assets come from memory
(files.py). Every page carries a strict Content-Security-Policy: scripts,
styles, images and connections from this origin only. The dashboard makes no
external request.

Login (runner/api/login.py). `GET /login?token=<one-time token>` trades a
login token for the session cookie; `POST /api/session/links` mints a login
URL for a client that holds the daemon token, and the app's sign-in form
trades the daemon token itself for a cookie (`POST /api/session`, the token in
`x-api-key`, never in a URL).

CSRF: the cookie is SameSite=Strict, so a request another site makes the
browser send carries no cookie; and the guard refuses any request whose Origin
is not this daemon. The cookie is HttpOnly: page scripts never see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quart import Response, request

from runner.api.dashboard.files import load_bundle
from runner.api.login import COOKIE_NAME, SESSION_MAX_AGE_S, new_session_cookie, session_valid
from runner.api.responses import json_response
from runner.api.routing import RouteGroup, delete, get, post
from runner.errors import ApiError

if TYPE_CHECKING:
    from runner.api.dashboard.files import Asset, Bundle
    from runner.api.services import Services

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


class DashboardRoutes(RouteGroup):
    name = "dashboard"

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self._bundle: Bundle | None = None  # read on first use

    @property
    def bundle(self) -> Bundle:
        if self._bundle is None:
            self._bundle = load_bundle()
        return self._bundle

    # -- pages and assets ----------------------------------------------------------------
    @get("/", public=True)
    @get("/runs/<run_id>", public=True)
    @get("/skills", public=True)
    @get("/skills/<path:skill_id>", public=True)
    async def page(self, run_id: str | None = None, skill_id: str | None = None) -> Response:
        """The app's one page, for every route it draws (deep links survive a reload)."""
        return _send(self.bundle.index, "no-cache")

    @get("/assets/<version>/<path:name>", public=True)
    async def asset(self, version: str, name: str) -> Response:
        bundle = self.bundle
        found = bundle.assets.get(name)
        if found is None:
            raise ApiError(404, "not_found_error", f"no dashboard asset {name!r}")
        # An old page asking for an old version gets today's file, revalidated next time.
        immutable = version == bundle.version
        return _send(found, "public, max-age=31536000, immutable" if immutable else "no-cache")

    @get("/favicon.ico", public=True)
    async def favicon(self) -> Response:
        return _send(self.bundle.assets["icon.svg"], "public, max-age=86400")

    # -- login ---------------------------------------------------------------------------
    @get("/login", public=True)
    async def login(self) -> Response:
        """Trade a one-time login token for a session cookie, then go to the dashboard.
        An unknown or spent token leads to the dashboard (read-only) with a notice."""
        redeemed = self.services.logins.redeem(request.args.get("token", ""))
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
            self._set_session(response)
        return response

    @get("/api/session", public=True)
    async def session(self) -> Response:
        """Whether this browser may start, cancel and approve: {authenticated, via}."""
        via = None
        if session_valid(request.cookies.get(COOKIE_NAME), self.services.token):
            via = "cookie"
        elif self.services.token_of(request.headers) is not None:
            via = "token"
        return _json({"authenticated": via is not None, "via": via})

    @post("/api/session")
    async def sign_in(self) -> Response:
        """Set the session cookie for a request that presents the daemon token (the guard
        has checked it): the dashboard's sign-in form, for when no login link is at hand."""
        if self.services.token_of(request.headers) is None:
            raise ApiError(401, "authentication_error", "sign in with the daemon token")
        response = _json({"authenticated": True, "via": "cookie"})
        self._set_session(response)
        return response

    @delete("/api/session")
    async def sign_out(self) -> Response:
        response = _json({"authenticated": False, "via": None})
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Strict")
        return response

    @post("/api/session/links")
    async def new_login_link(self) -> Response:
        """Mint a one-time login URL (for `stax` commands and scripts holding the token)."""
        url = self.services.logins.login_url(f"{request.scheme}://{request.host}")
        return _json({"url": url}, status=201)

    def _set_session(self, response: Response) -> None:
        response.set_cookie(
            COOKIE_NAME,
            new_session_cookie(self.services.token),
            max_age=SESSION_MAX_AGE_S,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.scheme == "https",
        )


def _send(asset: Asset, cache_control: str) -> Response:
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


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return json_response(payload, status=status, headers={"Cache-Control": "no-store"})
