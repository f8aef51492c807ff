"""GET /openapi.json: the document describing every route the daemon serves.

Each endpoint family registers its paths with `document()` when its module
is imported; a test checks that every route of the app is described, so
the document cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response

from runner import __version__, json_text

blueprint = Blueprint("openapi", __name__)

_PATHS: dict[str, dict[str, Any]] = {}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def error_response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or ERROR_SCHEMA}},
    }


def json_response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or {"type": "object"}}},
    }


SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}
EVENT_ID_SCHEMA = {"type": "string", "pattern": "^[0-9]*(\\.[0-9]+)?$"}


def sse_response(description: str) -> dict[str, Any]:
    """A stream of Server-Sent Events; the schema describes one event."""
    return {
        "description": description,
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
    }


def path_param(
    name: str, description: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def query_param(
    name: str, description: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def header_param(
    name: str, description: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


# Path prefix -> the error body schema of that family (app.register_error_format's
# counterpart); the first match wins, ERROR_SCHEMA otherwise.
_ERROR_SCHEMAS: list[tuple[str, dict[str, Any], dict[str, dict[str, Any]]]] = []


def register_error_schema(
    prefix: str, schema: dict[str, Any], *, by_status: dict[str, dict[str, Any]] | None = None
) -> None:
    """The error body schema of the paths under `prefix` (`by_status`: another for some
    statuses, e.g. a 422 in a validation-error shape)."""
    _ERROR_SCHEMAS.insert(0, (prefix, schema, by_status or {}))


def document(path: str, method: str, operation: dict[str, Any]) -> None:
    """Describe one route (OpenAPI path syntax: /api/runs/{runId}). Its error answers are
    in its family's error format; a route that takes a body also answers, before it runs,
    what runner/api/request_body.py refuses."""
    responses = operation.setdefault("responses", {})
    if "requestBody" in operation:
        for status, description in _BODY_REFUSALS.items():
            responses.setdefault(status, error_response(description))
    family = next((f for f in _ERROR_SCHEMAS if path.startswith(f[0])), None)
    if family is not None:
        _, schema, by_status = family
        for status, response in list(responses.items()):
            if status[0] in "45":
                chosen = by_status.get(status, schema)
                responses[status] = error_response(response["description"], chosen)
    _PATHS.setdefault(path, {})[method.lower()] = operation


_BODY_REFUSALS = {
    "408": "the body did not arrive whole in time ([connections] body_timeout_seconds); "
    "the connection is closed",
    "413": "the body is over 4 MiB; the connection is closed",
}


def openapi_document() -> dict[str, Any]:
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
        "paths": dict(sorted(_PATHS.items())),
    }


@blueprint.get("/openapi.json")
async def openapi() -> Response:
    return Response(json_text.dumps(openapi_document()), content_type="application/json")


_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}, {"dashboardSession": []}]
_RUN_ID = path_param("runId", "the run's id")
_JOB_ID = path_param("jobId", "the job's id in the run (matrix instances: key.N)")

document(
    "/openapi.json",
    "get",
    {"summary": "This document", "responses": {"200": json_response("The OpenAPI document")}},
)
document(
    "/api/health",
    "get",
    {"summary": "Daemon health", "responses": {"200": json_response("Health and counters")}},
)
document(
    "/api/events",
    "get",
    {
        "summary": "Every state change of every run (seed 003)",
        "parameters": [
            query_param("runId", "only this run"),
            query_param(
                "types",
                "comma-separated event types",
                {"type": "string", "pattern": "^[a-z.,]*$"},
            ),
            query_param("lastEventId", "resume after this event id (N or N.i)", EVENT_ID_SCHEMA),
            header_param("Last-Event-ID", "resume after this event id", EVENT_ID_SCHEMA),
        ],
        "responses": {
            "200": sse_response("text/event-stream of events"),
            "400": error_response("bad filter or event id"),
        },
    },
)
document(
    "/api/runs",
    "get",
    {
        "summary": "Recent runs, newest first",
        "parameters": [
            query_param("status", "queued|in_progress|completed or a conclusion"),
            query_param("workflow", "workflow file or name"),
            query_param(
                "limit", "page size (1..500)", {"type": "integer", "minimum": 1, "maximum": 500}
            ),
            query_param(
                "before",
                "cursor from `next`",
                {"type": "integer", "minimum": 1, "maximum": 2**62},
            ),
        ],
        "responses": {
            "200": json_response("A page of runs"),
            "400": error_response("bad query parameter"),
        },
    },
)
document(
    "/api/runs",
    "post",
    {
        "summary": "Start a run",
        "security": _SECURED,
        "requestBody": json_body(
            {
                "type": "object",
                "required": ["workflow"],
                "additionalProperties": False,
                "properties": {
                    "workflow": {"type": "string", "minLength": 1, "pattern": "^[^\\x00]+$"},
                    "inputs": {"type": "object"},
                    "event": {"type": "string"},
                    "eventPayload": {"type": "object"},
                    "jobs": {"type": "array", "items": {"type": "string"}},
                    "workdir": {"type": "string", "pattern": "^/"},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "secrets": {"type": "object", "additionalProperties": {"type": "string"}},
                    "vars": {"type": "object", "additionalProperties": {"type": "string"}},
                    "matrix": {
                        "type": "object",
                        "description": "--matrix: key -> a value, or a list of values (any)",
                        "additionalProperties": {
                            "oneOf": [
                                {"type": "string"},
                                {"type": "array", "items": {"type": "string"}},
                            ]
                        },
                    },
                    "approve": {"type": "boolean"},
                    "localRepositories": {
                        "description": "OWNER/REPO@REF -> an absolute folder used for those "
                        "actions (the CLI's --local-repository)",
                        "type": "object",
                        "additionalProperties": {"type": "string", "pattern": "^/"},
                    },
                    "actionOfflineMode": {
                        "description": "use cached actions only (--action-offline-mode)",
                        "type": "boolean",
                    },
                    "actor": {"type": "string", "description": "github.actor (act's --actor)"},
                },
            }
        ),
        "responses": {
            "201": json_response("The run, queued"),
            "400": error_response("body is not JSON"),
            "401": error_response("token missing or wrong"),
            "403": error_response("workflow path refused"),
            "404": error_response("no such workflow"),
            "422": error_response("invalid body, workflow or inputs"),
            "503": error_response("shutting down, or the store degraded or unwritable"),
        },
    },
)
document(
    "/api/runs/{runId}",
    "get",
    {
        "summary": "A run with its jobs and steps",
        "parameters": [_RUN_ID],
        "responses": {"200": json_response("The run"), "404": error_response("no such run")},
    },
)
document(
    "/api/runs/{runId}/cancel",
    "post",
    {
        "summary": "Cancel a run",
        "security": _SECURED,
        "parameters": [_RUN_ID],
        "responses": {
            "202": json_response("Cancelling"),
            "401": error_response("token missing or wrong"),
            "404": error_response("no such run"),
            "409": error_response("the run is not running"),
        },
    },
)
document(
    "/api/runs/{runId}/jobs/{jobId}/approve",
    "post",
    {
        "summary": "Approve (or reject) a job waiting for an environment",
        "security": _SECURED,
        "parameters": [_RUN_ID, _JOB_ID],
        "requestBody": json_body(
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {"approve": {"type": "boolean"}, "comment": {"type": "string"}},
            },
            required=False,
        ),
        "responses": {
            "200": json_response("Decided"),
            "400": error_response("body is not JSON"),
            "401": error_response("token missing or wrong"),
            "404": error_response("no such run or job"),
            "409": error_response("the job is not waiting"),
            "422": error_response("invalid body"),
        },
    },
)
document(
    "/api/runs/{runId}/jobs/{jobId}/steps/{number}/log",
    "get",
    {
        "summary": "A step's log as plain text",
        "parameters": [
            _RUN_ID,
            _JOB_ID,
            path_param("number", "1-based step number", {"type": "integer", "minimum": 1}),
        ],
        "responses": {
            "200": {
                "description": "The log",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "404": error_response("no such step"),
        },
    },
)
document(
    "/api/workflows",
    "get",
    {
        "summary": "The workflows in the workflow dirs, with validation errors",
        "responses": {"200": json_response("Workflows")},
    },
)
