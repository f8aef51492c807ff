"""The REST surface's part of the OpenAPI document (runs, workflows, logs, artifacts, health)."""

from __future__ import annotations

from typing import Any

from runner.api.openapi_fragment import (
    Fragment,
    Operation,
    error_response,
    json_body,
    json_response,
    path_param,
    query_param,
)

_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}, {"dashboardSession": []}]
_RUN_ID = path_param("runId", "the run's id")
_JOB_ID = path_param("jobId", "the job's id in the run (matrix instances: key.N)")
_ARTIFACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "kind", "size_in_bytes", "download_url"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["v4", "v3"]},
        "job_id": {"type": "string"},
        "size_in_bytes": {"type": "integer"},
        "digest": {"type": ["string", "null"]},
        "content_type": {"type": "string"},
        "file_name": {"type": "string"},
        "created_at": {"type": "integer"},
        "finalized_at": {"type": ["integer", "null"]},
        "download_url": {"type": "string"},
    },
}


FRAGMENT = Fragment(
    operations=(
        Operation(
            "/api/health",
            "get",
            {
                "summary": "Daemon health",
                "responses": {"200": json_response("Health and counters")},
            },
        ),
        Operation(
            "/api/runs",
            "get",
            {
                "summary": "Recent runs, newest first",
                "parameters": [
                    query_param("status", "queued|in_progress|completed or a conclusion"),
                    query_param("workflow", "workflow file or name"),
                    query_param(
                        "limit",
                        "page size (1..500)",
                        {"type": "integer", "minimum": 1, "maximum": 500},
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
        ),
        Operation(
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
                            "workflow": {
                                "type": "string",
                                "minLength": 1,
                                "pattern": "^[^\\x00]+$",
                            },
                            "inputs": {"type": "object"},
                            "event": {"type": "string"},
                            "eventPayload": {"type": "object"},
                            "jobs": {"type": "array", "items": {"type": "string"}},
                            "workdir": {"type": "string", "pattern": "^/"},
                            "env": {"type": "object", "additionalProperties": {"type": "string"}},
                            "secrets": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
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
                            "actor": {
                                "type": "string",
                                "description": "github.actor (act's --actor)",
                            },
                            "bind": {
                                "description": "run every job in the workdir itself, not "
                                "in a snapshot of the repository of its own (--bind)",
                                "type": "boolean",
                            },
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
        ),
        Operation(
            "/api/runs/{runId}",
            "get",
            {
                "summary": "A run with its jobs and steps",
                "parameters": [_RUN_ID],
                "responses": {
                    "200": json_response("The run"),
                    "404": error_response("no such run"),
                },
            },
        ),
        Operation(
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
        ),
        Operation(
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
                        "properties": {
                            "approve": {"type": "boolean"},
                            "comment": {"type": "string"},
                        },
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
        ),
        Operation(
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
        ),
        Operation(
            "/api/workflows",
            "get",
            {
                "summary": "The workflows in the workflow dirs, with validation errors",
                "responses": {"200": json_response("Workflows")},
            },
        ),
        Operation(
            "/api/runs/{runId}/artifacts",
            "get",
            {
                "summary": "The run's artifacts (finished uploads, v4 and v3)",
                "parameters": [_RUN_ID],
                "responses": {
                    "200": json_response(
                        "The artifacts, oldest first",
                        {
                            "type": "object",
                            "required": ["total_count", "artifacts"],
                            "properties": {
                                "total_count": {"type": "integer"},
                                "artifacts": {"type": "array", "items": _ARTIFACT_SCHEMA},
                            },
                        },
                    ),
                    "404": error_response("no such run"),
                },
            },
        ),
        Operation(
            "/api/runs/{runId}/artifacts/{artifactId}/zip",
            "get",
            {
                "summary": "Download one artifact: its zip, or its one file if it was uploaded "
                "without an archive",
                "parameters": [
                    _RUN_ID,
                    path_param("artifactId", "the artifact's id in the run", {"type": "integer"}),
                ],
                "responses": {
                    "200": {
                        "description": "The artifact",
                        "content": {
                            "application/zip": {"schema": {"type": "string", "format": "binary"}},
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                        },
                    },
                    "404": error_response("no such run or artifact"),
                },
            },
        ),
    )
)
