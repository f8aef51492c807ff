"""Session threads (seed 001): the Managed Agents session API shape over runs."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("sessions", __name__)
