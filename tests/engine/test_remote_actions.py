"""Remote actions and reusable workflows, from the test's own actions server (file://),
from the cache, or from a --local-repository folder; and how each way fails."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from runner.events.types import EventType
from tests.actions.git_server import ACTIONS, NODE_MODULES
from tests.engine.conftest import needs_node, write
from tests.engine.workflows import one_job

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import Settings
    from tests.actions.git_server import GitServer
    from tests.engine.conftest import Runner

GREET = one_job("""
    - uses: octo/greet@v1
      with: {who: world}
""")


def _git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a `git` on PATH that logs each invocation before running the real one."""
    real = shutil.which("git")
    assert real is not None
    bin_dir = tmp_path / "logging-git"
    bin_dir.mkdir()
    log = tmp_path / "git.log"
    script = bin_dir / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return log


@needs_node
async def test_a_remote_composite_action_that_uses_javascript_actions(
    run_steps: Runner, actions_server: GitServer
) -> None:
    for name in ("greet", "stages", "composite"):
        actions_server.publish_fixture(f"octo/{name}", name)
    result = await run_steps("""
        - id: c
          uses: octo/composite@v1
          with: {name: inner-world}
        - run: echo "said=${{ steps.c.outputs.said }}"
    """)
    assert result.conclusion == "success", result.logs()
    assert [(s.name, s.conclusion) for s in result.job("j").steps] == [
        ("Run octo/composite@v1", "success"),
        ('Run echo "said=Hello, inner-world!"', "success"),
        # The nested action's post, under the name of the job's step it belongs to.
        ("Post Run octo/composite@v1", "success"),
    ]
    lines = result.logs("j", 1)
    assert lines[0].startswith("Download action repository 'octo/composite@v1' (SHA:")
    for expected in (
        "composite from octo/composite@v1",
        "Hello, inner-world!",
        "pre nested",  # a nested action's pre runs just before it
        "main nested state=pre-of-nested",
    ):
        assert expected in lines
    assert result.output("j", 2) == ["said=Hello, inner-world!"]
    assert result.logs("j", 3)[-1] == "post nested pre=pre-of-nested main=main-of-nested"


@needs_node
async def test_a_remote_reusable_workflow(run_yaml: Runner, actions_server: GitServer) -> None:
    actions_server.publish_fixture("octo/greet", "greet")
    actions_server.publish_fixture("octo/workflows", "workflows")
    result = await run_yaml("""
        on: push
        jobs:
          call:
            uses: octo/workflows/.github/workflows/build.yml@v1
            with: {target: linux}
          after:
            needs: call
            runs-on: ubuntu-latest
            steps:
              - run: echo "got ${{ needs.call.outputs.greeting }}"
    """)
    assert result.job_conclusions() == {"call.build": "success", "after": "success"}
    assert result.job("call.build").name == "call / build"
    assert result.output("call.build", 2) == ["built linux"]
    assert result.output("after", 1) == ["got Hello, linux!"]


async def test_a_remote_reusable_workflow_that_is_missing_fails_the_caller(
    run_yaml: Runner, actions_server: GitServer
) -> None:
    actions_server.publish("octo/workflows", {"README": "no workflows here"}, tag="v1")
    result = await run_yaml("""
        on: push
        jobs:
          call:
            uses: octo/workflows/.github/workflows/build.yml@v1
          gone:
            uses: octo/nothing/.github/workflows/build.yml@v1
    """)
    assert result.job("call").conclusion == "failure"
    assert "jobs.call.uses: octo/workflows/.github/workflows/build.yml@v1: " in (
        result.job("call").error or ""
    )
    assert "no repository at" in (result.job("gone").error or "")


