"""Scopes: what a run, a job and a list of steps can see and change.

RunScope is shared by every job of a run (read-mostly references, no
logic). StepScope is where one list of steps executes: a job's steps, a
composite action's, a skill's. Each has its own `steps` context and status,
and writes its log lines to one target step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from runner.engine.concurrency import ConcurrencyGroups
from runner.engine.problem_matchers import ProblemMatchers

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from runner.actions import ActionSource
    from runner.actions.services import RunServices
    from runner.config import Settings
    from runner.engine.contexts import RunContexts
    from runner.engine.control import JobControl, RunControl
    from runner.engine.job_plan import JobPlan, JobResult
    from runner.engine.masking import Masker
    from runner.engine.records import JobRecord, RunRecord
    from runner.engine.reporter import Reporter
    from runner.engine.steps.action_instance import ActionInstance
    from runner.engine.steps.base import StepOutcome
    from runner.engine.steps.output import StepOutput
    from runner.engine.workspaces import JobWorkspaces
    from runner.expressions import EvalContext, JSONValue
    from runner.model import Defaults, Step, StepKind, Workflow
    from runner.skills import SkillCatalogs


class JobExecutor(Protocol):
    """Where a decided job runs: here (runner.engine.job.LocalJobs) or on a Ray node
    (runner.executors.ray), with the same job code either way."""

    async def run_job(self, plan: JobPlan, run: RunScope, control: JobControl) -> JobResult:
        """Run the job, emitting its events (job.started ... job.completed) in order.

        A cancel of `control` stops its running step wherever it runs; cancellation of
        the caller (a kill) propagates after the job's processes are gone."""
        ...


class Approver(Protocol):
    """Decides on jobs that wait for an environment's approval."""

    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        """Wait until the job is approved or rejected: (approved, who decided)."""
        ...


class StepExecutor(Protocol):
    """What runs one kind of step (runner.engine.steps.factory picks one per kind)."""

    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        """Run the step. Cancellation (a timeout, a cancelled run) propagates; the
        caller turns it into the `cancelled` or `failure` outcome."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class HookStep:
    """An action's pre or post stage, run as a step of the job of its own."""

    name: str  # "Pre <step name>", "Post <step name>"
    condition: str  # pre-if / post-if
    step: Step  # the step that uses the action (its timeout, continue-on-error, env)
    executor: StepExecutor


@dataclass(slots=True, kw_only=True)
class RunScope:
    settings: Settings
    workflow: Workflow
    record: RunRecord
    contexts: RunContexts
    reporter: Reporter
    masker: Masker
    control: RunControl
    approvals: Approver
    process_marker: str  # every step process carries it, so leftovers can be found
    actions: ActionSource  # where `uses: owner/repo@ref` actions come from
    executors: Mapping[StepKind, StepExecutor]  # what runs each kind of step
    job_executor: JobExecutor  # where a decided job runs: here, or on a Ray node
    skill_catalogs: SkillCatalogs  # the skills `skill:` steps call, kept while files don't change
    approve_all: bool = False
    concurrency: ConcurrencyGroups = field(default_factory=ConcurrencyGroups)
    file_ids: Iterator[int] = field(default_factory=itertools.count)  # unique temp file names
    services: RunServices | None = None  # the runner services' ACTIONS_* variables, if any
    # Where each job's snapshot goes; None: jobs run in the workdir (--bind, or no git)
    workspaces: JobWorkspaces | None = None


@dataclass(slots=True, kw_only=True)
class JobEnvironment:
    """What steps hand to later steps of the same job through the env files."""

    added_env: dict[str, str] = field(default_factory=dict)  # $GITHUB_ENV
    added_path: list[str] = field(default_factory=list)  # $GITHUB_PATH, newest first
    summary: list[str] = field(default_factory=list)  # $GITHUB_STEP_SUMMARY contents
    # The job's remote actions, found when it started (by id() of their step), or why not.
    actions: dict[int, ActionInstance | str] = field(default_factory=dict)
    post_steps: list[HookStep] = field(default_factory=list)  # run last to first at the end
    checkouts: list[Path] = field(default_factory=list)  # clones in the workspace: go with the job
    matchers: ProblemMatchers = field(default_factory=ProblemMatchers)  # ::add-matcher::


@dataclass(slots=True, kw_only=True)
class StepScope:
    run: RunScope
    job: JobRecord
    job_env: JobEnvironment
    control: JobControl
    env: dict[str, JSONValue]  # the env context below step level (workflow + job [+ outer step])
    layers: dict[str, JSONValue]  # matrix, needs, strategy, job, [inputs] contexts
    defaults: Defaults
    steps: dict[str, JSONValue] = field(default_factory=dict)  # the `steps` context
    failed: bool = False
    action_path: Path | None = None  # inside a composite action: its directory
    depth: int = 0  # composite nesting depth
    action_ids: dict[str, int] = field(default_factory=dict)  # `__run`, `__run_2`, ... so far

    @property
    def process_marker(self) -> str:
        """Carried by this job's step processes; a prefix of it finds the whole run's."""
        return job_marker(self.run.process_marker, self.job.id)

    @property
    def status(self) -> str:
        """What success()/failure()/cancelled() see in this scope."""
        # A cancelled run cancels its running jobs' controls; a job that starts after
        # the cancel (its `if:` holds: always()) runs its steps as usual.
        if self.control.cancelled:
            return "cancelled"
        return "failure" if self.failed else "success"

    def env_context(self) -> dict[str, JSONValue]:
        """The `env` context: workflow/job env overlaid with what $GITHUB_ENV added."""
        if not self.job_env.added_env:
            return self.env
        return {**self.env, **self.job_env.added_env}

    def eval_context(
        self, *, env: Mapping[str, JSONValue] | None = None, with_status: bool = True
    ) -> EvalContext:
        status = self.status
        job = self.layers.get("job")
        # `job.status` follows the job as it goes (a cleanup step sees "failure").
        job_ctx: dict[str, JSONValue] = (
            {**job, "status": status} if isinstance(job, dict) else {"status": status}
        )
        return self.run.contexts.eval_context(
            env=env if env is not None else self.env_context(),
            job_status=status if with_status else None,
            layers={**self.layers, "steps": self.steps, "job": job_ctx},
        )


def job_marker(run_marker: str, job_id: str) -> str:
    return f"{run_marker}:{job_id}:"
