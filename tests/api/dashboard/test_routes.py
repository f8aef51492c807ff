"""The dashboard's routes without a browser: pages, assets and their caching, login and
the session cookie (who may mutate, from where)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runner.api.dashboard.files import DASHBOARD_DIR, load_bundle
from runner.api.login import (
    COOKIE_NAME,
    SESSION_MAX_AGE_S,
    LoginTokens,
    new_session_cookie,
    session_valid,
)

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Daemon, DaemonFactory

DASHBOARD = DASHBOARD_DIR


def _cookie(response: httpx.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


async def _signed_in_cookie(daemon: Daemon, client: httpx.AsyncClient) -> str:
    response = await client.get(daemon.address.login_url().removeprefix(daemon.url))
    assert response.status_code == 303
    return _cookie(response)[COOKIE_NAME].value


# -- pages and assets ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/runs/0badc0de", "/skills", "/skills/text.summarize"])
async def test_every_app_route_answers_the_page(daemon: Daemon, path: str) -> None:
    async with daemon.client() as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "{{assets}}" not in response.text
    assert re.search(r'src="/assets/[0-9a-f]{12}/app\.js"', response.text)


async def test_the_page_revalidates_with_its_etag(daemon: Daemon) -> None:
    async with daemon.client() as client:
        first = await client.get("/")
        again = await client.get("/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_assets_are_immutable_under_their_version(daemon: Daemon) -> None:
    async with daemon.client() as client:
        page = (await client.get("/")).text
        version = re.search(r"/assets/([0-9a-f]{12})/", page)
        assert version
        script = await client.get(f"/assets/{version.group(1)}/app.js")
        style = await client.get(f"/assets/{version.group(1)}/style.css")
        stale = await client.get("/assets/000000000000/app.js")
        missing = await client.get(f"/assets/{version.group(1)}/nope.js")
        escape = await client.get(f"/assets/{version.group(1)}/..%2Fapi%2Fdashboard.py")
        icon = await client.get("/favicon.ico")
    assert script.status_code == 200
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert stale.status_code == 200  # an old page still gets today's file...
    assert stale.headers["cache-control"] == "no-cache"  # ...but does not keep it
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found_error"
    assert escape.status_code == 404
    assert icon.headers["content-type"] == "image/svg+xml"


def test_the_bundle_is_self_contained() -> None:
    """Every module the page loads is in the package, imported relatively; nothing is
    fetched from anywhere else (no CDN, no network at run time)."""
    bundle = load_bundle(DASHBOARD)
    page = bundle.index.body.decode()
    referenced = re.findall(r'(?:src|href)="/assets/[0-9a-f]{12}/([^"]+)"', page)
    assert "app.js" in referenced
    for name in referenced:
        assert name in bundle.assets, name
    for name, asset in bundle.assets.items():
        if not name.endswith(".js"):
            continue
        source = asset.body.decode()
        for target in re.findall(r"""^import .* from '([^']+)';$""", source, re.MULTILINE):
            assert target.startswith("./"), f"{name} imports {target}"
            assert target[2:] in bundle.assets, f"{name} imports a missing {target}"
        assert not re.search(r"""(?:import\(|fetch\(|EventSource\()\s*['"`]https?:""", source)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)


def test_the_bundle_version_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<script src="{{assets}}/app.js"></script>')
    (tmp_path / "app.js").write_text("1")
    before = load_bundle(tmp_path).version
    (tmp_path / "app.js").write_text("2")
    assert load_bundle(tmp_path).version != before


# -- login ----------------------------------------------------------------------------------
async def test_a_login_link_sets_the_session_cookie_once(daemon: Daemon) -> None:
    link = daemon.address.login_url()
    assert link.startswith(f"{daemon.url}/login?token=")
    path = link.removeprefix(daemon.url)
    async with daemon.client() as client:
        first = await client.get(path)
        second = await client.get(path)
    assert first.status_code == 303
    assert first.headers["location"] == "/"
    assert first.headers["cache-control"] == "no-store"
    header = first.headers["set-cookie"]
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Path=/" in header
    assert f"Max-Age={SESSION_MAX_AGE_S}" in header
    assert session_valid(_cookie(first)[COOKIE_NAME].value, daemon.address.token)
    assert second.status_code == 303
    assert second.headers["location"] == "/?login=invalid"
    assert "set-cookie" not in second.headers


async def test_an_unknown_login_token_sets_nothing(daemon: Daemon) -> None:
    async with daemon.client() as client:
        for path in ("/login", "/login?token=", "/login?token=guess", "/login?token=" + "a" * 999):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/?login=invalid"
            assert "set-cookie" not in response.headers


