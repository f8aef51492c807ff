"""A run's RUNNER_TOOL_CACHE, as actions see it: a JavaScript action calling the real
@actions/tool-cache `find()`, and (when a copy of it is at hand) the real
actions/setup-python, offline."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runner.actions.toolcache import node_arch
from tests.engine.conftest import needs_node
from tests.requires import NODE_DIR

if TYPE_CHECKING:
    from tests.engine.conftest import Runner

pytestmark = needs_node

FIND_TOOL = NODE_DIR / "actions" / "find-tool"
HOST_VERSION = platform.python_version()
MAJOR_MINOR = ".".join(HOST_VERSION.split(".")[:2])
# Checkouts of github.com/actions/setup-python at v5 and setup-node at v4 (with their
# committed dist/), where the machine has them.
SETUP_PYTHON = os.environ.get("STAX_TEST_SETUP_PYTHON", "")
SETUP_NODE = os.environ.get("STAX_TEST_SETUP_NODE", "")
requires_tool_cache_npm = pytest.mark.skipif(
    not (NODE_DIR / "node_modules" / "@actions" / "tool-cache").is_dir(),
    reason="@actions/tool-cache is needed (cd tests/node && npm install)",
)


def requires_checkout(checkout: str, variable: str, action: str) -> pytest.MarkDecorator:
    """Skip unless `variable` named a checkout of `action`."""
    return pytest.mark.skipif(
        not (checkout and (Path(checkout) / "dist" / "setup" / "index.js").is_file()),
        reason=f"set {variable} to a checkout of {action}",
    )


def offline_with(action: str, checkout: str) -> dict[str, Any]:
    """Run options: `action` from the folder `checkout`, and no action downloaded."""
    return {
        "local_repositories": {action: checkout},
        "action_offline_mode": True,
        "limit_s": 60,
    }


@requires_tool_cache_npm
async def test_a_javascript_action_finds_the_host_python(run_steps: Runner) -> None:
    result = await run_steps(
        f"""
            - id: find
              uses: stax-tests/find-tool@v1
              with: {{tool: Python, version: "{MAJOR_MINOR}"}}
            - run: |
                "${{{{ steps.find.outputs.path }}}}/bin/python" -c 'import sys; print("prefix", sys.prefix)'
                test "$RUNNER_TOOL_CACHE" = "${{{{ runner.tool_cache }}}}" && echo same=true
                test "$RUNNER_TOOL_CACHE" = "$AGENT_TOOLSDIRECTORY" && echo agent-too
        """,
        local_repositories={"stax-tests/find-tool@v1": str(FIND_TOOL)},
    )
    assert result.conclusion == "success", result.logs()
    found = [line for line in result.logs("j", 1) if line.startswith("found: ")]
    path = Path(found[0].removeprefix("found: "))
    assert path.parts[-3:] == ("Python", HOST_VERSION, node_arch())
    assert result.output("j", 2) == [f"prefix {path}", "same=true", "agent-too"]


@requires_checkout(SETUP_PYTHON, "STAX_TEST_SETUP_PYTHON", "actions/setup-python@v5")
async def test_the_real_setup_python_takes_the_host_python_offline(run_steps: Runner) -> None:
    result = await run_steps(
        f"""
            - id: setup
              uses: actions/setup-python@v5
              with: {{python-version: "{MAJOR_MINOR}"}}
            - run: |
                echo "version=${{{{ steps.setup.outputs.python-version }}}}"
                python -c 'import sys; print("prefix", sys.prefix)'
                echo "location=$pythonLocation"
                python -m pip --version > /dev/null && echo pip-works
        """,
        **offline_with("actions/setup-python@v5", SETUP_PYTHON),
    )
    assert result.conclusion == "success", result.logs()
    out = result.output("j", 2)
    assert out[0] == f"version={HOST_VERSION}"
    location = out[2].removeprefix("location=")
    assert Path(location).parts[-3:] == ("Python", HOST_VERSION, node_arch())
    assert out[1] == f"prefix {location}"
    assert out[3] == "pip-works"
    setup = result.record.jobs["j"].steps[0]
    assert setup.completed_at is not None
    assert setup.started_at is not None
    assert setup.completed_at - setup.started_at < 10_000  # milliseconds: nothing downloaded


NODE_VERSION = (
    subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if shutil.which("node")
    else ""
)


@requires_checkout(SETUP_NODE, "STAX_TEST_SETUP_NODE", "actions/setup-node@v4")
async def test_the_real_setup_node_takes_the_host_node_offline(run_steps: Runner) -> None:
    version = NODE_VERSION
    major = version.removeprefix("v").split(".")[0]
    result = await run_steps(
        f"""
            - id: setup
              uses: actions/setup-node@v4
              with: {{node-version: "{major}"}}
            - run: |
                echo "version=${{{{ steps.setup.outputs.node-version }}}}"
                command -v node
                test "$(command -v npm)" = "$(dirname "$(command -v node)")/npm" && echo npm-too
        """,
        **offline_with("actions/setup-node@v4", SETUP_NODE),
    )
    assert result.conclusion == "success", result.logs()
    out = result.output("j", 2)
    assert out[0] == f"version={version}"
    assert Path(out[1]).parts[-5:] == (
        "node",
        version.removeprefix("v"),
        node_arch(),
        "bin",
        "node",
    )
    assert out[2] == "npm-too"
