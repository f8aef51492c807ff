"""Jobs that call a reusable workflow: `uses: ./.github/workflows/x.yml`, or
`owner/repo/.github/workflows/x.yml@ref` from the actions server (runner.actions).

The called workflow's jobs join the run as `caller.job` (shown as
`caller / job`), scheduled by a nested Scheduler that shares the run's job
limit. They see the caller's `github` context, the `inputs` and `secrets`
the caller passed (`secrets: inherit` passes all), and the caller gets the
called workflow's `on.workflow_call.outputs`, evaluated over its `jobs`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import trio

from runner.actions import ActionReference
from runner.engine.inputs import resolve_inputs
from runner.engine.job_outcomes import JobOutcome, combine_results, job_name
from runner.errors import RunError, StaxError
from runner.events.types import Conclusion
from runner.expressions import JSONValue, interpolate, to_string
from runner.model import Job, load_workflow

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine.matrix_instances import Instances
    from runner.engine.scope import RunScope
    from runner.model import Workflow


class Caller(Protocol):
    """The scheduler of the calling workflow (runner.engine.scheduler), as seen from here."""

    run: RunScope
    id_prefix: str

    def called(
        self,
        run: RunScope,
        workflow: Workflow,
        *,
        workflow_env: dict[str, JSONValue],
        id_part: str,
        name: str,
    ) -> Caller:
        """The scheduler of the called workflow's jobs."""
        ...

    async def run_all(self) -> dict[str, JobOutcome]: ...

    async def fail_unstarted(
        self, key: str, job: Job, error: str, *, instance_id: str | None = None
    ) -> None: ...


async def run_called_workflows(
    caller: Caller,
    key: str,
    job: Job,
    matrix: Instances | None,
    layers: dict[str, JSONValue],
    outcome: JobOutcome,
) -> None:
    """Run the called workflow once, or once per matrix combination (concurrently,
    up to `max-parallel`); the caller's result combines them, later finishers'
    outputs winning, as for any matrix job."""
    if matrix is None:
        result, outputs = await _call(caller, key, job, layers, f"{key}.", job.name or key)
        outcome.result = result
        outcome.outputs.update(outputs)
        return
    results: list[Conclusion] = []
    limiter = trio.CapacityLimiter(_max_parallel(job, caller, layers) or matrix.total)

    async def one(index: int, combo: dict[str, JSONValue], token: object) -> None:
        strategy: dict[str, JSONValue] = {"job-index": index, "job-total": matrix.total}
        instance = {**layers, "matrix": combo, "strategy": strategy}
        name = job_name(key, job, combo, caller.run.contexts.eval_context(layers=instance))
        try:
            result, outputs = await _call(caller, key, job, instance, f"{key}.{index + 1}.", name)
        finally:
            limiter.release_on_behalf_of(token)
        results.append(result)
        outcome.outputs.update(outputs)

    async with trio.open_nursery() as nursery:
        for index, combo in matrix.combos:
            token = object()
            await limiter.acquire_on_behalf_of(token)  # in declaration order
            nursery.start_soon(one, index, combo, token)
    outcome.result = combine_results(results)


async def _call(
    caller: Caller, key: str, job: Job, layers: dict[str, JSONValue], id_part: str, name: str
) -> tuple[Conclusion, dict[str, str]]:
    """One call of the workflow: its jobs join the run as `<id_part><job>`."""
    try:
        nested_run, workflow, workflow_env = await _prepare(caller, key, job, layers)
    except StaxError as exc:
        await caller.fail_unstarted(key, job, str(exc), instance_id=caller.id_prefix + id_part[:-1])
        return Conclusion.FAILURE, {}
    nested = caller.called(
        nested_run, workflow, workflow_env=workflow_env, id_part=id_part, name=name
    )
    outcomes = await nested.run_all()
    jobs_ctx: dict[str, JSONValue] = {
        name: {"result": o.result.value, "outputs": dict(o.outputs)} for name, o in outcomes.items()
    }
    ctx = nested_run.contexts.eval_context(layers={"jobs": jobs_ctx})
    outputs: dict[str, str] = {}
    for output, spec in workflow.call_outputs.items():
        try:
            outputs[output] = to_string(interpolate(spec.value, ctx))
        except StaxError:
            outputs[output] = ""
    return combine_results([o.result for o in outcomes.values()]), outputs


async def _workflow_file(run: RunScope, key: str, uses: str) -> Path:
    """The called workflow's file: in the workspace, or in its repository at its ref.
    (A called workflow's own `uses: ./...` still means the caller's workspace, as on
    GitHub.)"""
    if uses.startswith("./"):
        return (run.contexts.workspace / uses.split("@", 1)[0]).resolve()
    reference = ActionReference.parse(uses)
    if reference is None:
        raise RunError(f"jobs.{key}.uses: {uses}: expected owner/repo/.github/workflows/x.yml@ref")
    try:
        fetched = await run.actions.fetch(reference)
    except RunError as exc:
        raise RunError(f"jobs.{key}.uses: {exc}") from None
    path = fetched.directory
    if not path.is_file():
        raise RunError(f"jobs.{key}.uses: {uses}: no {reference.path} in {fetched.root}")
    return path


def _max_parallel(job: Job, caller: Caller, layers: dict[str, JSONValue]) -> int | None:
    raw = job.strategy.max_parallel if job.strategy else None
    if isinstance(raw, str):
        raw = interpolate(raw, caller.run.contexts.eval_context(layers=layers))
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 1 <= raw < math.inf:
        return None
    return int(raw)


async def _prepare(caller: Caller, key: str, job: Job, layers: dict[str, JSONValue]):  # type: ignore[no-untyped-def]
    uses = job.uses or ""
    run = caller.run
    if caller.id_prefix.count(".") >= 4:
        raise RunError(f"jobs.{key}.uses: reusable workflows nested too deeply")
    path = await _workflow_file(run, key, uses)
    workflow = load_workflow(path)
    if "workflow_call" not in workflow.on:
        raise RunError(
            f"jobs.{key}.uses: {uses} is not a reusable workflow (it has no `on: workflow_call`)"
        )
    ctx = run.contexts.eval_context(layers=layers)
    given = {
        name: interpolate(value, ctx) if isinstance(value, str) else value
        for name, value in job.with_.items()
    }
    inputs = resolve_inputs(
        workflow.call_inputs,
        given,
        what="input",
        evaluate_default=lambda text: interpolate(text, ctx),
    )
    secrets: dict[str, JSONValue]
    if isinstance(job.secrets, str):  # "inherit" (the model allows no other string)
        secrets = dict(run.contexts.secrets)
    else:
        secrets = {
            name: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
            for name, value in (job.secrets or {}).items()
        }
    missing = [
        name
        for name, spec in workflow.call_secrets.items()
        if spec.required and name not in secrets
    ]
    if missing:
        raise RunError(f"jobs.{key}: required secret(s) not passed: {', '.join(missing)}")
    contexts = replace(run.contexts, inputs=inputs, secrets=secrets)
    nested_run = replace(run, contexts=contexts, workflow=workflow)
    env_ctx = contexts.eval_context()
    workflow_env = {
        name: to_string(interpolate(value, env_ctx) if isinstance(value, str) else value)
        for name, value in workflow.env.items()
    }
    return nested_run, workflow, workflow_env
