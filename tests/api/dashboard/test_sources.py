"""The dashboard's scripts: its URLs are built in one place with every id encoded, one
scheduler renders each page, and the router has one table of routes."""

from __future__ import annotations

import json
import re
import subprocess

from runner.api.dashboard.files import DASHBOARD_DIR
from tests.requires import NODE, requires_node

SCRIPTS = {path.name: path.read_text(encoding="utf-8") for path in DASHBOARD_DIR.glob("*.js")}


def test_run_urls_are_built_by_links_js_only() -> None:
    """A template that puts an id into /runs/ or /api/runs/ unencoded (the cancel button
    once posted to `/api/runs/${runId}/cancel`) is written nowhere but links.js."""
    built_elsewhere = [
        f"{name}: {match.group()}"
        for name, source in SCRIPTS.items()
        if name != "links.js"
        for match in re.finditer(r"`/(?:api/)?runs/\$\{[^`]*`", source)
    ]
    assert not built_elsewhere


@requires_node
def test_links_encode_every_id() -> None:
    script = f"""
        const {{ runApi, runHref }} = await import({json.dumps((DASHBOARD_DIR / "links.js").as_uri())});
        console.log(JSON.stringify([
          runApi('a/b?c#d%'),
          runApi('r1', 'cancel'),
          runApi('r 1', 'jobs', 'build/1', 'approve'),
          runApi('r1', 'jobs', 'b', 'steps', 3, 'log'),
          runHref('r/1'),
          runHref('r1', {{ job: 'a&b' }}),
          runHref('r1', {{ job: 'j', step: 2, line: 0 }}),
          runHref('r1', {{ step: 2 }}),
        ]));
    """
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(result.stdout) == [
        "/api/runs/a%2Fb%3Fc%23d%25",
        "/api/runs/r1/cancel",
        "/api/runs/r%201/jobs/build%2F1/approve",
        "/api/runs/r1/jobs/b/steps/3/log",
        "/runs/r%2F1",
        "/runs/r1?job=a%26b",
        "/runs/r1?job=j&step=2#L1",
        "/runs/r1",
    ]


def test_one_frame_scheduler_renders_every_page() -> None:
    asking = sorted(name for name, source in SCRIPTS.items() if "requestAnimationFrame" in source)
    assert asking == ["dom.js"]
    for name in ("run.js", "runs.js", "skills.js", "logview.js"):
        assert "frameScheduler(" in SCRIPTS[name], name


def test_the_router_writes_each_route_once() -> None:
    """One table (ROUTES) gives both the page and its key (they were two functions
    matching the same paths)."""
    source = SCRIPTS["app.js"]
    assert source.count("/^\\/runs\\/([^/]+)\\/?$/") == 1
    assert "/^\\/skills(?:\\/.*)?$/" in source
    assert "startsWith('/skills" not in source
