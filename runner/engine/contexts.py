"""The contexts expressions see (`github`, `runner`, ...) and the environment steps get.

Everything a run knows before its first job is gathered once in RunContexts;
jobs and steps add their own layers (matrix, needs, steps, env) on top.
"""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner import json_text
from runner.expressions import EvalContext, JSONValue, to_string
from runner.run_ids import numeric_run_id

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from runner.engine.repository import Commit, RepositoryInfo

SERVER_URL = "https://github.com"
API_URL = "https://api.github.com"
GRAPHQL_URL = "https://api.github.com/graphql"


def runner_arch() -> str:
    machine = platform.machine().lower()
    return {
        "x86_64": "X64",
        "amd64": "X64",
        "aarch64": "ARM64",
        "arm64": "ARM64",
        "armv7l": "ARM",
        "i686": "X86",
        "i386": "X86",
    }.get(machine, machine.upper())


@dataclass(frozen=True, slots=True, kw_only=True)
class RunContexts:
    """The run-wide contexts and the environment every step starts from."""

    github: dict[str, JSONValue]
    runner: dict[str, JSONValue]
    inputs: dict[str, JSONValue]
    secrets: dict[str, JSONValue]
    vars: dict[str, JSONValue]
    base_env: dict[str, str]  # host env + CI markers + GITHUB_*/RUNNER_* for the run
    workspace: Path
    temp_dir: Path  # RUNNER_TEMP
    commands_dir: Path  # where each step's $GITHUB_* files and script go
    # The work tree of the local repository the run started in (None outside one):
    # actions/checkout clones from it, whatever a job has done to its workspace.
    repository: Path | None = None
    extra: dict[str, JSONValue] = field(default_factory=dict)  # e.g. `jobs` in a called workflow

    def eval_context(
        self,
        *,
        env: Mapping[str, JSONValue] | None = None,
        job_status: str | None = None,
        layers: Mapping[str, JSONValue] | None = None,
    ) -> EvalContext:
        """An EvalContext with the run's contexts plus `layers` (matrix, needs, ...) over them."""
        contexts: dict[str, JSONValue] = {
            "github": self.github,
            "runner": self.runner,
            "inputs": self.inputs,
            "secrets": self.secrets,
            "vars": self.vars,
            "env": dict(env) if env is not None else {},
            **self.extra,
        }
        if layers:
            contexts.update(layers)
        return EvalContext(contexts=contexts, job_status=job_status, workspace=str(self.workspace))


def build_github_context(
    *,
    repo: RepositoryInfo,
    workflow_name: str,
    workflow_path: str,
    event_name: str,
    event: dict[str, JSONValue],
    run_id: str,
    run_number: int,
    workspace: Path,
    event_path: Path,
) -> dict[str, JSONValue]:
    ref = repo.ref
    head_ref = base_ref = ""
    if event_name in ("pull_request", "pull_request_target"):
        pr = event.get("pull_request")
        if isinstance(pr, dict):
            head = pr.get("head")
            base = pr.get("base")
            head_ref = str(head.get("ref", "")) if isinstance(head, dict) else ""
            base_ref = str(base.get("ref", "")) if isinstance(base, dict) else ""
        number = event.get("number")
        if number is not None:
            ref = f"refs/pull/{number}/merge"
    if isinstance(event.get("ref"), str) and event_name in ("push", "create", "delete"):
        ref = str(event["ref"])
    ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
    ref_name = ref.split("/", 2)[2] if ref.count("/") >= 2 else ref
    if event_name in ("pull_request", "pull_request_target") and ref.startswith("refs/pull/"):
        ref_name = ref.removeprefix("refs/pull/")
    sha = repo.sha
    if event_name == "push" and isinstance(event.get("after"), str) and event["after"]:
        sha = str(event["after"])
    return {
        "action": "",
        "action_path": "",
        "action_ref": "",
        "action_repository": "",
        "actor": repo.actor,
        "actor_id": "0",
        "api_url": API_URL,
        "base_ref": base_ref,
        "env": "",
        "event": event,
        "event_name": event_name,
        "event_path": str(event_path),
        "graphql_url": GRAPHQL_URL,
        "head_ref": head_ref,
        "job": "",
        "path": "",
        "ref": ref,
        "ref_name": ref_name,
        "ref_protected": False,
        "ref_type": ref_type,
        "repository": repo.repository,
        "repository_id": "0",
        "repository_owner": repo.owner,
        "repository_owner_id": "0",
        "repositoryUrl": f"git://github.com/{repo.repository}.git",
        "retention_days": 0,
        "run_attempt": "1",
        "run_id": numeric_run_id(run_id),
        "run_number": str(run_number),
        "secret_source": "None",
        "server_url": SERVER_URL,
        "sha": sha,
        "state": "",
        "token": "",
        "triggering_actor": repo.actor,
        "workflow": workflow_name,
        "workflow_ref": f"{repo.repository}/{workflow_path}@{ref}",
        "workflow_sha": sha,
        "workspace": str(workspace),
    }


