"""One job instance: approval, steps in order, outputs, cleanup.

The scheduler decides *whether* and *when* a job runs (needs, `if:`,
matrix, runs-on); this module runs a job that has been decided on.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import trio

from runner.engine.action_stages import find_job_actions
from runner.engine.job_plan import JobPlan, JobResult
from runner.engine.records import JobRecord, StepRecord
from runner.engine.scope import JobEnvironment, RunScope, StepScope
from runner.engine.step_execution import (
    execute_step,
    record_skipped,
    run_step,
    should_run,
    step_name,
)
from runner.engine.steps.output import StepOutput
from runner.engine.workspaces import job_contexts, take_job_snapshot
from runner.errors import ExpressionError, StaxError
from runner.events.payloads import Annotation
from runner.events.types import Conclusion, EventType, Status, now_ms
from runner.expressions import JSONValue, evaluate_condition, interpolate, to_string, truthy
from runner.process.group import terminate_groups
from runner.workspace import remove_snapshot

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from runner.engine.concurrency import Slot
    from runner.engine.control import JobControl
    from runner.engine.scope import HookStep
    from runner.engine.step_execution import StepResult


async def run_job(plan: JobPlan, run: RunScope, control: JobControl) -> JobResult:
    """Run the job's steps and report it. Returns its result for `needs`.

    Cancelling the run (or `control`) interrupts the running step; later
    steps see `cancelled()`. Cancellation of the caller (a kill) propagates
    after the job's leftover processes are swept.
    """
    record = plan.record
    reporter = run.reporter
    # Registered before the first checkpoint, so a cancel can't slip past it.
    run.control.jobs.add(control)
    if run.control.cancelled and not plan.runs_if_cancelled:
        control.cancel(run.control.cancel_reason or "cancelled")
    scope = StepScope(
        run=run,
        job=record,
        job_env=JobEnvironment(),
        control=control,
        env=plan.env,
        layers=plan.layers,
        defaults=plan.defaults,
    )
    approved = False
    slot: Slot | None = None
    snapshot: Path | None = None
    try:
        try:
            record.status = Status.IN_PROGRESS
            record.started_at = now_ms()
            await reporter.job_started(record)
            await _hand_over_needs(plan, run, record)
            approved = await _approval(plan, run, record, control)
            if approved:
                slot = await _enter_concurrency_group(plan, scope)
            if approved and not control.cancelled:
                snapshot = await _enter_workspace(plan, scope)
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(_watch_timeout, plan.timeout_minutes, control)
                    await _run_steps(plan, scope)
                    nursery.cancel_scope.cancel()
        except StaxError as exc:  # e.g. a concurrency group's expression
            record.error = str(exc)
            scope.failed = True
        finally:
            run.control.jobs.discard(control)
            # Background processes of the job's steps end with the job (as on GitHub);
            # detached daemons are swept by marker when the run ends.
            with trio.CancelScope(shield=True):
                await terminate_groups(
                    control.process_groups,
                    grace_s=run.control.grace_s(run.settings.step_kill_grace_seconds),
                )
            run.control.process_groups.difference_update(control.process_groups)
            control.process_groups.clear()
            # What checkout steps cloned into the workspace goes with the job, and so does
            # its snapshot (once nothing of the job runs in it any more).
            for checkout in scope.job_env.checkouts:
                shutil.rmtree(checkout, ignore_errors=True)
            if snapshot is not None:
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(remove_snapshot, snapshot)

        outputs = await _job_outputs(plan, scope) if approved else {}
        conclusion = _conclusion(scope, control, approved)
        if conclusion is Conclusion.FAILURE and plan.continue_on_error:
            record.error = (record.error or "failed") + " (continue-on-error)"
            conclusion = Conclusion.SUCCESS
        record.conclusion = conclusion
        record.outputs = dict(outputs)
        record.summary = "\n".join(scope.job_env.summary)
        record.status = Status.COMPLETED
        record.completed_at = now_ms()
        await reporter.job_completed(record)
        return JobResult(conclusion=conclusion, outputs=outputs)
    finally:
        # Held until the job has completed: the next in the group starts after it.
        if slot is not None:
            run.concurrency.release(slot)


async def _enter_workspace(plan: JobPlan, scope: StepScope) -> Path | None:
    """Take the job's snapshot and point its scope at it; returns the snapshot to remove
    when the job ends (None: the job runs in the workdir, with --bind or without git)."""
    if scope.run.workspaces is None or plan.workspace is None:
        return None
    await take_job_snapshot(scope.run.workspaces, plan.workspace)
    contexts = job_contexts(scope.run.contexts, plan.workspace.path)
    scope.run = replace(scope.run, contexts=contexts)
    return plan.workspace.snapshot


async def _hand_over_needs(plan: JobPlan, run: RunScope, record: JobRecord) -> None:
    """One job.message per need: the outputs and result this job receives."""
    needs_ctx = plan.layers.get("needs")
    for need, outputs in plan.needs_outputs.items():
        entry = needs_ctx.get(need) if isinstance(needs_ctx, dict) else None
        result = str(entry.get("result", "")) if isinstance(entry, dict) else ""
        await run.reporter.job_message(record, from_job=need, outputs=dict(outputs), result=result)


def _conclusion(scope: StepScope, control: JobControl, approved: bool) -> Conclusion:
    if not approved:
        return Conclusion.CANCELLED if scope.status == "cancelled" else Conclusion.FAILURE
    if control.timed_out:
        scope.job.error = control.reason
        return Conclusion.FAILURE
    if scope.status == "cancelled":
        return Conclusion.CANCELLED
    return Conclusion.FAILURE if scope.failed else Conclusion.SUCCESS


async def _enter_concurrency_group(plan: JobPlan, scope: StepScope) -> Slot | None:
    concurrency = plan.job.concurrency
    if concurrency is None:
        return None
    ctx = scope.eval_context(with_status=False)
    group = to_string(interpolate(concurrency.group, ctx))
    raw = concurrency.cancel_in_progress
    cancel_in_progress = truthy(interpolate(raw, ctx) if isinstance(raw, str) else raw)
    if scope.run.concurrency.is_busy(group):
        await scope.run.reporter.job_status(scope.job, f"waiting for concurrency group {group!r}")
    return await scope.run.concurrency.acquire(
        group, cancel_in_progress=cancel_in_progress, cancel=scope.control.cancel
    )


async def _watch_timeout(minutes: float, control: JobControl) -> None:
    await trio.sleep(minutes * 60)
    control.cancel(
        f"The job has exceeded the maximum execution time of {minutes:g} minutes.", timed_out=True
    )


async def _approval(plan: JobPlan, run: RunScope, record: JobRecord, control: JobControl) -> bool:
    """Wait for the environment's approval when stax.toml asks for one."""
    name = record.environment
    if not name:
        return True
    settings = run.settings.environments.get(name)
    if settings is None or not settings.approval:
        return True
    reason = f"Waiting for approval to deploy to environment {name!r}"
    record.status = Status.WAITING
    await run.reporter.job_blocked(record, reason=reason, environment=name)
    slot = None
    if run.approve_all:
        approved, by = True, "--approve"
    else:
        # Waiting takes no runner (as on GitHub): other jobs may use this job's place.
        slot, control.runner_slot = control.runner_slot, None
        if slot is not None:
            slot.release_on_behalf_of(control)
        # A cancelled run stops waiting; the job then ends as cancelled.
        async with control.interruptible() as waiting:
            approved, by = await run.approvals.wait_for_approval(run.record.id, record.id, name)
        if waiting.cancelled_caught:
            approved, by = False, "cancelled"
    record.status = Status.IN_PROGRESS
    await run.reporter.job_unblocked(record, approved=approved, by=by)
    if not approved and by != "cancelled":
        record.error = f"Approval for environment {name!r} was rejected ({by})"
    if approved and slot is not None:
        # A place again, queued behind the jobs that took it meanwhile; a cancel while
        # queued leaves the job placeless, and it ends cancelled without a step.
        async with control.interruptible():
            await slot.acquire_on_behalf_of(control)
            control.runner_slot = slot
    return approved


