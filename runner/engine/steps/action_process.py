"""An action's stage as a process (a JavaScript action's script, a Docker action's
container) with the environment GitHub's runner gives it.

On top of a `run:` step's environment: INPUT_<NAME> for each input, STATE_<NAME>
for what an earlier stage of the action saved, GITHUB_ACTION (the step's id, or
`__owner_repo`), GITHUB_ACTION_PATH, GITHUB_ACTION_REPOSITORY and
GITHUB_ACTION_REF. What the process writes to $GITHUB_STATE (or with
`::save-state::`) reaches only the action's later stages; $GITHUB_OUTPUT,
$GITHUB_ENV, $GITHUB_PATH and $GITHUB_STEP_SUMMARY work as for any step.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from runner.engine.env_files import StepFiles
from runner.engine.steps.action_inputs import evaluate_inputs, input_variables
from runner.engine.steps.action_instance import Stage, action_id_base
from runner.engine.steps.base import StepOutcome
from runner.engine.steps.shell import (
    apply_files,
    evaluate_env,
    exit_message,
    honour_unsecure_commands,
    next_action_id,
    process_environment,
    spawn_step_process,
)
from runner.errors import RunError
from runner.events.types import Conclusion
from runner.expressions import to_string

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.engine.scope import StepScope
    from runner.engine.steps.action_instance import ActionInstance
    from runner.engine.steps.output import StepOutput
    from runner.expressions import JSONValue
    from runner.model import Step


async def run_action_process(
    stage: Stage,
    step: Step,
    instance: ActionInstance,
    scope: StepScope,
    io: StepOutput,
    command: Callable[[dict[str, str], StepFiles], list[str]],
    *,
    cwd: str,
) -> StepOutcome:
    """Run one stage of the action as the process `command(env, files)` gives (it is
    asked once the environment and files exist: a container names both); the
    outcome. Cancellation stops the process group and discards the stage's files."""
    if stage is Stage.POST and instance.inputs is not None:
        # The job's end: the inputs and env the action's main stage saw.
        inputs, step_env = instance.inputs, instance.env or {}
    else:
        inputs = await evaluate_inputs(step, instance.action, scope, io, warn=stage is Stage.MAIN)
        step_env = evaluate_env(step.env, scope, scope.env_context())
        instance.inputs, instance.env = inputs, step_env
    if instance.action_id is None:
        instance.action_id = next_action_id(step, scope, action_id_base(instance))
    await io.write(_header(stage, instance, inputs, step_env))
    run = scope.run
    files = StepFiles.create(run.contexts.commands_dir, f"_{next(run.file_ids)}")
    try:
        env = process_environment(scope, step_env, files)
        env.update(input_variables(inputs))
        env.update({f"STATE_{name}": value for name, value in instance.state.items()})
        env["GITHUB_ACTION"] = instance.action_id
        env["GITHUB_ACTION_PATH"] = str(instance.directory)
        env["GITHUB_ACTION_REPOSITORY"] = instance.repository
        env["GITHUB_ACTION_REF"] = instance.ref
        honour_unsecure_commands(env, io)
        outcome = await spawn_step_process(command(env, files), cwd, env, scope, io)
    except BaseException:
        # A cancelled stage hands on only its state, which its post needs to clean up
        # (the runner processes the files of a cancelled action as of any other).
        with contextlib.suppress(RunError):
            files.collect()
        instance.state.update(io.state)
        instance.state.update(files.state)
        files.remove()
        raise
    files.collect()  # RunError for a malformed file: the stage fails
    apply_files(files, scope, io)
    instance.state.update(io.state)
    instance.state.update(files.state)
    outputs = {**io.outputs, **files.outputs}
    if outcome.exit_code != 0:
        return StepOutcome(
            outcome=Conclusion.FAILURE,
            outputs=outputs,
            error=exit_message(outcome.exit_code),
            exit_code=outcome.exit_code,
        )
    return StepOutcome(outcome=Conclusion.SUCCESS, outputs=outputs, exit_code=0)


def _header(
    stage: Stage, instance: ActionInstance, inputs: dict[str, JSONValue], env: dict[str, str]
) -> list[str]:
    """What the runner prints before an action runs (a post stage: one line)."""
    if stage is Stage.POST:
        return ["Post job cleanup."]
    lines = [f"##[group]Run {instance.uses}"]
    shown = {name: to_string(value) for name, value in inputs.items() if to_string(value)}
    if shown:
        lines.append("with:")
        lines.extend(f"  {name}: {value}" for name, value in shown.items())
    if env:
        lines.append("env:")
        lines.extend(f"  {name}: {value}" for name, value in env.items())
    lines.append("##[endgroup]")
    return lines
