"""What `stax run`'s command line asks for, read and checked before choosing where the
run executes (here, or in the daemon)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.config import check_local_repository_key
from runner.dotenv import parse_assignment, read_dotenv
from runner.engine import RunRequest
from runner.errors import ConfigError
from runner.model import load_workflow
from runner.workflow_files import find_workflow

if TYPE_CHECKING:
    import argparse

    from runner.config import Settings
    from runner.expressions import JSONValue
    from runner.model import Workflow


@dataclass(slots=True, kw_only=True)
class RunArgs:
    """What the command line asks for, read and checked, before choosing where to run."""

    workflow_path: Path
    workdir: Path
    workflow: Workflow | None = None  # parsed when the command line was checked
    event: str | None = None
    event_payload: dict[str, JSONValue] | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    matrix: dict[str, list[str]] = field(default_factory=dict)  # --matrix k:v, repeatable
    approve: bool = False
    local_repositories: dict[str, str] = field(default_factory=dict)  # key -> absolute path
    action_offline_mode: bool = False
    actor: str | None = None
    bind: bool = False  # every job in the workdir itself

    def request(self) -> RunRequest:
        return RunRequest(
            workflow=self.workflow or load_workflow(self.workflow_path),
            workdir=self.workdir,
            event_name=self.event,
            event_payload=self.event_payload,
            inputs=self.inputs,
            secrets=self.secrets,
            vars=self.vars,
            env=self.env,
            jobs=tuple(self.jobs),
            matrix_filters={key: tuple(values) for key, values in self.matrix.items()},
            approve_all=self.approve,
            local_repositories=self.local_repositories,
            action_offline_mode=self.action_offline_mode,
            actor=self.actor,
            bind=self.bind,
        )

    def body(self) -> dict[str, Any]:
        """The POST /api/runs body asking the daemon for the same run."""
        body: dict[str, Any] = {
            "workflow": str(self.workflow_path.resolve()),
            "workdir": str(self.workdir),
            "inputs": self.inputs,
            "secrets": self.secrets,
            "vars": self.vars,
            "env": self.env,
            "jobs": self.jobs,
            "matrix": self.matrix,
            "approve": self.approve,
        }
        if self.local_repositories:
            body["localRepositories"] = self.local_repositories
        if self.action_offline_mode:
            body["actionOfflineMode"] = True
        if self.bind:
            body["bind"] = True
        if self.event:
            body["event"] = self.event
        if self.actor:
            body["actor"] = self.actor
        if self.event_payload is not None:
            body["eventPayload"] = self.event_payload
        return body


def read_run_args(args: argparse.Namespace, settings: Settings) -> RunArgs:
    path = find_workflow(args.workflow, settings)
    workflow = load_workflow(path)  # validate before anything runs (raises WorkflowErrors)
    workdir = Path(args.workdir).resolve() if args.workdir else Path.cwd()
    if not workdir.is_dir():
        raise ConfigError(f"--workdir {args.workdir}: not a directory")
    secrets: dict[str, str] = {}
    secret_file = Path(args.secret_file) if args.secret_file else settings.secrets_file
    if args.secret_file or secret_file.is_file():
        secrets.update(read_dotenv(secret_file))
    secrets.update(_pairs(args.secret, "--secret"))
    variables = read_dotenv(Path(args.var_file)) if args.var_file else {}
    variables.update(_pairs(args.var, "--var"))
    env = read_dotenv(Path(args.env_file)) if args.env_file else {}
    env.update(_pairs(args.env, "--env"))
    return RunArgs(
        workflow_path=path,
        workflow=workflow,
        workdir=workdir,
        event=args.event,
        event_payload=_read_event(Path(args.eventpath)) if args.eventpath else None,
        inputs=_pairs(args.input, "--input"),
        secrets=secrets,
        vars=variables,
        env=env,
        jobs=list(args.job),
        matrix=_matrix(args.matrix),
        approve=args.approve,
        local_repositories=dict(_local_repository(item) for item in args.local_repository),
        action_offline_mode=args.action_offline_mode,
        actor=args.actor or None,
        bind=args.bind,
    )


def _local_repository(item: str) -> tuple[str, str]:
    """act's `--local-repository OWNER/REPO@REF=PATH` (the key ends at the first `=`)."""
    key, equals, path = item.partition("=")
    where = f"--local-repository {item}"
    if not equals or not path:
        raise ConfigError(f"{where}: expected OWNER/REPO@REF=PATH")
    try:
        check_local_repository_key(key)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"{where}: {folder} is not a directory")
    return key, str(folder)


def _matrix(items: list[str]) -> dict[str, list[str]]:
    """Repeated `--matrix k:v`: for one key, any of its values (as in act)."""
    matrix: dict[str, list[str]] = {}
    for item in items:
        key, value = parse_assignment(item, what="--matrix", separator=":")
        matrix.setdefault(key, []).append(value)
    return matrix


def _pairs(items: list[str], what: str) -> dict[str, str]:
    return dict(parse_assignment(item, what=what) for item in items)


def _read_event(path: Path) -> dict[str, JSONValue]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--eventpath {path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--eventpath {path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
        ) from None
    if not isinstance(payload, dict):
        raise ConfigError(f"--eventpath {path}: expected a JSON object")
    return payload
