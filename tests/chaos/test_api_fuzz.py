"""schemathesis against /openapi.json on a live daemon: no 500 anywhere, and every status
code the daemon answers is one its document declares (streams, which never end, excepted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.real_daemon import Project


@pytest.mark.skipif(
    importlib.util.find_spec("schemathesis") is None,
    reason="schemathesis is not installed (pip install -e '.[test]')",
)
def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    project: Project,
) -> None:
    project.workflow(
        "hello",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
    """,
    )
    project.serve()
    result = subprocess.run(
        [
            # The interpreter running the tests, not whatever `schemathesis` is on PATH
            # (there may be none: a venv used without being activated).
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{project.url}/openapi.json",
            "-H",
            f"Authorization: Bearer {project.token}",
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "10",
            "--seed",
            "7",
            "--request-timeout",
            "5",
            "--generation-database",
            "none",
            "--exclude-path-regex",
            "stream|/api/events",
        ],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
