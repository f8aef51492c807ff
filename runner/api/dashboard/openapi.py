"""The dashboard's login and session routes in the OpenAPI document (its pages and
assets are HTML, not API)."""

from __future__ import annotations

from runner.api.openapi_fragment import (
    Fragment,
    Operation,
    error_response,
    json_response,
    query_param,
)

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

FRAGMENT = Fragment(
    operations=(
        Operation(
            "/login",
            "get",
            {
                "summary": "Trade a one-time login token for the dashboard's session cookie",
                "parameters": [
                    query_param("token", "a one-time login token (`stax serve` prints one)")
                ],
                "responses": {
                    "303": {
                        "description": "To `/` with `Set-Cookie: stax_session=...; HttpOnly; "
                        "SameSite=Strict`, or to `/?login=invalid` (no cookie) for an unknown or "
                        "spent token"
                    }
                },
            },
        ),
        Operation(
            "/api/session",
            "get",
            {
                "summary": "Whether this client may mutate (dashboard session cookie or token)",
                "responses": {"200": json_response("The session", _SESSION_SCHEMA)},
            },
        ),
        Operation(
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
        ),
        Operation(
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
        ),
        Operation(
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
        ),
    ),
)
