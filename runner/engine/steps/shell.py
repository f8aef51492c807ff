"""`run:` steps: a script in a shell, as a process of its own."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from runner.engine.env_files import StepFiles
from runner.engine.shells import resolve_shell
from runner.engine.steps.base import StepOutcome
from runner.errors import RunError
from runner.events.types import Conclusion
from runner.expressions import JSONValue, interpolate, to_string
from runner.process.group import MARKER_VAR, signal_group
from runner.process.spawn import ProcessOutcome, StepProcess, environment_problem, run_process

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.expressions import EvalContext
    from runner.model import Step


class ShellStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        assert step.run is not None
        env_ctx = scope.env_context()
        step_env = evaluate_env(step.env, scope, env_ctx)
        full_env_ctx: dict[str, JSONValue] = {**env_ctx, **step_env}
        ctx = scope.eval_context(env=full_env_ctx)
        script = to_string(interpolate(step.run, ctx))
        shell_text = step.shell or scope.defaults.shell
        shell_name = to_string(interpolate(shell_text, ctx)) if shell_text else None
        workdir = resolve_workdir(
            step.working_directory or scope.defaults.working_directory, scope, full_env_ctx
        )
        run = scope.run
        token = f"_{next(run.file_ids)}"
        files = StepFiles.create(run.contexts.commands_dir, token)
        try:
            env = process_environment(scope, step_env, files)
            env["GITHUB_ACTION"] = next_action_id(step, scope)
            problem = environment_problem(env)
            if problem is not None:
                raise RunError(f"the step's environment cannot be set: {problem}")
            honour_unsecure_commands(env, io)
            shell = resolve_shell(shell_name, env.get("PATH"))
            script_path = files.write_script(f"script{shell.extension}", script)
            try:
                argv = shell.argv(script_path, env.get("PATH"))
                await io.write(_header(script, shell.template, argv[0], step_env))
                outcome = await spawn_step_process(argv, str(workdir), env, scope, io)
            finally:
                # The script may have moved itself away (`shell: mv {0} Dockerfile`).
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(script_path)
        except BaseException:
            files.remove()  # an unstarted or cancelled step's files are not applied
            raise
        files.collect()  # RunError for a malformed file: the step fails
        apply_files(files, scope, io)
        outputs = {**io.outputs, **files.outputs}
        code = outcome.exit_code
        if code != 0:
            return StepOutcome(
                outcome=Conclusion.FAILURE,
                outputs=outputs,
                error=exit_message(code),
                exit_code=code,
            )
        if io.failed_commands:
            return StepOutcome(
                outcome=Conclusion.FAILURE,
                outputs=outputs,
                error=f"disabled command used: {io.failed_commands[0]}",
                exit_code=code,
            )
        return StepOutcome(outcome=Conclusion.SUCCESS, outputs=outputs, exit_code=code)


async def spawn_step_process(
    argv: list[str], cwd: str, env: dict[str, str], scope: StepScope, io: StepOutput
) -> ProcessOutcome:
    """Run the step's process; its group is tracked while it has members."""
    run_groups, job_groups = scope.run.control.process_groups, scope.control.process_groups
    spawned: list[int] = []

    def track(pgid: int) -> None:
        spawned.append(pgid)
        run_groups.add(pgid)
        job_groups.add(pgid)

    try:
        return await run_process(
            StepProcess(argv=argv, cwd=cwd, env=env, safe_cut=io.masker.safe_cut),
            io.on_lines,
            grace_s=scope.run.settings.step_kill_grace_seconds,
            on_spawn=track,
        )
    except OSError as exc:
        raise RunError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
    finally:
        # A group whose leader is gone usually is empty (one killpg tells); one with
        # background children stays tracked until the job ends.
        for pgid in spawned:
            if not signal_group(pgid, 0):
                run_groups.discard(pgid)
                job_groups.discard(pgid)


def honour_unsecure_commands(env: dict[str, str], io: StepOutput) -> None:
    """`set-env` and `add-path` work when the step's environment (any env level, or the
    host) says ACTIONS_ALLOW_UNSECURE_COMMANDS=true, as on GitHub."""
    io.allow_unsecure_commands = (
        env.get("ACTIONS_ALLOW_UNSECURE_COMMANDS", "").strip().lower() == "true"
    )


