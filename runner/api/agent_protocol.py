"""Agent Protocol thread event stream (seed 004): /threads/{id}/stream/events and commands."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("agent_protocol", __name__)
