"""Running one step in a scope: its condition, timeout, cancellation and continue-on-error.

This is the part every list of steps shares (a job's, a composite action's,
a skill's). It emits no step events itself: a job's steps are reported as
steps, while a composite action's inner steps log into their outer step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from runner.engine import faults
from runner.engine.containment import internal_error
from runner.engine.gates import GatedStep
from runner.engine.steps.base import StepOutcome
from runner.engine.steps.shell import step_context
from runner.errors import ExpressionError, RunError, StaxError
from runner.events.types import Conclusion
from runner.expressions import JSONValue, evaluate_condition, interpolate, to_string, truthy

if TYPE_CHECKING:
    from runner.engine.scope import StepExecutor, StepScope
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


@dataclass(slots=True, kw_only=True)
class StepResult:
    outcome: Conclusion
    conclusion: Conclusion
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    tripped: str | None = None  # the safety-gate limit that tripped (skill steps)


def step_name(step: Step, scope: StepScope) -> str:
    """The step's display name, its expressions evaluated as GitHub shows it: `name:`,
    else `Run ` and the evaluated first line of the script, else the action.

    Best effort: a name that fails to evaluate is shown as written (the step itself
    then reports the error), so a broken expression never hides the step.
    """
    if step.name is not None:
        template = step.name
    elif step.run is not None:
        template = next((line for line in step.run.splitlines() if line.strip()), "")
    else:
        return step.display_name
    if "${{" not in template:
        return step.display_name
    try:
        text = to_string(interpolate(template, step_context(step, scope)))
    except StaxError:
        return step.display_name
    if step.name is not None:
        return text
    first = next((line for line in text.splitlines() if line.strip()), "")
    return f"Run {first.strip()}"


def should_run(step: Step, scope: StepScope) -> bool:
    """Evaluate `if:` (implicitly `success() && ...`). Raises ExpressionError."""
    return evaluate_condition(step.if_ or "", scope.eval_context())


def record_skipped(step: Step, scope: StepScope) -> None:
    if step.id:
        scope.steps[step.id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}


async def run_step(step: Step, scope: StepScope, io: StepOutput) -> StepResult:
    """Run `step` (whose condition held) and record its result in the scope.

    Cancellation of the job's running step (a cancelled run, fail-fast, the
    job's timeout) ends it as `cancelled`; the caller's own cancellation
    (killing the run) propagates.
    """
    result = await execute_step(step, scope, io)
    if step.id:
        outputs: dict[str, JSONValue] = dict(result.outputs)
        scope.steps[step.id] = {
            "outputs": outputs,
            "outcome": result.outcome.value,
            "conclusion": result.conclusion.value,
        }
    return result


async def execute_step(
    step: Step, scope: StepScope, io: StepOutput, *, executor: StepExecutor | None = None
) -> StepResult:
    """Run `step` (with `executor`, else the one its kind names) under its timeout and
    continue-on-error, without recording it in the `steps` context: `run_step` does
    that, and an action's pre and post steps run this way. A failure marks the scope
    failed."""
    control = scope.control
    outcome: StepOutcome
    with control.open_step_scope() as cancel_scope:
        try:
            faults.inject("step", step.display_name)
            timeout = _timeout_seconds(step.timeout_minutes, scope)
            if executor is None:
                executor = _executor_for(step, scope)
                if step.gate is not None:
                    executor = GatedStep(executor, step.gate)
            with trio.move_on_after(timeout) as timer:
                outcome = await executor.execute(step, scope, io)
            if timer.cancelled_caught:
                minutes = timeout / 60
                outcome = StepOutcome(
                    outcome=Conclusion.FAILURE,
                    error=f"The action '{step_name(step, scope)}' has timed out after "
                    f"{minutes:g} minutes.",
                )
        except StaxError as exc:
            outcome = StepOutcome(outcome=Conclusion.FAILURE, error=str(exc))
        except Exception as exc:  # a bug: this step fails, the run goes on (containment.py)
            error = internal_error(
                exc, run_id=scope.run.record.id, where=f"job {io.job_id}, step {io.step_number}"
            )
            outcome = StepOutcome(outcome=Conclusion.FAILURE, error=error)
    control.close_step_scope()
    if cancel_scope.cancelled_caught:
        outcome = StepOutcome(outcome=Conclusion.CANCELLED, error="The operation was canceled.")
    if outcome.error and outcome.outcome is not Conclusion.SUCCESS:
        # GitHub shows the reason in the log and as an error annotation (a tripped
        # safety gate that degrades the step is a warning: the run goes on).
        level = "warning" if outcome.outcome is Conclusion.DEGRADED else "error"
        await io.write([f"##[{level}]{outcome.error}"], stream="stderr")
        await io.annotate(level, outcome.error)

    conclusion = outcome.outcome
    if conclusion is Conclusion.FAILURE and _continue_on_error(step, scope):
        conclusion = Conclusion.SUCCESS
    if conclusion is Conclusion.FAILURE:
        scope.failed = True
    return StepResult(
        outcome=outcome.outcome,
        conclusion=conclusion,
        outputs=outcome.outputs,
        error=outcome.error,
        tripped=outcome.tripped,
    )


def _executor_for(step: Step, scope: StepScope) -> StepExecutor:
    executor = scope.run.executors.get(step.kind)
    if executor is None:
        raise RunError(f"{step.kind} steps cannot run here")
    return executor


def _timeout_seconds(raw: JSONValue, scope: StepScope) -> float:
    if raw is None:
        return float("inf")
    value = interpolate(raw, scope.eval_context()) if isinstance(raw, str) else raw
    try:
        minutes = float(value) if not isinstance(value, bool) else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        minutes = None
    if minutes is None or not minutes > 0:  # (NaN too)
        raise RunError(f"timeout-minutes must be a positive number, got {value!r}")
    return minutes * 60


def _continue_on_error(step: Step, scope: StepScope) -> bool:
    raw = step.continue_on_error
    if isinstance(raw, str):
        try:
            return truthy(interpolate(raw, scope.eval_context()))
        except ExpressionError:
            return False
    return bool(raw)
