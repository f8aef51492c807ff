"""What steps see: the process environment, the github context, inputs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runner.engine.inputs import resolve_inputs
from runner.engine.repository import read_repository
from runner.errors import RunError
from runner.model import InputSpec

if TYPE_CHECKING:
    from tests.engine.conftest import Runner


def _git(cwd: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
    env.update(extra_env or {})
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


@pytest.fixture
def repo(workspace: Path) -> Path:
    _git(workspace, "init", "-q", "-b", "feature/x")
    _git(workspace, "config", "user.name", "Octo Cat")
    _git(workspace, "config", "user.email", "octo@example.com")
    _git(workspace, "remote", "add", "origin", "git@github.com:octo-org/hello-world.git")
    (workspace / "README").write_text("hi\n")
    _git(workspace, "add", "README")
    _git(workspace, "commit", "-q", "-m", "first")
    return workspace


async def test_step_environment_has_host_env_and_runner_variables(
    run_yaml: Runner, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAX_TEST_HOST_VAR", "from-host")
    result = await run_yaml("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: show
                run: |
                  for v in CI GITHUB_ACTIONS STAX STAX_TEST_HOST_VAR RUNNER_OS RUNNER_ARCH \\
                           GITHUB_JOB GITHUB_ACTION GITHUB_EVENT_NAME GITHUB_REF GITHUB_RUN_ID \\
                           GITHUB_REPOSITORY GITHUB_SHA; do
                    echo "$v=${!v}"
                  done
                  test "$GITHUB_WORKSPACE" = "$PWD"
                  test -d "$RUNNER_TEMP"
                  test -n "$RUNNER_NAME" && test -n "$RUNNER_TOOL_CACHE" && test -n "$HOME"
                  test -f "$GITHUB_EVENT_PATH"
              - run: echo "$GITHUB_ACTION"
              - run: echo "$GITHUB_ACTION"
    """)
    assert result.conclusion == "success"
    env = dict(line.split("=", 1) for line in result.output("build", 1))
    assert env["CI"] == "true"
    assert env["GITHUB_ACTIONS"] == "true"
    assert env["STAX"] == "true"
    assert env["STAX_TEST_HOST_VAR"] == "from-host"
    assert env["RUNNER_OS"] == "Linux"
    assert env["RUNNER_ARCH"] in ("X64", "ARM64", "ARM", "X86")
    assert env["GITHUB_JOB"] == "build"
    assert env["GITHUB_ACTION"] == "show"
    assert env["GITHUB_EVENT_NAME"] == "push"
    assert env["GITHUB_RUN_ID"] == str(int(result.record.id, 16))  # a number, as on GitHub
    assert result.output("build", 2) == ["__run"]
    assert result.output("build", 3) == ["__run_2"]


async def test_github_context_comes_from_the_local_repository(
    run_steps: Runner, repo: Path
) -> None:
    sha = _git(repo, "rev-parse", "HEAD")
    result = await run_steps("""
        - run: |
            echo "sha=${{ github.sha }}"
            echo "ref=${{ github.ref }}"
            echo "ref_name=${{ github.ref_name }}"
            echo "repository=${{ github.repository }}"
            echo "owner=${{ github.repository_owner }}"
            echo "actor=${{ github.actor }}"
            echo "workspace=${{ github.workspace }}"
            echo "event=${{ github.event_name }} job=${{ github.job }}"
            echo "pushed=${{ github.event.after }} ${{ github.event.repository.full_name }}"
            echo "env_sha=$GITHUB_SHA env_ref_name=$GITHUB_REF_NAME"
            echo "runner=${{ runner.os }} ${{ runner.temp != '' }}"
    """)
    lines = result.output("j", 1)
    workspace = Path(lines[6].removeprefix("workspace="))
    assert workspace.parent.name == "work"  # the job's own snapshot of the repository
    assert not any(part.startswith(".") for part in workspace.parts)  # no dot folder
    assert lines == [
        f"sha={sha}",
        "ref=refs/heads/feature/x",
        "ref_name=feature/x",
        "repository=octo-org/hello-world",
        "owner=octo-org",
        "actor=Octo-Cat",
        f"workspace={workspace}",
        "event=push job=j",
        f"pushed={sha} octo-org/hello-world",
        f"env_sha={sha} env_ref_name=feature/x",
        "runner=Linux true",
    ]


async def test_the_actor_can_be_given_as_with_acts_actor_flag(run_steps: Runner) -> None:
    result = await run_steps(
        """
        - run: >-
            echo "$GITHUB_ACTOR ${{ github.triggering_actor }}
            ${{ github.event.sender.login }}"
    """,
        actor="nektos/act",
    )
    assert result.output("j", 1) == ["nektos/act nektos/act nektos/act"]


