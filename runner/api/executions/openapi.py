"""GET /api/executions/{runId}/threads/stream's part of the OpenAPI document."""

from __future__ import annotations

from runner.api.openapi_fragment import (
    Fragment,
    Operation,
    error_response,
    header_param,
    path_param,
    query_param,
    sse_response,
)

FRAGMENT = Fragment(
    operations=(
        Operation(
            "/api/executions/{runId}/threads/stream",
            "get",
            {
                "summary": "A run's jobs as execution threads (seed 000)",
                "parameters": [
                    path_param("runId", "the run (execution) id"),
                    query_param(
                        "threadIds",
                        "comma-separated thread (job) ids; a job key also selects its matrix instances",
                    ),
                    header_param("Last-Event-ID", "resume after this event id (N or N.i)"),
                ],
                "responses": {
                    "200": sse_response(
                        "connected, then gateway thread events (history first), "
                        "`: heartbeat` comments; ends after a finished run's last event"
                    ),
                    "204": {"description": "a finished execution with nothing after Last-Event-ID"},
                    "400": error_response("malformed threadIds or Last-Event-ID"),
                    "404": error_response("no such execution"),
                },
            },
        ),
    ),
)
