"""Security is correctness: tokens on every mutating route, loopback only, secrets never leave."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from runner.api.app import create_app
from runner.api.auth import check_bind
from runner.errors import ConfigError
from tests.api.conftest import Daemon
from tests.api.runner_events.test_stream import collect, start_run
from tests.api.runs.test_routes import wait_for_run

SECRET = "hunter2-s3cr3t-value"
MULTILINE = "first-line-of-key\nsecond-line-of-key"


async def test_every_mutating_route_needs_a_token(daemon: Daemon) -> None:
    app = create_app(daemon.services)
    mutating = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}
        if methods and not rule.endpoint.startswith("dashboard."):
            path = re.sub(
                r"<(?:\w+:)?(\w+)>", lambda m: "1" if "int" in m.group(0) else "x", rule.rule
            )
            mutating.extend((method, path) for method in methods)
    assert len(mutating) >= 3
    async with daemon.client() as client:
        for method, path in mutating:
            response = await client.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.text)


def test_refuses_to_listen_beyond_loopback_unless_told() -> None:
    check_bind("127.0.0.1", allow_remote=False)
    check_bind("::1", allow_remote=False)
    with pytest.raises(ConfigError, match="not a loopback address"):
        check_bind("0.0.0.0", allow_remote=False)
    check_bind("0.0.0.0", allow_remote=True)
    result = subprocess.run(
        [sys.executable, "-m", "runner", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
    assert "Traceback" not in result.stderr


async def test_secrets_and_masks_never_reach_the_store_or_any_stream(daemon: Daemon) -> None:
    daemon.write_workflow(
        "leaky.yml",
        """
        on: push
        env:
          TOKEN: ${{ secrets.TOKEN }}
        jobs:
          leak:
            runs-on: ubuntu-latest
            outputs:
              stolen: ${{ steps.s.outputs.value }}
            steps:
              - name: Uses ${{ secrets.TOKEN }} in its name
                id: s
                run: |
                  echo "plain: $TOKEN"
                  echo "value=$TOKEN" >> "$GITHUB_OUTPUT"
                  printf '%s\\n' "$KEY"
                  value="runtime-mask-$((6 * 7))"  # known only at run time
                  echo "::add-mask::$value"
                  echo "later: $value"
                  echo "::warning title=$TOKEN::$TOKEN in an annotation"
                  echo "$TOKEN" >&2
                  echo "# summary $TOKEN" >> "$GITHUB_STEP_SUMMARY"
                env:
                  KEY: ${{ secrets.KEY }}
              - run: echo "dying with $TOKEN"; exit 1
    """,
    )
    async with daemon.client() as client:
        run_id = await start_run(
            client, daemon, "leaky", secrets={"TOKEN": SECRET, "KEY": MULTILINE}
        )
        run = await wait_for_run(client, run_id)
        assert run["conclusion"] == "failure"
        seen = []
        for fmt in ({}, {"format": "canonical"}):
            frames = await collect(client, {"runId": run_id, "lastEventId": "0", **fmt})
            seen.append(repr(frames))
        seen.append((await client.get(f"/api/runs/{run_id}")).text)
        logs = [await client.get(f"/api/runs/{run_id}/jobs/leak/steps/{n}/log") for n in (1, 2)]
        seen.extend(log.text for log in logs)
    text = "\n".join(seen)
    assert "***" in text  # masking happened, and the lines are still there
    assert "later: ***" in text
    for needle in (SECRET, "runtime-mask-42", "first-line-of-key", "second-line-of-key"):
        assert needle not in text, needle
    # Nothing in the database files either (WAL included); run.completed is committed.
    for path in daemon.settings.data_dir.glob("stax.db*"):
        raw = path.read_bytes()
        for needle in (SECRET, "runtime-mask-42", "first-line-of-key"):
            assert needle.encode() not in raw, (path.name, needle)