async def test_github_run_id_is_numeric(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo "${{ github.run_id }} $GITHUB_RUN_ID ${{ github.run_id > 0 }}"
    """)
    run_id, env_run_id, positive = result.output("j", 1)[0].split()
    assert run_id.isdigit()
    assert env_run_id == run_id
    assert positive == "true"


@pytest.mark.parametrize("packed", [False, True], ids=["loose", "packed"])
async def test_a_push_payloads_head_commit_is_complete(
    run_steps: Runner, repo: Path, packed: bool
) -> None:
    dates = {"GIT_COMMITTER_DATE": "2024-05-06T07:08:09+02:00", "GIT_AUTHOR_DATE": "@1700000000"}
    _git(
        repo, "commit", "-q", "--allow-empty", "-m", "Fix the thing", "-m", "Body.", extra_env=dates
    )
    if packed:
        _git(repo, "gc", "-q")
    sha = _git(repo, "rev-parse", "HEAD")
    result = await run_steps("""
        - run: echo '${{ toJSON(github.event.head_commit) }}' > "$RUNNER_TEMP/../head.json"
        - run: cat "$RUNNER_TEMP/../head.json"
    """)
    head = json.loads("\n".join(result.output("j", 2)))
    assert head["id"] == sha
    assert head["message"] == "Fix the thing\n\nBody."
    assert head["timestamp"] == "2024-05-06T07:08:09+02:00"
    assert head["author"] == {"name": "Octo Cat", "email": "octo@example.com"}
    assert head["committer"] == {"name": "Octo Cat", "email": "octo@example.com"}
    assert head["url"] == f"https://github.com/octo-org/hello-world/commit/{sha}"
    assert len(head["tree_id"]) == 40


async def test_github_context_from_a_pull_request_event_payload(
    run_yaml: Runner, repo: Path
) -> None:
    payload = {
        "number": 7,
        "pull_request": {"head": {"ref": "topic", "sha": "a" * 40}, "base": {"ref": "main"}},
    }
    result = await run_yaml(
        """
        on: [push, pull_request]
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "${{ github.event_name }} ${{ github.ref }} ${{ github.ref_name }}"
                  echo "${{ github.head_ref }} -> ${{ github.base_ref }}"
                  echo "$GITHUB_HEAD_REF $GITHUB_BASE_REF"
                  echo "${{ github.event.pull_request.head.sha }}"
                  python3 -c "import json,os; print(json.load(open(os.environ['GITHUB_EVENT_PATH']))['number'])"
        """,
        event_name="pull_request",
        event_payload=payload,
    )
    assert result.output("j", 1) == [
        "pull_request refs/pull/7/merge 7/merge",
        "topic -> main",
        "topic main",
        "a" * 40,
        "7",
    ]


async def test_an_event_the_workflow_does_not_run_on_is_refused(run_yaml: Runner) -> None:
    with pytest.raises(RunError, match="does not run on 'schedule'"):
        await run_yaml(
            """
            on: push
            jobs:
              j: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
        """,
            event_name="schedule",
        )


_DISPATCH = """
    on:
      workflow_dispatch:
        inputs:
          version: {type: string, required: true}
          dry_run: {type: boolean, default: true}
          replicas: {type: number, default: 2}
          tier: {type: choice, options: [small, large], default: small}
    jobs:
      j:
        runs-on: ubuntu-latest
        steps:
          - run: |
              echo "${{ inputs.version }} ${{ toJSON(inputs.dry_run) }} ${{ toJSON(inputs.replicas) }} ${{ inputs.tier }}"
              echo "event ${{ github.event.inputs.version }} ${{ github.event.inputs.dry_run }}"
              echo "${{ inputs.dry_run && 'dry' || 'real' }}"
"""


async def test_workflow_dispatch_inputs_are_typed(run_yaml: Runner) -> None:
    result = await run_yaml(
        _DISPATCH,
        event_name="workflow_dispatch",
        inputs={"version": "1.2", "dry_run": "false", "replicas": "3", "tier": "large"},
    )
    assert result.conclusion == "success"
    assert result.output("j", 1) == ["1.2 false 3 large", "event 1.2 false", "real"]
    assert result.record.inputs == {
        "version": "1.2",
        "dry_run": False,
        "replicas": 3,
        "tier": "large",
    }


async def test_workflow_dispatch_defaults_apply(run_yaml: Runner) -> None:
    result = await run_yaml(_DISPATCH, event_name="workflow_dispatch", inputs={"version": "9"})
    assert result.output("j", 1) == ["9 true 2 small", "event 9 true", "dry"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "'version' is required"),
        ({"version": "1", "dry_run": "maybe"}, "expected a boolean"),
        ({"version": "1", "replicas": "lots"}, "expected a number"),
        ({"version": "1", "tier": "huge"}, "expected one of small, large"),
        ({"version": "1", "nope": "x"}, "unknown input 'nope'"),
    ],
)
async def test_workflow_dispatch_inputs_are_validated_before_the_run(
    run_yaml: Runner, inputs: dict[str, str], message: str
) -> None:
    with pytest.raises(RunError, match=message):
        await run_yaml(_DISPATCH, event_name="workflow_dispatch", inputs=inputs)


def test_resolve_inputs_lists_every_problem() -> None:
    specs = {
        "a": InputSpec(name="a", type="number", required=True),
        "b": InputSpec(name="b", type="boolean"),
    }
    with pytest.raises(RunError) as caught:
        resolve_inputs(specs, {"b": "x", "c": "1"})
    text = str(caught.value)
    assert "'a' is required" in text
    assert "expected a boolean" in text
    assert "'c'" in text
    assert resolve_inputs(specs, {"A": "1.5"}) == {"a": 1.5, "b": False}


def test_repository_outside_git_and_with_https_remote(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    info = read_repository(plain)
    assert info.root is None
    assert info.sha == "0" * 40
    assert info.repository.endswith("/plain")
    _git(plain, "init", "-q", "-b", "main")
    _git(plain, "remote", "add", "origin", "https://github.com/some/thing.git")
    info = read_repository(plain)
    assert info.repository == "some/thing"
    assert info.ref == "refs/heads/main"
    assert info.sha == "0" * 40  # no commit yet


def test_the_event_file_holds_the_payload(tmp_path: Path) -> None:
    from runner.engine.contexts import write_event_file

    path = tmp_path / "event.json"
    write_event_file(path, {"a": [1, {"b": None}]})
    assert json.loads(path.read_text()) == {"a": [1, {"b": None}]}
