"""`stax run --local-repository` and `--action-offline-mode`: act's flags, in this process
and through a daemon."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from tests.actions.git_server import ACTIONS, NODE_MODULES
from tests.engine.conftest import needs_node

if TYPE_CHECKING:
    from pathlib import Path

    from tests.real_daemon import Project

GREET = """
    on: push
    jobs:
      j:
        runs-on: ubuntu-latest
        steps:
          - uses: octo/greet@v1
            with: {who: cli}
"""


def _prepare(project: Project, tmp_path: Path) -> Path:
    """A checkout of the greet action, and an actions server nobody can reach."""
    with (project.root / "stax.toml").open("a") as config:
        config.write(f'[actions]\nserver = "{(tmp_path / "no-server").as_uri()}"\n')
    project.workflow("greet", GREET)
    folder = tmp_path / "greet-checkout"
    shutil.copytree(ACTIONS / "greet", folder)
    (folder / "node_modules").symlink_to(NODE_MODULES)
    return folder


@needs_node
@pytest.mark.parametrize("where", ["here", "daemon"])
def test_local_repository_runs_the_folder(project: Project, tmp_path: Path, where: str) -> None:
    folder = _prepare(project, tmp_path)
    if where == "daemon":
        project.serve()
    relative = folder.relative_to(project.root.parent)
    result = project.stax("run", "greet", "--local-repository", f"octo/greet@v1=../{relative}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hello, cli!" in result.stdout
    if where == "daemon":
        runs = project.get("/api/runs").json()["runs"]
        assert len(runs) == 1  # it ran in the daemon


def test_offline_mode_names_the_action_it_lacks(project: Project, tmp_path: Path) -> None:
    _prepare(project, tmp_path)
    result = project.stax("run", "greet", "--action-offline-mode")
    assert result.returncode == 1
    assert "octo/greet@v1: never fetched, and offline mode does not fetch" in result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("octo/greet@v1", "--local-repository octo/greet@v1: expected OWNER/REPO@REF=PATH"),
        ("greet@v1=.", "--local-repository greet@v1=.: 'greet@v1': expected OWNER/REPO@REF"),
        ("octo/greet@v1=nowhere", "nowhere is not a directory"),
    ],
)
def test_a_bad_local_repository_is_a_usage_error(
    project: Project, tmp_path: Path, value: str, message: str
) -> None:
    _prepare(project, tmp_path)
    result = project.stax("run", "greet", "--local-repository", value)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
