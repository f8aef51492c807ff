"""`uses:` an action, in the workspace (`./path`) or from the actions server
(`owner/repo[/path]@ref`): found, read, and run by what its `runs.using` says.

Like GitHub's runner (its HandlerFactory), one table here picks the runtime:
`composite` (steps/composite.py), `node12`..`node24` (steps/node.py) and
`docker` (steps/docker.py). An action runs in up to three stages that share
its state ($GITHUB_STATE, `STATE_*`): `pre` when the job starts, `main` as
the step, and `post` when the job ends (runner.engine.action_stages). A
remote action of the job's own steps is found when the job starts (GitHub's
"Set up job"); one inside a composite action when its step runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from runner.actions import ActionReference, is_node_runtime
from runner.engine.scope import HookStep
from runner.engine.steps.action_instance import ActionInstance, Stage
from runner.engine.steps.composite import run_composite
from runner.engine.steps.docker import run_docker
from runner.engine.steps.node import run_node
from runner.errors import RunError, WorkflowErrors
from runner.events.types import Conclusion
from runner.expressions import evaluate_condition
from runner.model import Action, load_action

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine.scope import StepScope
    from runner.engine.steps.base import StepOutcome
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


class Runtime(Protocol):
    async def __call__(
        self, stage: Stage, step: Step, instance: ActionInstance, scope: StepScope, io: StepOutput
    ) -> StepOutcome: ...


def runtime_for(instance: ActionInstance) -> Runtime:
    """The code that runs the action's `runs.using`. Raises RunError for any other."""
    using = instance.action.using
    if using == "composite":
        return run_composite
    if is_node_runtime(using):
        return run_node
    if using.lower() == "docker":
        return run_docker
    raise RunError(
        f"uses: {instance.uses}: 'using: {using}' is not supported, use 'composite', "
        "'docker', 'node12', 'node16', 'node20' or 'node24'"
    )


async def find_action(step: Step, scope: StepScope) -> ActionInstance:
    """The action a step `uses:`, read. Raises RunError naming it when it cannot be
    had or read."""
    uses = step.uses
    assert uses is not None
    if uses.startswith("./"):
        directory = (scope.run.contexts.workspace / uses).resolve()
        return ActionInstance(uses=uses, directory=directory, action=_read(uses, directory))
    reference = ActionReference.parse(uses)
    if reference is None:
        raise RunError(f"uses: {uses}: expected owner/repo[/path]@ref")
    fetched = await scope.run.actions.fetch(reference)
    directory = fetched.directory
    return ActionInstance(
        uses=uses,
        directory=directory,
        action=_read(uses, directory),
        repository=reference.repository,
        ref=reference.ref,
        origin=fetched.describe(),
    )


def _read(uses: str, directory: Path) -> Action:
    if not any((directory / name).is_file() for name in ("action.yml", "action.yaml")):
        raise RunError(f"uses: {uses}: no action.yml or action.yaml in {directory}")
    try:
        return load_action(directory)
    except WorkflowErrors as exc:
        raise RunError(f"uses: {uses}: {exc}") from None


class ActionStep:
    """The main stage of a `uses:` step (local or remote)."""

    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        found = scope.job_env.actions.pop(id(step), None)
        if isinstance(found, str):
            raise RunError(found)  # it could not be had when the job started
        instance = found if found is not None else await find_action(step, scope)
        runtime = runtime_for(instance)
        if instance.origin:
            await io.write([instance.origin])
        action = instance.action
        if action.pre and found is None:
            if instance.is_local:
                # As on GitHub: a local action is only there once an earlier step ran.
                await io.annotate(
                    "warning",
                    f"`pre` execution is not supported for local action from '{step.uses}'",
                )
            elif evaluate_condition(action.pre_if, scope.eval_context()):
                # An action inside a composite one: its pre runs just before it.
                outcome = await runtime(Stage.PRE, step, instance, scope, io)
                if outcome.outcome is not Conclusion.SUCCESS:
                    return outcome
        register_post(step, instance, scope, io)
        return await runtime(Stage.MAIN, step, instance, scope, io)


class DockerImageStep:
    """`uses: docker://image`: the image run as a Docker action with no action.yml
    (`with: args` and `with: entrypoint` say what it runs)."""

    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        assert step.uses is not None
        action = Action(path="", pos=step.pos, using="docker", image=step.uses)
        instance = ActionInstance(
            uses=step.uses, directory=scope.run.contexts.workspace, action=action
        )
        register_post(step, instance, scope, io)
        return await run_docker(Stage.MAIN, step, instance, scope, io)


def register_post(step: Step, instance: ActionInstance, scope: StepScope, io: StepOutput) -> None:
    """Once a stage of the action has run, its post stage is due at the job's end,
    named after the job's step it belongs to."""
    if not instance.action.post or instance.post_registered:
        return
    instance.post_registered = True
    outer = next((s.name for s in scope.job.steps if s.number == io.step_number), step.display_name)
    outer = outer.removeprefix("Pre ")
    scope.job_env.post_steps.append(
        HookStep(
            name=f"Post {outer}",
            condition=instance.action.post_if,
            step=step,
            executor=StageExecutor(Stage.POST, instance),
        )
    )


@dataclass(frozen=True, slots=True)
class StageExecutor:
    """A StepExecutor for an action's pre or post stage."""

    stage: Stage
    instance: ActionInstance

    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        return await runtime_for(self.instance)(self.stage, step, self.instance, scope, io)
