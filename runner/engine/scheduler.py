"""Jobs as a true DAG: each job starts the moment its own needs have finished.

There are no stages. Every job key gets a task at once; the task waits for
the `done` events of the jobs it needs, decides (`if:`, runs-on, matrix),
then runs its instances under two limits: the run's CapacityLimiter (jobs
at once on this machine) and the matrix's own `max-parallel`. Instances take
their places in declaration order. A failing matrix instance with fail-fast
cancels its siblings, running or queued.

After the run is cancelled, a job that has not started yet starts only if
its `if:` still holds (always(), cancelled()); its steps then run as usual.

A job's result for `needs` combines its instances: failure if any failed,
else cancelled if any was, else skipped if all were, else success. Its
outputs are those of the instances, later finishers winning, as on GitHub.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import trio

from runner.engine import faults
from runner.engine.containment import fail_open_job, internal_error
from runner.engine.control import JobControl
from runner.engine.job_outcomes import JobOutcome, combine_results, job_name
from runner.engine.job_plan import JobPlan, JobResult
from runner.engine.matrix_instances import Instances, job_instances
from runner.engine.records import JobRecord
from runner.engine.reusable import run_called_workflows
from runner.engine.runs_on import foreign_runner_notice
from runner.engine.workspaces import job_contexts, moved_env
from runner.errors import RunError, StaxError
from runner.events.types import Conclusion, Status, now_ms
from runner.expressions import (
    JSONValue,
    evaluate_condition,
    interpolate,
    named_values,
    to_string,
    truthy,
)
from runner.model import Defaults, Job, Workflow

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.engine.scope import RunScope


class Scheduler:
    """Runs the jobs of one workflow (the run's own, or a called workflow's)."""

    def __init__(
        self,
        run: RunScope,
        workflow: Workflow,
        *,
        limiter: trio.CapacityLimiter,
        workflow_env: dict[str, JSONValue],
        id_prefix: str = "",
        name_prefix: str = "",
        only_jobs: set[str] | None = None,
        matrix_filters: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.run = run
        self.workflow = workflow
        self.limiter = limiter
        self.workflow_env = workflow_env
        self.id_prefix = id_prefix
        self.name_prefix = name_prefix
        self.only_jobs = only_jobs
        self.matrix_filters = dict(matrix_filters or {})
        self.outcomes = {key: JobOutcome() for key in workflow.jobs}

    async def run_all(self) -> dict[str, JobOutcome]:
        async with trio.open_nursery() as nursery:
            for key in self.workflow.jobs:
                if self.only_jobs is None or key in self.only_jobs:
                    nursery.start_soon(self._job_task, key)
                else:
                    self.outcomes[key].done.set()
        return self.outcomes

    def called(
        self,
        run: RunScope,
        workflow: Workflow,
        *,
        workflow_env: dict[str, JSONValue],
        id_part: str,
        name: str,
    ) -> Scheduler:
        """The scheduler of a workflow one of these jobs calls: its jobs join the run as
        `<id_part><job>`, under the same job limit."""
        return Scheduler(
            run,
            workflow,
            limiter=self.limiter,
            workflow_env=workflow_env,
            id_prefix=f"{self.id_prefix}{id_part}",
            name_prefix=f"{self.name_prefix}{name} / ",
            matrix_filters=self.matrix_filters,
        )

    # -- one job key ------------------------------------------------------
    async def _job_task(self, key: str) -> None:
        job = self.workflow.jobs[key]
        outcome = self.outcomes[key]
        try:
            for need in job.needs:
                await self.outcomes[need].done.wait()
            faults.inject("job", key)
            await self._decide_and_run(key, job, outcome)
        except Exception as exc:  # a bug: this job fails, the run goes on (containment.py)
            outcome.result = Conclusion.FAILURE
            await self._fail_interrupted(key, job, exc)
        finally:
            outcome.done.set()

    async def _fail_interrupted(self, key: str, job: Job, exc: Exception) -> None:
        """End every instance of a job an internal error interrupted (or the job, when it
        had none yet) as failed. Raises if reporting fails too: the run then contains it."""
        job_id = f"{self.id_prefix}{key}"
        error = internal_error(exc, run_id=self.run.record.id, where=f"job {job_id}")
        records = [
            record
            for record in self.run.record.jobs.values()
            if record.id == job_id or record.id.startswith(f"{job_id}.")
        ]
        if not records:
            await self.fail_unstarted(key, job, error)
        for record in records:
            await fail_open_job(record, self.run.reporter, error)

    def _job_layers(self, job: Job) -> dict[str, JSONValue]:
        """What a job's expressions see before its matrix expands: its `needs`."""
        needs_ctx: dict[str, JSONValue] = {
            need: {
                "result": self.outcomes[need].result.value,
                "outputs": dict(self.outcomes[need].outputs),
            }
            for need in job.needs
        }
        return {
            "needs": needs_ctx,
            "matrix": {},
            "strategy": {},
            "job": {"status": "success"},
        }

    async def _decide_and_run(self, key: str, job: Job, outcome: JobOutcome) -> None:
        base_layers = self._job_layers(job)
        try:
            condition = evaluate_condition(
                job.if_ or "",
                self.run.contexts.eval_context(
                    job_status=self._needs_status(job), layers=base_layers
                ),
            )
        except StaxError as exc:
            await self.fail_unstarted(key, job, str(exc))
            outcome.result = Conclusion.FAILURE
            return
        if not condition:
            await self._skip(key, job, None)
            outcome.result = Conclusion.SKIPPED
            return
        try:
            instances = job_instances(
                job, self.run.contexts.eval_context(layers=base_layers), self.matrix_filters
            )
        except StaxError as exc:
            await self.fail_unstarted(key, job, str(exc))
            outcome.result = Conclusion.FAILURE
            return
        if job.uses is not None:
            await run_called_workflows(self, key, job, instances, base_layers, outcome)
            return
        await self._run_instances(key, job, instances, base_layers, outcome)

    def _needs_status(self, job: Job) -> str:
        if self.run.control.cancelled:
            return "cancelled"
        if any(self.outcomes[a].result is Conclusion.FAILURE for a in self._ancestors(job)):
            return "failure"
        if all(self.outcomes[n].result is Conclusion.SUCCESS for n in job.needs):
            return "success"
        return "skipped"  # a need was skipped or cancelled: success() and failure() are false

    def _ancestors(self, job: Job) -> set[str]:
        seen: set[str] = set()
        stack = list(job.needs)
        while stack:
            need = stack.pop()
            if need not in seen:
                seen.add(need)
                stack.extend(self.workflow.jobs[need].needs)
        return seen

    # -- instances --------------------------------------------------------
    async def _run_instances(
        self,
        key: str,
        job: Job,
        matrix: Instances | None,
        base_layers: dict[str, JSONValue],
        outcome: JobOutcome,
    ) -> None:
        ctx = self.run.contexts.eval_context(layers=base_layers)
        strategy = job.strategy
        fail_fast = truthy(_evaluate(strategy.fail_fast, ctx)) if strategy else False
        max_parallel = _evaluate(strategy.max_parallel, ctx) if strategy else None
        instances: list[tuple[int, dict[str, JSONValue] | None]] = (
            list(matrix.combos) if matrix is not None else [(0, None)]
        )
        total = matrix.total if matrix is not None else 1  # of the full matrix, as on GitHub
        matrix_limiter = trio.CapacityLimiter(
            int(max_parallel)
            if isinstance(max_parallel, (int, float))
            and not isinstance(max_parallel, bool)
            and 1 <= max_parallel < math.inf
            else total
        )
        plans: list[tuple[JobPlan, JobControl]] = []
        for index, combo in instances:
            strategy_ctx: dict[str, JSONValue] = {
                "fail-fast": fail_fast,
                "job-index": index,
                "job-total": total,
                "max-parallel": matrix_limiter.total_tokens,
            }
            layers = {**base_layers, "matrix": combo or {}, "strategy": strategy_ctx}
            instance_id = f"{self.id_prefix}{key}" + (f".{index + 1}" if matrix else "")
            try:
                plan = self._plan(key, job, instance_id, combo, layers)
            except StaxError as exc:
                await self.fail_unstarted(key, job, str(exc), instance_id=instance_id)
                outcome.result = Conclusion.FAILURE
                return
            plans.append((plan, JobControl()))
        for plan, _ in plans:
            self.run.record.jobs[plan.record.id] = plan.record
            await self.run.reporter.job_queued(plan.record)

        results: list[JobResult] = []
        siblings = [control for _, control in plans]

        async def one(plan: JobPlan, control: JobControl) -> None:
            try:
                result = await self._start_instance(plan, control)
            finally:
                matrix_limiter.release_on_behalf_of(control)
                if control.runner_slot is not None:
                    control.runner_slot.release_on_behalf_of(control)
                    control.runner_slot = None
            results.append(result)
            outcome.outputs.update(result.outputs)
            if fail_fast and result.conclusion is Conclusion.FAILURE and not plan.continue_on_error:
                for sibling in siblings:
                    if sibling is not control:
                        sibling.cancel("fail-fast: another matrix job failed")

        async with trio.open_nursery() as nursery:
            # Instances take their places in declaration order (trio would
            # otherwise wake the waiting tasks in any order): the first
            # `max-parallel` start first, and each later one when a place frees.
            for plan, control in plans:
                await matrix_limiter.acquire_on_behalf_of(control)
                await self.limiter.acquire_on_behalf_of(control)
                control.runner_slot = self.limiter
                nursery.start_soon(one, plan, control)
        outcome.result = combine_results([r.conclusion for r in results])

    async def _start_instance(self, plan: JobPlan, control: JobControl) -> JobResult:
        """Run one instance, unless it was cancelled or can't run here before it started."""
        record = plan.record
        if control.cancelled:
            return await self._end_unstarted(record, Conclusion.CANCELLED, control.reason)
        if self.run.control.cancelled:
            # After a cancel only jobs whose `if:` still holds start (always(), cancelled()).
            if not self._holds_when_cancelled(plan):
                reason = self.run.control.cancel_reason or "cancelled"
                return await self._end_unstarted(record, Conclusion.CANCELLED, reason)
            plan.runs_if_cancelled = True
        notice = foreign_runner_notice(record.runs_on, self.run.settings)
        if notice is not None:
            return await self._end_unstarted(record, Conclusion.SKIPPED, notice)
        if plan.job.container is not None or plan.job.services is not None:
            return await self._end_unstarted(
                record,
                Conclusion.FAILURE,
                "`container:` and `services:` jobs are not supported yet "
                "(stax runs a job's steps on this host)",
            )
        return await self.run.job_executor.run_job(plan, self.run, control)

    def _holds_when_cancelled(self, plan: JobPlan) -> bool:
        try:
            return evaluate_condition(
                plan.job.if_ or "",
                self.run.contexts.eval_context(job_status="cancelled", layers=plan.layers),
            )
        except StaxError:
            return False

    def _plan(
        self,
        key: str,
        job: Job,
        instance_id: str,
        combo: dict[str, JSONValue] | None,
        layers: dict[str, JSONValue],
    ) -> JobPlan:
        contexts, workflow_env = self.run.contexts, self.workflow_env
        workspace = None
        if self.run.workspaces is not None:  # the job's own, chosen now
            workspace = self.run.workspaces.allocate(instance_id)
            contexts = job_contexts(contexts, workspace.path)
            workflow_env = moved_env(workflow_env, self.run.contexts.workspace, workspace.path)
        ctx = contexts.eval_context(env=workflow_env, layers=layers)
        env = dict(workflow_env)
        for name, value in job.env.items():
            env[name] = to_string(interpolate(value, ctx) if isinstance(value, str) else value)
        ctx_env = contexts.eval_context(env=env, layers=layers)
        name = self.name_prefix + job_name(key, job, combo, ctx_env)
        runs_on = _evaluate(job.runs_on, ctx_env)
        timeout = _evaluate(job.timeout_minutes, ctx_env)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise RunError(
                f"jobs.{key}.timeout-minutes: expected a positive number, got "
                f"{to_string(timeout)!r}"
            )
        environment = None
        if job.environment is not None:
            environment = to_string(interpolate(job.environment.name, ctx_env))
        defaults = Defaults(
            shell=job.defaults.shell or self.workflow.defaults.shell,
            working_directory=job.defaults.working_directory
            or self.workflow.defaults.working_directory,
        )
        needs_outputs = {need: dict(self.outcomes[need].outputs) for need in job.needs}
        record = JobRecord(
            id=instance_id,
            key=key,
            name=name,
            needs=tuple(f"{self.id_prefix}{n}" for n in job.needs),
            matrix=combo,
            runs_on=runs_on,
            environment=environment,
        )
        github = {**contexts.github, "job": key}
        return JobPlan(
            job=job,
            record=record,
            layers={**layers, "job": {"status": "success"}, "github": github},
            env=env,
            defaults=defaults,
            timeout_minutes=float(timeout),
            continue_on_error=truthy(_evaluate(job.continue_on_error, ctx_env)),
            needs_outputs=needs_outputs,
            workspace=workspace,
        )

    # -- jobs that never start ---------------------------------------------
    async def _skip(self, key: str, job: Job, notice: str | None) -> None:
        record = JobRecord(
            id=f"{self.id_prefix}{key}",
            key=key,
            name=self._unexpanded_name(key, job),
            needs=tuple(f"{self.id_prefix}{n}" for n in job.needs),
        )
        self.run.record.jobs[record.id] = record
        await self._end_unstarted(record, Conclusion.SKIPPED, notice)

    async def fail_unstarted(
        self, key: str, job: Job, error: str, *, instance_id: str | None = None
    ) -> None:
        record = JobRecord(
            id=instance_id or f"{self.id_prefix}{key}",
            key=key,
            name=self._unexpanded_name(key, job),
            needs=tuple(f"{self.id_prefix}{n}" for n in job.needs),
        )
        self.run.record.jobs[record.id] = record
        await self._end_unstarted(record, Conclusion.FAILURE, error)

    def _unexpanded_name(self, key: str, job: Job) -> str:
        """The name of a job that never became instances: `name:` evaluated with what a
        job sees before its matrix expands; a name that needs the matrix (or fails to
        evaluate) gives way to the job's id, never to raw `${{ }}` text."""
        name = job.name if job.name is not None else key
        if "${{" in name:
            try:
                if named_values(name) & {"matrix", "strategy"}:
                    name = key
                else:
                    ctx = self.run.contexts.eval_context(layers=self._job_layers(job))
                    name = to_string(interpolate(name, ctx))
            except StaxError:
                name = key
        return self.name_prefix + name

    async def _end_unstarted(
        self, record: JobRecord, conclusion: Conclusion, reason: str | None
    ) -> JobResult:
        record.status = Status.COMPLETED
        record.conclusion = conclusion
        record.error = reason
        record.completed_at = now_ms()
        await self.run.reporter.job_completed(record)
        return JobResult(conclusion=conclusion)


def _evaluate(raw: JSONValue, ctx: object) -> JSONValue:
    if isinstance(raw, str) and "${{" in raw:
        return interpolate(raw, ctx)  # type: ignore[arg-type]
    return raw
