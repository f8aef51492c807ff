"""Docker actions (`runs.using: docker`) and `uses: docker://image` steps, run in a
container as GitHub's runner runs them, when a Docker or Podman daemon answers.

Without one the step fails, saying so. The container sees the workspace, the
step's command files, a home, the event and RUNNER_TEMP at the runner's
paths (runner.actions.docker); it gets the step's env context, the INPUT_*,
STATE_* and GITHUB_*/RUNNER_* variables, not the host's environment. An
action's `pre-entrypoint` and `post-entrypoint` are its pre and post stages.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import replace
from typing import TYPE_CHECKING

from runner.actions import Mounts, build_argv, find_container_engine, image_tag, run_argv
from runner.engine.steps.action_instance import Stage
from runner.engine.steps.action_process import run_action_process
from runner.engine.steps.shell import spawn_step_process
from runner.errors import RunError
from runner.expressions import JSONValue, interpolate, to_string

if TYPE_CHECKING:
    from runner.engine.env_files import StepFiles
    from runner.engine.scope import StepScope
    from runner.engine.steps.action_instance import ActionInstance
    from runner.engine.steps.base import StepOutcome
    from runner.engine.steps.output import StepOutput
    from runner.model import Step

_PASSED_PREFIXES = ("GITHUB_", "RUNNER_", "INPUT_", "STATE_", "ACTIONS_")
_PASSED = ("CI",)


async def run_docker(
    stage: Stage, step: Step, instance: ActionInstance, scope: StepScope, io: StepOutput
) -> StepOutcome:
    try:
        engine = await find_container_engine()
    except RunError as exc:
        raise RunError(
            f"uses: {instance.uses}: Docker actions need a container engine: {exc}"
        ) from None
    action = instance.action
    if not instance.image:
        instance.image = await _image(engine, instance, scope, io)
    image = instance.image
    contexts = scope.run.contexts
    home = contexts.temp_dir.parent / "_github_home"
    home.mkdir(exist_ok=True)
    entrypoint = {Stage.PRE: action.pre, Stage.MAIN: action.entrypoint, Stage.POST: action.post}[
        stage
    ]

    def command(env: dict[str, str], files: StepFiles) -> list[str]:
        inputs: dict[str, JSONValue] = instance.inputs or {}
        base = scope.eval_context()
        ctx = replace(base, contexts={**base.contexts, "inputs": inputs})
        for name, value in action.env.items():
            env.setdefault(
                name, to_string(interpolate(value, ctx) if isinstance(value, str) else value)
            )
        if action.args:
            args = [to_string(interpolate(arg, ctx)) for arg in action.args]
        else:
            args = shlex.split(to_string(inputs.get("args", "")))
        passed = set(scope.env_context()) | set(instance.env or {}) | set(action.env)
        container_env = {
            name: value
            for name, value in env.items()
            if name in passed or name in _PASSED or name.startswith(_PASSED_PREFIXES)
        }
        # The container's home is the runner's; the docker CLI keeps the user's (its config).
        container_env["HOME"] = str(home)
        mounts = Mounts(
            workspace=contexts.workspace,
            file_commands=contexts.commands_dir,
            home=home,
            workflow=contexts.temp_dir.parent,
            temp=contexts.temp_dir,
        )
        return run_argv(
            engine,
            image,
            name=f"stax-{scope.run.record.id}-{next(scope.run.file_ids)}",
            mounts=mounts,
            env=container_env,
            entrypoint=entrypoint
            or (to_string(inputs.get("entrypoint", "")) if stage is Stage.MAIN else ""),
            args=args,
        )

    return await run_action_process(
        stage, step, instance, scope, io, command, cwd=str(contexts.workspace)
    )


async def _image(engine: str, instance: ActionInstance, scope: StepScope, io: StepOutput) -> str:
    """The image to run: `docker://name` as named, or the action's Dockerfile built."""
    image = instance.action.image
    if image.startswith("docker://"):
        return image.removeprefix("docker://")
    dockerfile = instance.directory / image
    if not dockerfile.is_file():
        raise RunError(
            f"uses: {instance.uses}: its image {image} is not a file in {instance.directory}"
        )
    tag = image_tag(instance.directory)
    await io.write(["##[group]Building docker image", f"Dockerfile for action: '{dockerfile}'."])
    outcome = await spawn_step_process(
        build_argv(engine, tag, dockerfile.parent, dockerfile.name),
        str(instance.directory),
        dict(os.environ),
        scope,
        io,
    )
    await io.write(["##[endgroup]"])
    if outcome.exit_code != 0:
        raise RunError(
            f"uses: {instance.uses}: Docker build failed with exit code {outcome.exit_code}"
        )
    return tag
