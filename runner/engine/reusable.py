"""Jobs that call a reusable workflow: `uses: ./.github/workflows/x.yml`.

The called workflow's jobs join the run as `caller.job` (shown as
`caller / job`), scheduled by a nested Scheduler that shares the run's job
limit. They see the caller's `github` context, the `inputs` and `secrets`
the caller passed (`secrets: inherit` passes all), and the caller gets the
called workflow's `on.workflow_call.outputs`, evaluated over its `jobs`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from runner.engine.inputs import resolve_inputs
from runner.errors import RunError, StaxError
from runner.events.types import Conclusion
from runner.expressions import JSONValue, interpolate, to_string
from runner.model import Job, load_workflow

if TYPE_CHECKING:
    from runner.engine.scheduler import Scheduler, _Outcome


async def run_called_workflow(caller: Scheduler, key: str, job: Job,
                              layers: dict[str, JSONValue], outcome: _Outcome) -> None:
    from runner.engine.scheduler import Scheduler, combine_results

    try:
        nested_run, workflow, workflow_env = _prepare(caller, key, job, layers)
    except StaxError as exc:
        await caller._fail_unstarted(key, job, str(exc))
        outcome.result = Conclusion.FAILURE
        return
    nested = Scheduler(
        nested_run, workflow, limiter=caller.limiter, workflow_env=workflow_env,
        id_prefix=f"{caller.id_prefix}{key}.",
        name_prefix=f"{caller.name_prefix}{job.name or key} / ",
        matrix_filters=caller.matrix_filters,
    )
    outcomes = await nested.run_all()
    jobs_ctx: dict[str, JSONValue] = {
        name: {"result": o.result.value, "outputs": dict(o.outputs)} for name, o in outcomes.items()
    }
    ctx = nested_run.contexts.eval_context(jobs=jobs_ctx)
    for name, spec in workflow.call_outputs.items():
        try:
            outcome.outputs[name] = to_string(interpolate(spec.value, ctx))
        except StaxError:
            outcome.outputs[name] = ""
    outcome.result = combine_results([o.result for o in outcomes.values()])


def _prepare(caller: Scheduler, key: str, job: Job, layers: dict[str, JSONValue]):  # type: ignore[no-untyped-def]
    uses = job.uses or ""
    if not uses.startswith("./"):
        raise RunError(f"jobs.{key}.uses: {uses}: this remote reusable workflow needs network "
                       "access: not supported yet")
    run = caller.run
    path = (run.contexts.workspace / uses.split("@", 1)[0]).resolve()
    if caller.id_prefix.count(".") >= 4:
        raise RunError(f"jobs.{key}.uses: reusable workflows nested too deeply")
    workflow = load_workflow(path)
    if "workflow_call" not in workflow.on:
        raise RunError(f"jobs.{key}.uses: {uses} is not a reusable workflow "
                       "(it has no `on: workflow_call`)")
    ctx = run.contexts.eval_context(**layers)
    given = {name: interpolate(value, ctx) if isinstance(value, str) else value
             for name, value in job.with_.items()}
    inputs = resolve_inputs(workflow.call_inputs, given, what="input",
                            evaluate_default=lambda text: interpolate(text, ctx))
    if job.secrets == "inherit":
        secrets: dict[str, JSONValue] = dict(run.contexts.secrets)
    else:
        secrets = {name: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
                   for name, value in (job.secrets or {}).items()}  # type: ignore[union-attr]
    missing = [name for name, spec in workflow.call_secrets.items()
               if spec.required and name not in secrets]
    if missing:
        raise RunError(f"jobs.{key}: required secret(s) not passed: {', '.join(missing)}")
    contexts = replace(run.contexts, inputs=inputs, secrets=secrets)
    nested_run = replace(run, contexts=contexts, workflow=workflow)
    env_ctx = contexts.eval_context()
    workflow_env = {name: to_string(interpolate(value, env_ctx) if isinstance(value, str)
                                    else value) for name, value in workflow.env.items()}
    return nested_run, workflow, workflow_env
