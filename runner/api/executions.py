"""Execution threads (seed 000): GET /api/executions/{runId}/threads/stream."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("executions", __name__)
