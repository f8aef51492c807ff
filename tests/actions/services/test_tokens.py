"""Runtime tokens: JWT-shaped as the toolkit decodes them, trusted only when signed."""

from __future__ import annotations

import base64
import json

import pytest

from runner.actions.services import (
    CacheScope,
    RunServices,
    RuntimeClaims,
    ServiceAccess,
    TokenError,
    cache_scopes,
    mint_token,
    new_key,
    verify_token,
)
from runner.actions.services.tokens import sign_path, verify_path

CLAIMS = RuntimeClaims(
    run_id="a1b2c3d4",
    job_id="build.2",
    cache_scopes=(
        CacheScope(scope="refs/heads/feature", writable=True),
        CacheScope(scope="refs/heads/main"),
    ),
)


def payload(token: str) -> dict[str, object]:
    body = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def test_the_scp_claim_carries_the_backend_ids_as_the_artifact_client_reads_them() -> None:
    token = mint_token(new_key(), CLAIMS)
    scopes = str(payload(token)["scp"]).split(" ")
    assert "Actions.Results:a1b2c3d4:build.2" in scopes
    ac = json.loads(str(payload(token)["ac"]))
    assert ac == [
        {"Scope": "refs/heads/feature", "Permission": 3},
        {"Scope": "refs/heads/main", "Permission": 1},
    ]


def test_a_token_verifies_with_its_key_only() -> None:
    key = new_key()
    token = mint_token(key, CLAIMS)
    assert verify_token(key, token) == CLAIMS
    with pytest.raises(TokenError, match="signature"):
        verify_token(new_key(), token)
    head, _body, signature = token.split(".")
    forged = json.dumps({**payload(token), "scp": "Actions.Results:other:build"}).encode()
    forged_body = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="signature"):
        verify_token(key, f"{head}.{forged_body}.{signature}")
    with pytest.raises(TokenError, match="not a signed token"):
        verify_token(key, "garbage")


def test_an_expired_token_is_refused() -> None:
    key = new_key()
    token = mint_token(key, CLAIMS, now=1_000_000)
    with pytest.raises(TokenError, match="expired"):
        verify_token(key, token, now=1_000_000 + 2 * 24 * 3600)


def test_signed_paths_cover_the_path_the_permission_and_the_expiry() -> None:
    key = new_key()
    query = dict(part.split("=", 1) for part in sign_path(key, "/b/x.zip", "w", now=100).split("&"))
    verify_path(key, "/b/x.zip", query, "w", now=100)
    with pytest.raises(TokenError):
        verify_path(key, "/b/y.zip", query, "w", now=100)
    with pytest.raises(TokenError):
        verify_path(key, "/b/x.zip", {**query, "sp": "r"}, "r", now=100)
    with pytest.raises(TokenError, match="expired"):
        verify_path(key, "/b/x.zip", query, "w", now=100 + 2 * 24 * 3600)


def test_cache_scopes_are_the_runs_ref_then_the_base_then_the_default_branch() -> None:
    assert cache_scopes(ref="refs/pull/7/merge", base_ref="dev", default_branch="main") == (
        CacheScope(scope="refs/pull/7/merge", writable=True),
        CacheScope(scope="refs/heads/dev"),
        CacheScope(scope="refs/heads/main"),
    )
    assert cache_scopes(ref="refs/heads/main", base_ref="", default_branch="main") == (
        CacheScope(scope="refs/heads/main", writable=True),
    )


def test_each_job_gets_its_own_token_and_it_is_masked() -> None:
    masked: list[str] = []
    access = ServiceAccess(url="http://127.0.0.1:5000", key=new_key())
    services = RunServices(access, run_id="r1", scopes=(), on_token=masked.append)
    build = services.job_environment("build")
    test = services.job_environment("test")
    assert services.job_environment("build") == build
    assert build["ACTIONS_RUNTIME_TOKEN"] != test["ACTIONS_RUNTIME_TOKEN"]
    assert masked == [build["ACTIONS_RUNTIME_TOKEN"], test["ACTIONS_RUNTIME_TOKEN"]]
    assert build["ACTIONS_RESULTS_URL"] == "http://127.0.0.1:5000/"
    assert build["ACTIONS_RUNTIME_URL"] == "http://127.0.0.1:5000/_services/"
    assert build["ACTIONS_CACHE_URL"] == "http://127.0.0.1:5000/_services/"
    assert build["ACTIONS_CACHE_SERVICE_V2"] == "true"
    assert verify_token(access.key, test["ACTIONS_RUNTIME_TOKEN"]).job_id == "test"
