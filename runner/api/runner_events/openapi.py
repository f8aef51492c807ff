"""GET /api/events's part of the OpenAPI document."""

from __future__ import annotations

from runner.api.openapi_fragment import (
    EVENT_ID_SCHEMA,
    Fragment,
    Operation,
    error_response,
    header_param,
    query_param,
    sse_response,
)

FRAGMENT = Fragment(
    operations=(
        Operation(
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
                    query_param(
                        "lastEventId", "resume after this event id (N or N.i)", EVENT_ID_SCHEMA
                    ),
                    header_param("Last-Event-ID", "resume after this event id", EVENT_ID_SCHEMA),
                ],
                "responses": {
                    "200": sse_response("text/event-stream of events"),
                    "400": error_response("bad filter or event id"),
                },
            },
        ),
    )
)
