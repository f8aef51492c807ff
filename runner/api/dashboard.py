"""The dashboard: static pages served by the daemon, and its login."""

from __future__ import annotations

from quart import Blueprint

blueprint = Blueprint("dashboard", __name__)
