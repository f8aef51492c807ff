"""The skills' part of the OpenAPI document (seed 002)."""

from __future__ import annotations

from typing import Any

from runner.api.openapi_fragment import (
    Fragment,
    Operation,
    error_response,
    header_param,
    json_body,
    json_response,
    path_param,
    sse_response,
)
from runner.skills import CHANNEL_HEADER

_SECURED: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}, {"dashboardSession": []}]
_SKILL_ID = path_param(
    "skill_id", "a skill id (dotted)", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"}
)
_RATE_HEADERS = {
    "X-RateLimit-Limit": {"schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"schema": {"type": "integer"}, "description": "Unix time (s)"},
}
_RESULT = {
    "type": "object",
    "required": ["skill_id", "status", "outputs", "trace_id"],
    "properties": {
        "skill_id": {"type": "string"},
        "status": {"type": "string", "enum": ["completed", "degraded", "failed", "cancelled"]},
        "outputs": {"type": "object"},
        "trace_id": {"type": "string"},
    },
}
_BODY = json_body(
    {"type": "object", "properties": {"inputs": {"type": "object"}}},
    required=False,
)


def _execute_responses(ok: dict[str, Any]) -> dict[str, Any]:
    too_many = error_response("rate limit exceeded (Retry-After says when to retry)")
    too_many["headers"] = {**_RATE_HEADERS, "Retry-After": {"schema": {"type": "integer"}}}
    return {
        "200": {**ok, "headers": _RATE_HEADERS},
        "400": error_response(
            "the body is not JSON; for the stream, also a Last-Event-ID (it does not resume)"
        ),
        "401": error_response("token missing or wrong"),
        "404": error_response("no such (valid) skill"),
        "422": error_response("the body or the inputs do not fit (each problem listed)"),
        "429": too_many,
        "503": error_response("the daemon is stopping or cannot record runs"),
    }


FRAGMENT = Fragment(
    operations=(
        Operation(
            "/v1/skills",
            "get",
            {
                "summary": "The skills in the skill dirs (seed 002)",
                "responses": {"200": json_response("Skills, and problems of invalid skill files")},
            },
        ),
        Operation(
            "/v1/skills/{skill_id}",
            "get",
            {
                "summary": "One skill, with its inputs' JSON Schema",
                "parameters": [_SKILL_ID],
                "responses": {
                    "200": json_response("The skill"),
                    "404": error_response("no such (valid) skill"),
                },
            },
        ),
        Operation(
            "/v1/skills/{skill_id}/execute",
            "post",
            {
                "summary": "Execute a skill and wait for its result",
                "security": _SECURED,
                "parameters": [
                    _SKILL_ID,
                    header_param(CHANNEL_HEADER, '"cli" for stax\'s own CLI'),
                ],
                "requestBody": _BODY,
                "responses": _execute_responses(json_response("The result", _RESULT)),
            },
        ),
        Operation(
            "/v1/skills/{skill_id}/execute/stream",
            "post",
            {
                "summary": "Execute a skill and stream its events (Server-Sent Events, seed 002)",
                "security": _SECURED,
                "parameters": [
                    _SKILL_ID,
                    header_param(CHANNEL_HEADER, '"cli" for stax\'s own CLI'),
                    header_param("Last-Event-ID", "refused (400): the stream does not resume"),
                ],
                "requestBody": _BODY,
                "responses": _execute_responses(
                    sse_response("skill_start, step_*, skill_completed, then done (the result)")
                ),
            },
        ),
        Operation(
            "/v1/skills/executions/{trace_id}",
            "get",
            {
                "summary": "A skill execution: its result (or running), channel, inputs and events",
                "parameters": [path_param("trace_id", "the execution's trace id")],
                "responses": {
                    "200": json_response("The execution"),
                    "404": error_response("no such execution"),
                },
            },
        ),
    ),
)
