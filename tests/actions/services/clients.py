"""Workflows whose `run:` steps drive the real toolkit clients (tests/node/services/*.mjs)
with the environment the step gets, under `stax run --local` or a daemon."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[2] / "node"
CLIENTS = NODE_DIR / "services"


_PACKAGES = (
    "@actions/artifact",
    "@actions/artifact-v1",
    "@actions/artifact-v2",
    "@actions/cache",
    "@actions/core",
)
_MISSING = [p for p in _PACKAGES if not (NODE_DIR / "node_modules" / p).is_dir()]

# A marker, not a pytest.skip() in the test: an async test's skip would lose its reason.
requires_node_clients = pytest.mark.skipif(
    shutil.which("node") is None or bool(_MISSING),
    reason=f"node and the npm toolkit packages are needed (cd tests/node && npm install): {_MISSING}",
)


def workflow_text(text: str) -> str:
    """The workflow with $CLIENTS standing for the client scripts' directory."""
    return textwrap.dedent(text).replace("$CLIENTS", str(CLIENTS))


def results(output: str) -> list[object]:
    """The RESULT payloads the client scripts printed, in order."""
    found: list[object] = []
    for line in output.splitlines():
        _, marker, payload = line.partition("RESULT ")
        if marker:
            found.append(json.loads(payload))
    return found


def run_local(
    root: Path, workflow: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`stax run --local` in `root`, as a user types it."""
    path = root / "workflows" / "ci.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(workflow_text(workflow))
    return subprocess.run(
        [sys.executable, "-m", "runner", "run", "--local", "-v", str(path), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