def apply_files(files: StepFiles, scope: StepScope, io: StepOutput) -> None:
    """What the step's files hand to the rest of the job ($GITHUB_STATE is an action's
    own: its runner takes it from `files.state`)."""
    job_env = scope.job_env
    job_env.added_env.update(io.set_env)  # the unsecure commands, then the files
    job_env.added_env.update(files.env)
    for directory in [*io.added_paths, *files.paths]:
        job_env.added_path.insert(0, directory)
    if files.summary.strip():
        job_env.summary.append(scope.run.masker.mask(files.summary))


def exit_message(exit_code: int) -> str:
    if exit_code < 0:
        return f"Process terminated by signal {-exit_code}."
    return f"Process completed with exit code {exit_code}."


def evaluate_env(raw: object, scope: StepScope, env_ctx: dict[str, JSONValue]) -> dict[str, str]:
    """A step's `env:` evaluated in its scope, as strings."""
    if not raw:
        return {}
    assert isinstance(raw, dict)
    ctx = scope.eval_context(env=env_ctx)
    return {
        key: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
        for key, value in raw.items()
    }


def step_context(step: Step, scope: StepScope) -> EvalContext:
    """What a step's own keys (`with:`, its name, ...) see: the `env` context with the
    step's own `env:` over it, as on GitHub."""
    env = scope.env_context()
    return scope.eval_context(env={**env, **evaluate_env(step.env, scope, env)})


def resolve_workdir(raw: str | None, scope: StepScope, env_ctx: dict[str, JSONValue]) -> Path:
    workspace = scope.run.contexts.workspace
    if not raw:
        return workspace
    text = to_string(interpolate(raw, scope.eval_context(env=env_ctx)))
    try:
        path = (workspace / text).resolve()
    except ValueError as exc:  # a NUL, a lone surrogate
        raise RunError(f"working-directory {text!r} is not a usable path ({exc})") from None
    if not path.is_dir():
        raise RunError(f"working-directory {text!r} does not exist (looked in {path})")
    return path


def next_action_id(step: Step, scope: StepScope, base: str = "__run") -> str:
    """GitHub's `github.action`: the step id, else `base` (`__run`, `__owner_repo`),
    then `base_2`, `base_3`, ... for the same base again."""
    if step.id:
        return step.id
    count = scope.action_ids[base] = scope.action_ids.get(base, 0) + 1
    return base if count == 1 else f"{base}_{count}"


def process_environment(
    scope: StepScope, step_env: dict[str, str], files: StepFiles | None
) -> dict[str, str]:
    """Host + runner variables < the runner services' ACTIONS_* < workflow/job env <
    $GITHUB_ENV < step env < this step's files."""
    contexts = scope.run.contexts
    env = dict(contexts.base_env)
    if scope.run.services is not None:
        env.update(scope.run.services.job_environment(scope.job.id))
    for key, value in scope.env.items():
        env[key] = to_string(value)
    env.update(scope.job_env.added_env)
    env.update(step_env)
    env["GITHUB_JOB"] = scope.job.key
    env[MARKER_VAR] = scope.process_marker
    if scope.action_path is not None:
        env["GITHUB_ACTION_PATH"] = str(scope.action_path)
        github = scope.layers.get("github")
        if isinstance(github, dict):  # inside a composite action
            env["GITHUB_ACTION_REPOSITORY"] = to_string(github.get("action_repository", ""))
            env["GITHUB_ACTION_REF"] = to_string(github.get("action_ref", ""))
    if files is not None:
        env.update(files.variables())
    if scope.job_env.added_path:
        env["PATH"] = os.pathsep.join([*scope.job_env.added_path, env.get("PATH", "")])
    return env


def _header(script: str, template: str, program: str, step_env: dict[str, str]) -> list[str]:
    lines = script.rstrip("\n").split("\n") if script else [""]
    header = [
        f"##[group]Run {lines[0]}",
        *lines,
        f"shell: {template.replace(template.split()[0], program, 1)}",
    ]
    if step_env:
        header.append("env:")
        header.extend(f"  {key}: {value}" for key, value in step_env.items())
    header.append("##[endgroup]")
    return header
