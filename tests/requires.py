"""Markers for tests that need a tool from outside Python, and the tool's path.

A test that may not run here is marked `@requires...`, never `pytest.skip()`-ed from its
body: pytest-trio re-raises a skip that happens inside an async test without its reason
(tests/conftest.py turns such a skip into a failure), while a marker is evaluated before
the test starts and keeps it, so `pytest -ra` says what to install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE = shutil.which("node") or "node"
BASH, CURL, JQ = (shutil.which(tool) or tool for tool in ("bash", "curl", "jq"))

requires_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

requires_node_eventsource = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_DIR / "node_modules" / "eventsource").is_dir(),
    reason="node and the npm eventsource package are needed (cd tests/node && npm install)",
)

requires_curl_jq = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("bash", "curl", "jq")),
    reason="bash, curl and jq are needed",
)
