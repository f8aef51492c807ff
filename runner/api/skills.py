"""Skills (seed 002): /v1/skills/{id}/execute and /execute/stream."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("skills", __name__)
