"""The Agent Protocol's part of the OpenAPI document (seed 004)."""

from __future__ import annotations

from typing import Any

from runner.api.openapi_fragment import (
    Fragment,
    Operation,
    error_response,
    json_body,
    json_response,
    path_param,
)

LANGGRAPH_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
}
# Seed 004's HTTPValidationError, as its OpenAPI document has it.
HTTP_VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "title": "HTTPValidationError",
    "properties": {
        "detail": {
            "type": "array",
            "title": "Detail",
            "items": {
                "type": "object",
                "title": "ValidationError",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "title": "Location",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string", "title": "Message"},
                    "type": {"type": "string", "title": "Error Type"},
                    "input": {"title": "Input"},
                    "ctx": {"type": "object", "title": "Context"},
                },
            },
        }
    },
}

_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
_THREAD = path_param("thread_id", "the thread's id (client-chosen or a UUID)")
_COMMON = {
    "401": error_response("token missing or wrong"),
    "503": error_response("the Agent Protocol is turned off in stax.toml"),
}
_OBJECT: dict[str, Any] = {"type": "object"}

FRAGMENT = Fragment(
    operations=(
        Operation(
            "/threads",
            "post",
            {
                "summary": "Create an agent-protocol thread (a container of runs)",
                "security": _SECURED,
                "requestBody": json_body(
                    {
                        "type": "object",
                        "properties": {
                            "thread_id": {"type": "string"},
                            "metadata": _OBJECT,
                            "if_exists": {"enum": ["raise", "do_nothing"]},
                        },
                    },
                    required=False,
                ),
                "responses": {
                    "200": json_response("The thread"),
                    "409": error_response("a thread with this id exists"),
                    "422": error_response("malformed body or thread id"),
                    **_COMMON,
                },
            },
        ),
        Operation(
            "/threads/{thread_id}",
            "get",
            {
                "summary": "A thread: metadata, status, its latest run as `values`",
                "security": _SECURED,
                "parameters": [_THREAD],
                "responses": {
                    "200": json_response("The thread"),
                    "404": error_response("no such thread (or another token's)"),
                    "422": error_response("not a valid thread id"),
                    **_COMMON,
                },
            },
        ),
        Operation(
            "/threads/{thread_id}/state",
            "get",
            {
                "summary": "A thread's state: values, next (unfinished jobs), tasks (waiting jobs)",
                "security": _SECURED,
                "parameters": [_THREAD],
                "responses": {
                    "200": json_response("The thread state"),
                    "404": error_response("no such thread (or another token's)"),
                    "422": error_response("not a valid thread id"),
                    **_COMMON,
                },
            },
        ),
        Operation(
            "/assistants/search",
            "post",
            {
                "summary": "The assistants: one per workflow, assistant_id = the workflow's name",
                "security": _SECURED,
                "requestBody": json_body(
                    {
                        "type": "object",
                        "properties": {
                            "graph_id": {"type": "string"},
                            "name": {"type": "string"},
                            "metadata": _OBJECT,
                            "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                            "offset": {"type": "integer", "minimum": 0},
                        },
                    },
                    required=False,
                ),
                "responses": {
                    "200": json_response(
                        "An array of assistants (X-Pagination-Next: the next offset)",
                        {"type": "array", "items": {"type": "object"}},
                    ),
                    "422": error_response("malformed body"),
                    **_COMMON,
                },
            },
        ),
        Operation(
            "/assistants/{assistant_id}",
            "get",
            {
                "summary": "One assistant (workflow)",
                "security": _SECURED,
                "parameters": [path_param("assistant_id", "the workflow's name")],
                "responses": {
                    "200": json_response("The assistant"),
                    "404": error_response("no such workflow"),
                    **_COMMON,
                },
            },
        ),
        Operation(
            "/threads/{thread_id}/commands",
            "post",
            {
                "summary": "Run a thread command: run.start, input.respond",
                "security": _SECURED,
                "parameters": [_THREAD],
                "requestBody": json_body(
                    {
                        "type": "object",
                        "required": ["id", "method"],
                        "properties": {
                            "id": {"type": "integer", "minimum": 0},
                            "method": {"type": "string"},
                            "params": _OBJECT,
                        },
                    }
                ),
                "responses": {
                    "200": json_response(
                        "The response envelope: {type: success, id, result, meta?} or "
                        "{type: error, id, error, message}"
                    ),
                    "404": error_response("the thread belongs to another token"),
                    "422": error_response("the body is not a JSON object"),
                    **_COMMON,
                },
            },
        ),
        Operation(
            "/threads/{thread_id}/stream/events",
            "post",
            {
                "summary": "The thread's events (every run on it), channel-filtered, as SSE",
                "security": _SECURED,
                "parameters": [_THREAD],
                "requestBody": json_body(
                    {
                        "type": "object",
                        "required": ["channels"],
                        "properties": {
                            "channels": {
                                "type": "array",
                                "items": {"type": "string"},
                                "minItems": 1,
                            },
                            "namespaces": {
                                "type": ["array", "null"],
                                "items": {"type": "array", "items": {"type": "string"}},
                            },
                            "depth": {"type": ["integer", "null"], "minimum": 0},
                            "since": {"type": ["integer", "null"], "minimum": 0},
                        },
                    }
                ),
                "responses": {
                    "200": {
                        "description": "event: <method>, data: <envelope>, id: <seq>",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "400": error_response("empty or unknown channel"),
                    "404": error_response("the thread belongs to another token"),
                    "422": error_response("malformed body"),
                    **_COMMON,
                },
            },
        ),
    ),
    error_schema=LANGGRAPH_ERROR_SCHEMA,
    error_schemas={"422": HTTP_VALIDATION_ERROR_SCHEMA},
)