@needs_node
async def test_a_local_repository_replaces_the_ref_without_git(
    run_yaml: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "greet-checkout"
    shutil.copytree(ACTIONS / "greet", folder)
    (folder / "node_modules").symlink_to(NODE_MODULES)
    monkeypatch.setenv("PATH", f"{tmp_path / 'no-git'}:/usr/local/bin:/usr/bin:/bin")
    log = _git_log(tmp_path, monkeypatch)
    result = await run_yaml(GREET, local_repositories={"octo/greet@v1": str(folder)})
    assert result.conclusion == "success", result.logs()
    assert result.logs("j", 1)[0] == (
        f"Using action repository 'octo/greet@v1' from the local folder {folder}"
    )
    assert f"path={folder} cwd={result.record.workdir}" in result.logs("j", 1)
    assert not log.exists()  # no git at all


@needs_node
async def test_the_cache_is_shared_by_runs_and_a_second_run_fetches_nothing(
    run_yaml: Runner, actions_server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actions_server.publish_fixture("octo/greet", "greet")
    log = _git_log(tmp_path, monkeypatch)
    first = await run_yaml(GREET)
    assert first.conclusion == "success"
    assert first.logs("j", 1)[0].startswith("Download action repository")
    assert any(line.split()[2:3] == ["fetch"] for line in log.read_text().splitlines())
    log.unlink()
    second = await run_yaml(GREET)
    assert second.conclusion == "success"
    assert second.logs("j", 1)[0].startswith("Using cached action repository 'octo/greet@v1'")
    commands = [line.split()[0] for line in log.read_text().splitlines()]
    assert commands == ["ls-remote"]  # the tag is resolved again; nothing is fetched


@needs_node
async def test_offline_mode_uses_the_cache_and_names_what_it_lacks(
    run_yaml: Runner, actions_server: GitServer, settings: Settings
) -> None:
    actions_server.publish_fixture("octo/greet", "greet")
    assert (await run_yaml(GREET)).conclusion == "success"
    shutil.rmtree(actions_server.root)  # no server at all from here on
    offline = {"actions": replace(settings.actions, offline_mode=True)}
    cached = await run_yaml(GREET, settings_overrides=offline)
    assert cached.conclusion == "success"
    assert cached.logs("j", 1)[0].startswith("Using cached action repository")
    by_request = await run_yaml(GREET, action_offline_mode=True)
    assert by_request.conclusion == "success"
    never = await run_yaml(GREET.replace("greet@v1", "greet@v2"), action_offline_mode=True)
    assert never.job("j").steps[0].error == (
        "octo/greet@v2: never fetched, and offline mode does not fetch "
        "(run once without --action-offline-mode to cache it)"
    )


async def test_what_cannot_be_had_is_a_step_failure_naming_the_action_within_a_second(
    run_steps: Runner, actions_server: GitServer, workspace: Path
) -> None:
    actions_server.publish("octo/bare", {"README": "not an action"}, tag="v1")
    sha = actions_server.publish("octo/broken", {"action.yml": "runs: {using: node20}\n"}, tag="v1")
    actions_server.publish("octo/corrupt", {"action.yml": "x"}, tag="v1")
    for pack in (actions_server.bare("octo/corrupt") / "objects").rglob("*"):
        if pack.is_file():
            pack.chmod(0o644)
            pack.write_bytes(b"garbage")
    result = await run_steps("""
        - uses: octo/nothing@v1
        - if: always()
          uses: octo/bare@v9
        - if: always()
          uses: octo/bare@v1
        - if: always()
          uses: octo/broken@v1
        - if: always()
          uses: octo/corrupt@v1
        - if: always()
          run: echo the job goes on
    """)
    steps = result.job("j").steps
    assert [s.conclusion for s in steps] == ["failure"] * 5 + ["success"]
    url = actions_server.url
    errors = [s.error or "" for s in steps]
    assert errors[0] == (
        f"octo/nothing@v1: git ls-remote failed: no repository at {url}/octo/nothing "
        "(or it is not readable without credentials)"
    )
    assert errors[1] == f"octo/bare@v9: no tag or branch 'v9' in {url}/octo/bare"
    assert errors[2].startswith("uses: octo/bare@v1: no action.yml or action.yaml in ")
    assert (
        f"/commits/octo/broken/{sha}/action.yml:1:7: runs: a JavaScript action needs" in (errors[3])
    )
    assert errors[4].startswith("octo/corrupt@v1: git ")
    for step in steps[:5]:
        assert step.completed_at is not None
        assert step.started_at is not None
        assert step.completed_at - step.started_at < 1000, step
    assert "Traceback" not in result.all_json()
    annotations = [a["message"] for a in result.annotations() if a["level"] == "error"]
    assert annotations == errors[:5]


async def test_unused_actions_of_skipped_steps_are_not_fetched(
    run_steps: Runner, actions_server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _git_log(tmp_path, monkeypatch)
    result = await run_steps("""
        - uses: actions/setup-python@v5
          if: runner.environment == 'github-hosted'
        - run: echo ok
    """)
    assert result.step_conclusions("j") == ["skipped", "success"]
    assert not log.exists()


@pytest.mark.skipif(shutil.which("node") is None, reason="no node on PATH")
async def test_a_local_javascript_action_warns_that_pre_does_not_run(
    run_steps: Runner, workspace: Path
) -> None:
    write(
        workspace,
        "actions/js/action.yml",
        """
        runs: {using: node20, pre: pre.js, main: main.js, post: post.js}
    """,
    )
    write(workspace, "actions/js/pre.js", "console.log('pre')\n")
    write(workspace, "actions/js/main.js", "console.log('main', process.env.GITHUB_ACTION)\n")
    write(workspace, "actions/js/post.js", "console.log('post')\n")
    result = await run_steps("""
        - uses: ./actions/js
    """)
    assert [(s.name, s.conclusion) for s in result.job("j").steps] == [
        ("Run ./actions/js", "success"),
        ("Post Run ./actions/js", "success"),
    ]
    assert result.logs("j", 1)[-1] == "main __self"
    assert result.logs("j", 2)[-1] == "post"
    assert [a["message"] for a in result.annotations()] == [
        "`pre` execution is not supported for local action from './actions/js'"
    ]
    assert all(
        e.type is not EventType.STEP_LOG or "pre" not in e.data["lines"] for e in result.events
    )
