"""GET /openapi.json: the document describing every route the daemon serves.

Each endpoint family describes its own routes (its `openapi.py`, a Fragment); this
module only assembles them. A test checks that every route of the app is described,
so the document cannot drift from the code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runner import __version__
from runner.api.agent.openapi import FRAGMENT as AGENT
from runner.api.dashboard.openapi import FRAGMENT as DASHBOARD
from runner.api.executions.openapi import FRAGMENT as EXECUTIONS
from runner.api.openapi_fragment import Fragment, Operation, error_response, json_response
from runner.api.responses import json_response as json_answer
from runner.api.routing import RouteGroup, get
from runner.api.runner_events.openapi import FRAGMENT as RUNNER_EVENTS
from runner.api.runs.openapi import FRAGMENT as RUNS
from runner.api.sessions.openapi import FRAGMENT as SESSIONS
from runner.api.skills.openapi import FRAGMENT as SKILLS

if TYPE_CHECKING:
    from quart import Response

DOCUMENT = Fragment(
    operations=(
        Operation(
            "/openapi.json",
            "get",
            {
                "summary": "This document",
                "responses": {"200": json_response("The OpenAPI document")},
            },
        ),
    )
)
FRAGMENTS = (DOCUMENT, RUNS, RUNNER_EVENTS, EXECUTIONS, SESSIONS, SKILLS, AGENT, DASHBOARD)

# What runner/api/whole_body.py answers, before the route runs, to any route with a body.
_BODY_REFUSALS = {
    "408": "the body did not arrive whole in time ([connections] body_timeout_seconds); "
    "the connection is closed",
    "413": "the body is over 4 MiB; the connection is closed",
}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for fragment in FRAGMENTS:
        for operation in fragment.operations:
            paths.setdefault(operation.path, {})[operation.method] = _described(operation, fragment)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "stax",
            "version": __version__,
            "description": "Local workflow runner daemon: runs, event streams, skills.",
        },
        "servers": [{"url": "http://127.0.0.1:4800"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "dashboardSession": {"type": "apiKey", "in": "cookie", "name": "stax_session"},
            }
        },
        "paths": dict(sorted(paths.items())),
    }


def _described(operation: Operation, fragment: Fragment) -> dict[str, Any]:
    """The operation as the document has it: a route that takes a body also answers what
    the body reader refuses, and every error answer is in its family's error format."""
    spec = dict(operation.spec)
    responses = spec["responses"] = dict(spec.get("responses", {}))
    if "requestBody" in spec:
        for status, description in _BODY_REFUSALS.items():
            responses.setdefault(status, error_response(description))
    if fragment.error_schema is not None:
        for status, response in responses.items():
            if status[0] in "45":
                schema = fragment.error_schemas.get(status, fragment.error_schema)
                responses[status] = error_response(response["description"], schema)
    return spec


class OpenApiRoutes(RouteGroup):
    name = "openapi"

    @get("/openapi.json")
    async def document(self) -> Response:
        return json_answer(openapi_document())