async def _run_steps(plan: JobPlan, scope: StepScope) -> None:
    """The actions' pre steps, the job's steps, then the actions' post steps."""
    pre_steps: list[HookStep] = []
    async with scope.control.interruptible():  # a cancel stops fetching actions
        pre_steps = await find_job_actions(plan.job.steps, scope)
    total = len(pre_steps) + len(plan.job.steps)
    for hook in pre_steps:
        await _run_hook(hook, scope, total)
    for step in plan.job.steps:
        await _job_step(
            scope,
            step_name(step, scope),
            step.id,
            total,
            partial(should_run, step, scope),
            partial(run_step, step, scope),
            skipped=partial(record_skipped, step, scope),
        )
    posts = scope.job_env.post_steps
    total += len(posts)
    while posts:
        await _run_hook(posts.pop(), scope, total)  # the last one due runs first


async def _run_hook(hook: HookStep, scope: StepScope, total: int) -> None:
    """An action's pre or post stage, as a step of the job (its condition sees the
    job's status, its outcome counts for the job's)."""
    await _job_step(
        scope,
        hook.name,
        None,
        total,
        lambda: evaluate_condition(hook.condition, scope.eval_context()),
        partial(execute_step, hook.step, scope, executor=hook.executor),
    )


async def _job_step(
    scope: StepScope,
    name: str,
    step_id: str | None,
    total: int,
    holds: Callable[[], bool],
    run: Callable[[StepOutput], Awaitable[StepResult]],
    *,
    skipped: Callable[[], None] | None = None,
) -> None:
    """One step of the job, reported: its condition (`holds`), then `run`."""
    record = scope.job
    reporter = scope.run.reporter
    step_record = StepRecord(number=len(record.steps) + 1, name=name, id=step_id)
    record.steps.append(step_record)
    scope.job_env.matchers.workspace = scope.run.contexts.workspace
    io = StepOutput(
        reporter=reporter,
        masker=scope.run.masker,
        job_id=record.id,
        step_number=step_record.number,
        debug=_debug_enabled(scope),
        matchers=scope.job_env.matchers,
    )
    try:
        runs = holds()
    except ExpressionError as exc:
        step_record.status = Status.IN_PROGRESS
        step_record.started_at = now_ms()
        await reporter.step_started(record, step_record)
        await io.write([f"##[error]{exc}"], stream="stderr")
        await io.annotate("error", str(exc))
        _finish(step_record, Conclusion.FAILURE, Conclusion.FAILURE, str(exc))
        scope.failed = True
        await reporter.step_completed(record, step_record)
        return
    if not runs:
        if skipped is not None:
            skipped()
        _finish(step_record, Conclusion.SKIPPED, Conclusion.SKIPPED, None)
        await reporter.step_completed(record, step_record)
        return
    step_record.status = Status.IN_PROGRESS
    step_record.started_at = now_ms()
    await reporter.step_started(record, step_record)
    await reporter.job_status(record, f"step {step_record.number}/{total}: {step_record.name}")
    result = await run(io)
    _finish(step_record, result.conclusion, result.outcome, result.error)
    extra: dict[str, JSONValue] = {}
    if result.outputs:
        extra["outputs"] = dict(result.outputs)
    await reporter.step_completed(record, step_record, extra)


