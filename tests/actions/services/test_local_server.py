"""`stax run --local` starts its services server only for a run that needs it, and then
gives every step the ACTIONS_* variables that reach it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.actions.services.clients import run_local

PROBE = """
import json, os, urllib.request
request = urllib.request.Request(
    os.environ["ACTIONS_RESULTS_URL"] + "twirp/github.actions.results.api.v1.ArtifactService/ListArtifacts",
    data=json.dumps({"workflow_run_backend_id": os.environ["GITHUB_RUN_ID"]}).encode(),
    headers={"Authorization": "Bearer " + os.environ["ACTIONS_RUNTIME_TOKEN"],
             "Content-Type": "application/json"},
)
print("LISTED", urllib.request.urlopen(request).read().decode())
"""


def test_a_run_that_needs_no_services_gets_no_server_and_no_variables(tmp_path: Path) -> None:
    path = tmp_path / "plain.yml"
    path.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo found=$(env | grep -c ^ACTIONS_)\n"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "runner", "run", "--local", "-v", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "ACTIONS_RUNTIME_TOKEN": "an outer runner's"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "found=0" in result.stdout  # none of stax's, nor the outer runner's token
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "runner.actions.services" in imported  # the cheap part: the decision itself
    server_side = {
        "runner.actions.services.app",
        "runner.actions.services.local_server",
        "runner.actions.services.tokens",
        "h11",
    }
    assert not server_side & imported


def test_a_step_naming_the_variables_gets_a_working_server(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = run_local(
        tmp_path,
        f"""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: python3 {probe}  # reads $ACTIONS_RUNTIME_TOKEN
              - run: echo "$ACTIONS_RUNTIME_TOKEN"
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = next(line for line in result.stdout.splitlines() if "LISTED" in line)
    assert json.loads(listed.split("LISTED", 1)[1]) == {"artifacts": []}
    assert "eyJ" not in result.stdout  # the token is masked
    assert "***" in result.stdout


def test_never_leaves_even_an_action_without_services(tmp_path: Path) -> None:
    (tmp_path / "stax.toml").write_text('[services]\nlocal = "never"\n')
    result = run_local(
        tmp_path,
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo "results=${ACTIONS_RESULTS_URL-unset}"  # ACTIONS_RESULTS_URL
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "results=unset" in result.stdout


def test_the_token_carries_the_runs_ref_and_the_default_branch_as_cache_scopes(
    tmp_path: Path,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "ref": "refs/heads/feature",
                "repository": {"default_branch": "trunk"},
            }
        )
    )
    result = run_local(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  python3 -c '
                  import base64, json, os
                  body = os.environ["ACTIONS_RUNTIME_TOKEN"].split(".")[1]
                  claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
                  print("SCP", claims["scp"].split()[-1].split(":")[2])
                  print("AC", claims["ac"])'
        """,
        "--eventpath",
        str(event),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    scopes = json.loads(result.stdout.split("AC ", 1)[1].splitlines()[0])
    assert scopes == [
        {"Scope": "refs/heads/feature", "Permission": 3},
        {"Scope": "refs/heads/trunk", "Permission": 1},
    ]
    assert "SCP build" in result.stdout  # the job's id, after the run's