async def test_the_session_cookie_authorises_mutations_from_this_origin(daemon: Daemon) -> None:
    origin = {"Origin": daemon.url}
    async with daemon.client() as client:
        cookie = await _signed_in_cookie(daemon, client)
        client.cookies.clear()
        anonymous = await client.post("/api/runs/0badc0de/cancel", headers=origin)
        signed = await client.post(
            "/api/runs/0badc0de/cancel", headers={**origin, "Cookie": f"{COOKIE_NAME}={cookie}"}
        )
        forged = await client.post(
            "/api/runs/0badc0de/cancel",
            headers={**origin, "Cookie": f"{COOKIE_NAME}={cookie[:-2]}xx"},
        )
        cross_site = await client.post(
            "/api/runs/0badc0de/cancel",
            headers={"Origin": "http://evil.example", "Cookie": f"{COOKIE_NAME}={cookie}"},
        )
    assert anonymous.status_code == 401
    assert signed.status_code == 404  # past the guard: there is just no such run
    assert forged.status_code == 401
    assert cross_site.status_code == 403


async def test_session_endpoint_says_who_may_mutate(daemon: Daemon) -> None:
    async with daemon.client() as client:
        assert (await client.get("/api/session")).json() == {"authenticated": False, "via": None}
        with_token = await client.get("/api/session", headers=daemon.auth)
        assert with_token.json() == {"authenticated": True, "via": "token"}
        wrong = await client.post("/api/session", headers={"x-api-key": "nope"})
        assert wrong.status_code == 401
        assert "set-cookie" not in wrong.headers
        signed = await client.post("/api/session", headers={"x-api-key": daemon.address.token})
        assert signed.status_code == 200
        cookie = _cookie(signed)[COOKIE_NAME].value
        assert "HttpOnly" in signed.headers["set-cookie"]
        client.cookies.clear()
        jar = {"Cookie": f"{COOKIE_NAME}={cookie}"}
        assert (await client.get("/api/session", headers=jar)).json()["via"] == "cookie"
        out = await client.delete("/api/session", headers={**jar, "Origin": daemon.url})
        assert out.status_code == 200
        assert (
            'stax_session=""' in out.headers["set-cookie"]
            or "Max-Age=0" in (out.headers["set-cookie"])
        )


async def test_login_links_are_minted_for_token_holders_only(daemon: Daemon) -> None:
    async with daemon.client() as client:
        refused = await client.post("/api/session/links")
        minted = await client.post("/api/session/links", headers=daemon.auth)
        assert refused.status_code == 401
        assert minted.status_code == 201
        url = minted.json()["url"]
        assert url.startswith(f"{daemon.url}/login?token=")
        used = await client.get(url.removeprefix(daemon.url))
    assert COOKIE_NAME in _cookie(used)


# -- the mechanisms ---------------------------------------------------------------------------
def test_session_cookies_expire_and_belong_to_one_token() -> None:
    value = new_session_cookie("token-a", now=1_000_000)
    assert session_valid(value, "token-a", now=1_000_000 + 60)
    assert not session_valid(value, "token-b", now=1_000_000 + 60)
    assert not session_valid(value, "token-a", now=1_000_000 + SESSION_MAX_AGE_S + 1)
    assert not session_valid(value, "token-a", now=1_000_000 - 3600)
    body, _, signature = value.rpartition(".")
    issued_later = body.replace("1000000", "1999999")
    assert not session_valid(f"{issued_later}.{signature}", "token-a", now=1_999_999)
    for junk in (None, "", "v1", "v1.x.y.z", "v2.1.a.b", "." * 300):
        assert not session_valid(junk, "token-a")


def test_login_tokens_are_single_use_and_bounded() -> None:
    tokens = LoginTokens()
    first = tokens.mint()
    assert tokens.redeem(first)
    assert not tokens.redeem(first)
    minted = [tokens.mint() for _ in range(70)]
    assert tokens.pending == 64
    assert not tokens.redeem(minted[0])  # the oldest were dropped
    assert tokens.redeem(minted[-1])
    assert not tokens.redeem("")


async def test_each_daemon_has_its_own_login_tokens(daemon_factory: DaemonFactory) -> None:
    one, two = await daemon_factory(), await daemon_factory()
    link = one.address.login_url()
    path = link.removeprefix(one.url)
    async with two.client() as client:
        foreign = await client.get(path)
    async with one.client() as client:
        own = await client.get(path)
    assert foreign.headers["location"] == "/?login=invalid"
    assert COOKIE_NAME not in _cookie(foreign)
    assert own.headers["location"] == "/"
    assert COOKIE_NAME in _cookie(own)
