"""Composite actions (`runs.using: composite`): their steps run inside this one step.

The action's inner steps log into the outer step, each behind a
`##[group]Run ...` header, as GitHub shows them. They see the action's
`inputs`, their own `steps` context and `github.action_path` (and, for a
remote action, `github.action_repository` and `github.action_ref`); what
they write to $GITHUB_ENV and $GITHUB_PATH reaches the rest of the job. An
inner `uses:` may be any action, local or remote, nested up to MAX_DEPTH.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.scope import StepScope
from runner.engine.step_execution import record_skipped, run_step, should_run
from runner.engine.steps.action_inputs import evaluate_inputs
from runner.engine.steps.base import StepOutcome
from runner.engine.steps.shell import evaluate_env
from runner.errors import RunError
from runner.events.types import Conclusion
from runner.expressions import interpolate, to_string
from runner.model import Defaults

if TYPE_CHECKING:
    from runner.engine.steps.action_instance import ActionInstance, Stage
    from runner.engine.steps.output import StepOutput
    from runner.model import Step

MAX_DEPTH = 10  # GitHub's limit on nested composite actions


async def run_composite(
    stage: Stage, step: Step, instance: ActionInstance, scope: StepScope, io: StepOutput
) -> StepOutcome:
    if scope.depth >= MAX_DEPTH:
        raise RunError(f"uses: {step.uses}: composite actions nested deeper than {MAX_DEPTH}")
    action = instance.action
    inputs = await evaluate_inputs(step, action, scope, io)
    step_env = evaluate_env(step.env, scope, scope.env_context())
    outer_github = scope.layers.get("github")
    github = {
        **(outer_github if isinstance(outer_github, dict) else scope.run.contexts.github),
        "action_path": str(instance.directory),
        "action_repository": instance.repository,
        "action_ref": instance.ref,
    }
    inner = StepScope(
        run=scope.run,
        job=scope.job,
        job_env=scope.job_env,
        control=scope.control,
        env={**scope.env_context(), **step_env},
        layers={**scope.layers, "inputs": inputs, "github": github},
        defaults=Defaults(),
        action_path=instance.directory,
        depth=scope.depth + 1,
    )
    for inner_step in action.steps:
        if not should_run(inner_step, inner):
            record_skipped(inner_step, inner)
            continue
        await run_step(inner_step, inner, io.child())
    outputs = {
        name: to_string(interpolate(spec.value, inner.eval_context(with_status=False)))
        for name, spec in action.outputs.items()
    }
    if inner.status == "cancelled":
        return StepOutcome(outcome=Conclusion.CANCELLED, outputs=outputs)
    if inner.failed:
        return StepOutcome(outcome=Conclusion.FAILURE, outputs=outputs)
    return StepOutcome(outcome=Conclusion.SUCCESS, outputs=outputs)
