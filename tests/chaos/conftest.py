"""The API tests' in-process daemon (a real Hypercorn server on a loopback port), for the
chaos tests too."""

from __future__ import annotations

from tests.api.conftest import daemon_factory

__all__ = ["daemon_factory"]
