"""Which Node.js runs a JavaScript action: `[actions] node`, or the one named for its
`using` (`[actions] node24`), and a warning when it is older than the action asks."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tests.engine.conftest import write
from tests.engine.workflows import one_job

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import Settings
    from tests.engine.conftest import Runner

WORKFLOW = one_job("- uses: ./act")


def fake_node(folder: Path, version: str) -> str:
    """A stand-in `node`: gives `version` for --version, else says which it is."""
    script = folder / f"node-{version}"
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = --version ]; then echo {version}; exit 0; fi\n'
        f'echo "run by {version}: $(basename "$1")"\n'
    )
    script.chmod(0o755)
    return str(script)


async def test_an_older_node_runs_the_action_with_a_warning_naming_the_setting(
    run_yaml: Runner, workspace: Path, settings: Settings, tmp_path: Path
) -> None:
    write(workspace, "act/action.yml", "runs: {using: node24, main: index.js}\n")
    write(workspace, "act/index.js", "")
    node20 = fake_node(tmp_path, "v20.1.0")
    actions = replace(settings.actions, node=node20)
    result = await run_yaml(WORKFLOW, settings_overrides={"actions": actions})
    assert result.conclusion == "success", result.logs("j")
    assert result.output("j", 1)[-1] == "run by v20.1.0: index.js"
    warnings = [a["message"] for a in result.annotations() if a["level"] == "warning"]
    assert warnings == [
        f"uses: ./act: this action runs on node24, and {node20} is Node.js 20: it may fail "
        "(set [actions] node24 in stax.toml to a Node.js 24)"
    ]


async def test_the_node_named_for_the_runtime_runs_it(
    run_yaml: Runner, workspace: Path, settings: Settings, tmp_path: Path
) -> None:
    write(workspace, "act/action.yml", "runs: {using: node24, main: index.js}\n")
    write(workspace, "act/index.js", "")
    actions = replace(
        settings.actions,
        node=fake_node(tmp_path, "v20.1.0"),
        runtimes={"node24": fake_node(tmp_path, "v24.2.0")},
    )
    result = await run_yaml(WORKFLOW, settings_overrides={"actions": actions})
    assert result.output("j", 1)[-1] == "run by v24.2.0: index.js"
    assert result.annotations() == []
    # a node20 action still runs with [actions] node
    write(workspace, "act/action.yml", "runs: {using: node20, main: index.js}\n")
    result = await run_yaml(WORKFLOW, settings_overrides={"actions": actions})
    assert result.output("j", 1)[-1] == "run by v20.1.0: index.js"
    assert result.annotations() == []