def _finish(
    step: StepRecord, conclusion: Conclusion, outcome: Conclusion, error: str | None
) -> None:
    step.status = Status.COMPLETED
    step.conclusion = conclusion
    step.outcome = outcome
    step.error = error
    step.completed_at = now_ms()


def _debug_enabled(scope: StepScope) -> bool:
    for source in (scope.run.contexts.secrets, scope.run.contexts.vars):
        if str(source.get("ACTIONS_STEP_DEBUG", "")).lower() == "true":
            return True
    return False


async def _job_outputs(plan: JobPlan, scope: StepScope) -> dict[str, str]:
    """Evaluate `outputs:`; like GitHub, drop a value that would carry a secret."""
    outputs: dict[str, str] = {}
    masker = scope.run.masker
    for name, expression in plan.job.outputs.items():
        try:
            value = to_string(interpolate(expression, scope.eval_context(with_status=False)))
        except StaxError as exc:
            scope.job.error = f"output {name!r}: {exc}"
            scope.failed = True
            continue
        if masker and masker.mask(value) != value:
            await scope.run.reporter.emit(
                EventType.STEP_ANNOTATION,
                Annotation(
                    level="warning", message=f"Skip output '{name}' since it may contain secret."
                ),
                job_id=scope.job.id,
            )
            continue
        outputs[name] = value
    return outputs


class LocalJobs:
    """The default job executor: the job's steps run here, as subprocesses of this
    process (a Ray executor, runner.executors.ray, runs them on a cluster node)."""

    async def run_job(self, plan: JobPlan, run: RunScope, control: JobControl) -> JobResult:
        return await run_job(plan, run, control)
