"""What a job takes to a Ray node, and what it may not.

A job travels as a JobPayload: its plan, the run's contexts as the job sees them,
and a tar of its workspace, through Ray's object store. Secrets go only to the
jobs that name them (`secrets.NAME` anywhere in the job); a job that reads the
`secrets` context whole (`toJSON(secrets)`) gets them all, as it would locally.
The runner services reach the node as the job's own ACTIONS_* variables (a
token for this job alone), never as the service's key. Nothing comes back but
events: files leave a job only as artifacts, as on GitHub.
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import Settings
    from runner.engine.job_plan import JobPlan
    from runner.engine.records import RunRecord
    from runner.engine.scope import RunScope
    from runner.expressions import JSONValue
    from runner.model import Workflow

_NAMED_SECRET = re.compile(r"""secrets\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['"]([^'"]+)['"]\s*\])""")
_ANY_SECRETS = re.compile(r"\bsecrets\b")


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPayload:
    """One job, as a node needs it. Its repr shows no secret (Ray may print task args)."""

    plan: JobPlan
    settings: Settings
    workflow: Workflow
    run: RunRecord  # without its other jobs
    github: dict[str, JSONValue]
    event: dict[str, JSONValue]
    inputs: dict[str, JSONValue]
    vars: dict[str, JSONValue]
    secrets: dict[str, JSONValue] = field(repr=False)
    services_env: dict[str, str] = field(repr=False)  # ACTIONS_* for this job, or {}
    process_marker: str
    runner_name: str

    def __repr__(self) -> str:
        return f"JobPayload(run={self.run.id!r}, job={self.plan.record.id!r})"


def build_payload(plan: JobPlan, run: RunScope) -> JobPayload:
    """The payload of `plan` (its record already names the node: runner_name)."""
    services = run.services
    event = run.contexts.github.get("event")
    services_env = services.job_environment(plan.record.id) if services is not None else {}
    return JobPayload(
        plan=plan,
        settings=run.settings,
        workflow=run.workflow,
        run=replace(run.record, jobs={}),
        github=dict(run.contexts.github),
        event=dict(event) if isinstance(event, dict) else {},
        inputs=dict(run.contexts.inputs),
        vars=dict(run.contexts.vars),
        secrets=job_secrets(repr(plan.job), run.contexts.secrets),
        services_env=services_env,
        process_marker=run.process_marker,
        runner_name=plan.record.runner_name or "",
    )


def job_secrets(job_text: str, secrets: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """The secrets a job's text names (GITHUB_TOKEN always); all of them when it reads
    the context in any other way."""
    named = {"GITHUB_TOKEN"}
    for match in _NAMED_SECRET.finditer(job_text):
        named.add(match.group(1) or match.group(2))
    if len(_ANY_SECRETS.findall(job_text)) > len(_NAMED_SECRET.findall(job_text)):
        return dict(secrets)
    wanted = {name.upper() for name in named}
    return {key: value for key, value in secrets.items() if key.upper() in wanted}


def pack_workspace(workspace: Path, *, leave_out: tuple[Path, ...] = ()) -> bytes:
    """The workspace as an uncompressed tar (symlinks kept as links), without `leave_out`
    (stax's own data dir when it lies inside)."""
    skipped = {path.resolve() for path in leave_out}
    buffer = io.BytesIO()

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if (workspace / info.name).resolve() in skipped else info

    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(workspace, arcname=".", filter=keep)
    return buffer.getvalue()


def unpack_workspace(data: bytes, target: Path) -> None:
    """Extract a packed workspace into `target` (tar's "data" filter: nothing outside)."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(target, filter="data")
