"""Seed 002's two client samples, run as the seed writes them, read a real daemon's stream.

Only what cannot be the same here is changed: the Python sample's address (the daemon
listens on a free port, not 8080) and, for the JavaScript one, the page the sample's
relative URL is resolved against (tests/node/skills_fetch.mjs). The daemon knows the key
'KEY' (stax.toml auth.tokens) and a skill `my.skill`, as the samples expect.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import trio

from tests.api.skills.test_routes import skills_daemon
from tests.requires import NODE, NODE_DIR, requires_node

if TYPE_CHECKING:
    from tests.api.conftest import DaemonFactory


# Seed 002, "Python", verbatim.
SEED_PYTHON = """
import requests

with requests.post(
    'http://localhost:8080/v1/skills/my.skill/execute/stream',
    json={'inputs': {'text': 'hello'}},
    headers={'x-api-key': 'KEY'},
    stream=True,
) as resp:
    for line in resp.iter_lines(decode_unicode=True):
        if line.startswith('data: '):
            import json
            event = json.loads(line[6:])
            print(event['type'], event.get('message', ''))
"""

EXPECTED = [
    ("skill_start", "Starting skill 'my.skill'."),
    ("step_start", "Starting step 'analyze'."),
    ("step_completed", "Step 'analyze' completed."),
    ("step_skipped", "Step 'enrich' skipped (its condition is false)."),
    ("skill_completed", "Skill 'my.skill' completed."),
]


async def test_the_seeds_python_requests_sample(
    daemon_factory: DaemonFactory, tmp_path: Path
) -> None:
    daemon = await skills_daemon(daemon_factory, tmp_path)
    code = SEED_PYTHON.replace("localhost:8080", f"localhost:{daemon.address.port}")
    printed: list[tuple[object, ...]] = []

    def run_sample() -> None:
        exec(code, {"print": lambda *args: printed.append(args)})

    with trio.fail_after(20):
        await trio.to_thread.run_sync(run_sample)
    assert printed == [*EXPECTED, ("done", "")]


@requires_node
async def test_the_seeds_javascript_fetch_sample(
    daemon_factory: DaemonFactory, tmp_path: Path
) -> None:
    daemon = await skills_daemon(daemon_factory, tmp_path)
    with trio.fail_after(30):
        result = await trio.run_process(
            [NODE, str(NODE_DIR / "skills_fetch.mjs"), daemon.url],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines == [f"{kind} {message}" for kind, message in EXPECTED] + ["done undefined"]
