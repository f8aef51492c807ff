"""A family's part of the OpenAPI document, and the pieces it is written with.

Each family describes its own routes in a Fragment (its `openapi.py`): the operations,
by OpenAPI path (/api/runs/{runId}) and method, and the schema of its error bodies.
runner/api/openapi.py assembles the fragments into the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True, slots=True)
class Operation:
    path: str  # OpenAPI path syntax: /api/runs/{runId}
    method: str
    spec: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fragment:
    """One family's operations. Their error answers are documented with `error_schema`
    (`error_schemas`: another for some statuses, e.g. a 422 in a validation-error shape);
    without one, with ERROR_SCHEMA."""

    operations: tuple[Operation, ...]
    error_schema: dict[str, Any] | None = None
    error_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)


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


def sse_response(description: str) -> dict[str, Any]:
    """A stream of Server-Sent Events; the schema describes one event."""
    return {
        "description": description,
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
    }


def path_param(
    name: str, description: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return _param(name, "path", description, schema, required=True)


def query_param(
    name: str, description: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return _param(name, "query", description, schema, required=False)


def header_param(
    name: str, description: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return _param(name, "header", description, schema, required=False)


def _param(
    name: str, where: str, description: str, schema: dict[str, Any] | None, *, required: bool
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}
