"""`uses: ./path`: a local composite action, its steps run inside this one step.

The action's inner steps log into the outer step, each behind a
`##[group]Run ...` header, as GitHub shows them. They see the action's
`inputs`, their own `steps` context and `github.action_path`; what they
write to $GITHUB_ENV and $GITHUB_PATH reaches the rest of the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.steps.base import StepOutcome
from runner.engine.steps.run import step_context
from runner.errors import RunError
from runner.events.types import Conclusion
from runner.expressions import JSONValue, interpolate, to_string
from runner.model import Defaults, load_action

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.model import Action, Step

MAX_DEPTH = 10  # GitHub's limit on nested composite actions


class CompositeStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        # Imported here: the step runner imports the step factory, which imports us.
        from runner.engine.scope import StepScope
        from runner.engine.step_runner import record_skipped, run_step, should_run
        from runner.engine.steps.run import evaluate_env

        assert step.uses is not None
        if scope.depth >= MAX_DEPTH:
            raise RunError(f"uses: {step.uses}: composite actions nested deeper than {MAX_DEPTH}")
        action_dir = (scope.run.contexts.workspace / step.uses).resolve()
        if not any((action_dir / name).is_file() for name in ("action.yml", "action.yaml")):
            raise RunError(f"uses: {step.uses}: no action.yml or action.yaml in {action_dir}")
        action = load_action(action_dir)
        if action.using != "composite":
            raise RunError(
                f"uses: {step.uses}: `using: {action.using}` actions are not "
                "supported yet (only composite actions run locally)"
            )
        inputs = await _inputs(step, action, scope, io)
        step_env = evaluate_env(step.env, scope, scope.env_context())
        outer_github = scope.layers.get("github")
        github = {
            **(outer_github if isinstance(outer_github, dict) else scope.run.contexts.github),
            "action_path": str(action_dir),
        }
        inner = StepScope(
            run=scope.run,
            job=scope.job,
            job_env=scope.job_env,
            control=scope.control,
            env={**scope.env_context(), **step_env},
            layers={**scope.layers, "inputs": inputs, "github": github},
            defaults=Defaults(),
            action_path=action_dir,
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


async def _inputs(
    step: Step, action: Action, scope: StepScope, io: StepOutput
) -> dict[str, JSONValue]:
    ctx = step_context(step, scope)
    given = {
        key: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
        for key, value in step.with_.items()
    }
    unexpected = sorted(set(given) - set(action.inputs))
    if unexpected:
        valid = ", ".join(f"'{name}'" for name in action.inputs)
        await io.annotate(
            "warning",
            f"Unexpected input(s) {', '.join(map(repr, unexpected))}, valid inputs are [{valid}]",
        )
    inputs: dict[str, JSONValue] = {}
    for name, spec in action.inputs.items():
        if name in given:
            inputs[name] = given[name]
        elif spec.default is not None:
            default = spec.default
            inputs[name] = to_string(
                interpolate(default, ctx) if isinstance(default, str) else default
            )
        else:
            if spec.required:
                await io.annotate("warning", f"Input required and not supplied: {name}")
            inputs[name] = ""
    return inputs