def default_event(
    event_name: str,
    repo: RepositoryInfo,
    inputs: Mapping[str, JSONValue],
    head_commit: Commit | None = None,
) -> dict[str, JSONValue]:
    """A plausible payload when no --eventpath is given.

    A push carries the HEAD commit as GitHub describes it; workflow_dispatch
    inputs are strings in the payload (the `inputs` context keeps their types).
    """
    repository: dict[str, JSONValue] = {
        "full_name": repo.repository,
        "name": repo.repository.split("/", 1)[-1],
        "owner": {"login": repo.owner, "name": repo.owner},
        "default_branch": repo.default_branch,
    }
    event: dict[str, JSONValue] = {
        "repository": repository,
        "sender": {"login": repo.actor, "type": "User"},
    }
    if event_name == "push":
        event.update(
            {
                "ref": repo.ref,
                "before": "0" * 40,
                "after": repo.sha,
                "pusher": {"name": repo.actor},
            }
        )
        commit = _commit_payload(repo, head_commit)
        event["head_commit"] = commit
        event["commits"] = [commit]
    if event_name == "workflow_dispatch":
        event.update({"inputs": {k: _input_text(v) for k, v in inputs.items()}, "ref": repo.ref})
    elif event_name == "workflow_call":
        event.update({"inputs": dict(inputs), "ref": repo.ref})
    return event


def _input_text(value: JSONValue) -> str:
    """A dispatch input as GitHub's payload holds it: `true`, `3`, `text`."""
    return json_text.dumps(value) if isinstance(value, bool) else to_string(value)


def _commit_payload(repo: RepositoryInfo, commit: Commit | None) -> dict[str, JSONValue]:
    if commit is None:
        return {"id": repo.sha}
    return {
        "id": commit.sha,
        "tree_id": commit.tree,
        "distinct": True,
        "message": commit.message,
        "timestamp": commit.committer.timestamp,
        "url": f"{SERVER_URL}/{repo.repository}/commit/{commit.sha}",
        "author": {"name": commit.author.name, "email": commit.author.email},
        "committer": {"name": commit.committer.name, "email": commit.committer.email},
        "added": [],
        "removed": [],
        "modified": [],
    }


def build_runner_context(temp_dir: Path, tool_cache: Path) -> dict[str, JSONValue]:
    return {
        "name": f"stax-{socket.gethostname()}",
        "os": "Linux" if platform.system() == "Linux" else platform.system(),
        "arch": runner_arch(),
        "temp": str(temp_dir),
        "tool_cache": str(tool_cache),
        "environment": "self-hosted",
        "debug": "",
    }


# The `github` and `runner` context values every step also gets as GITHUB_* / RUNNER_*.
_GITHUB_ENV = (
    "actor",
    "actor_id",
    "api_url",
    "base_ref",
    "event_name",
    "event_path",
    "graphql_url",
    "head_ref",
    "ref",
    "ref_name",
    "ref_type",
    "repository",
    "repository_owner",
    "run_id",
    "run_number",
    "server_url",
    "sha",
    "triggering_actor",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "workspace",
)
_RUNNER_ENV = ("arch", "name", "os", "temp", "tool_cache")


def build_base_env(
    github: Mapping[str, JSONValue],
    runner: Mapping[str, JSONValue],
    workflow_env_extra: Mapping[str, str],
) -> dict[str, str]:
    """The host environment plus what every GitHub runner sets for every step."""
    env = dict(os.environ)
    env.update({"CI": "true", "GITHUB_ACTIONS": "true", "STAX": "true"})
    env.update({f"GITHUB_{key.upper()}": str(github[key]) for key in _GITHUB_ENV})
    env.update({f"RUNNER_{key.upper()}": str(runner[key]) for key in _RUNNER_ENV})
    env.update(
        {
            "GITHUB_REF_PROTECTED": "false",
            "GITHUB_REPOSITORY_ID": "0",
            "GITHUB_REPOSITORY_OWNER_ID": "0",
            "GITHUB_RETENTION_DAYS": "0",
            "GITHUB_RUN_ATTEMPT": "1",
            "RUNNER_ENVIRONMENT": "self-hosted",
            # The runner sets both; setup-python prefers this one when it is set.
            "AGENT_TOOLSDIRECTORY": str(runner["tool_cache"]),
        }
    )
    env.update(workflow_env_extra)
    return env


def write_event_file(path: Path, event: Mapping[str, JSONValue]) -> None:
    path.write_text(json_text.dumps(event, indent=2), encoding="utf-8")
