"""The instances a job's matrix becomes: evaluated, expanded, and filtered by `--matrix`.

The matrix is evaluated when the job is about to expand, as on GitHub: with
`github`, `needs`, `vars` and `inputs` (the contexts GitHub's table gives
`jobs.<job_id>.strategy`), never `matrix` itself; expressions may stand in
values, include/exclude entries, keys, and as `${{ insert }}`.

`--matrix key:value` never renumbers: a kept instance keeps its place in the
full matrix (`strategy.job-index`, `job-total`, its id `key.N`), so a
filtered run reproduces exactly those instances of the full one. A filter
that keeps nothing of a matrix it applies to is the user's mistake, told
with the values there are: before the run for a matrix written out in full,
when the job expands for one computed at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.errors import ExpressionError, RunError, WorkflowError
from runner.expressions import EvalContext, interpolate_tree, to_string
from runner.model import contains_expression, expand_matrix, matrix_filter, matrix_values

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from runner.expressions import JSONValue
    from runner.model import Job, Workflow

_STRATEGY_CONTEXTS = ("github", "needs", "vars", "inputs")


@dataclass(frozen=True, slots=True, kw_only=True)
class Instances:
    """The combinations of a job's matrix that run, each with its index in the full matrix."""

    combos: list[tuple[int, dict[str, JSONValue]]]
    total: int  # the size of the full matrix: strategy.job-total


def job_instances(
    job: Job, ctx: EvalContext, filters: Mapping[str, tuple[str, ...]]
) -> Instances | None:
    """The instances of `job`'s matrix (None without one), `ctx` holding what the job
    sees before it expands. RunError for a matrix that is malformed once evaluated."""
    if job.strategy is None or job.strategy.matrix is None:
        return None
    strategy_ctx = EvalContext(
        contexts={name: ctx.contexts.get(name) for name in _STRATEGY_CONTEXTS},
        workspace=ctx.workspace,
    )
    try:
        matrix = interpolate_tree(job.strategy.matrix, strategy_ctx)
    except ExpressionError as exc:
        raise RunError(f"jobs.{job.id}.strategy.matrix: {exc}") from None
    if not isinstance(matrix, dict):
        shown = to_string(matrix) if matrix is not None else "null"
        raise RunError(f"jobs.{job.id}.strategy.matrix: expected a mapping, got {shown}")
    try:
        combos = expand_matrix(matrix)
    except WorkflowError as exc:
        raise RunError(f"jobs.{job.id}.strategy.matrix: {exc.message}") from None
    return select_instances(job.id, combos, filters)


def select_instances(
    job_id: str, combos: list[dict[str, JSONValue]], filters: Mapping[str, tuple[str, ...]]
) -> Instances:
    """The instances of `combos` that `filters` keep; RunError if they keep none of a
    matrix that has a filtered key (a matrix without any is not filtered, as in act)."""
    kept = matrix_filter(combos, filters) if filters else list(range(len(combos)))
    if not kept:
        raise RunError(_no_match(job_id, combos, filters))
    return Instances(combos=[(index, combos[index]) for index in kept], total=len(combos))


def check_filters(
    workflow: Workflow, jobs: Collection[str] | None, filters: Mapping[str, tuple[str, ...]]
) -> None:
    """Before a run: every filter against the matrices written out in full.

    Raises RunError when a filter keeps nothing of a job's matrix, or names a key
    no job's matrix has (checked only when every matrix is known before the run).
    """
    if not filters:
        return
    keys: list[str] = []  # of every matrix, for the message
    all_known = True
    for key, job in workflow.jobs.items():
        if jobs is not None and key not in jobs:
            continue
        if job.uses is not None:
            all_known = False  # a called workflow's matrices are read when it runs
        matrix = job.strategy.matrix if job.strategy is not None else None
        if matrix is None:
            continue
        if not isinstance(matrix, dict) or contains_expression(matrix):
            all_known = False
            continue
        try:
            combos = expand_matrix(matrix)
        except WorkflowError:
            continue  # validation reports it
        keys.extend(k for combo in combos for k in combo if k not in keys)
        select_instances(key, combos, filters)
    missing = [name for name in filters if name not in keys and name.split(".")[0] not in keys]
    if all_known and missing:
        known = f" (matrix keys: {', '.join(keys)})" if keys else " (no job has a matrix)"
        raise RunError(f"--matrix {missing[0]}: no job's matrix has this key{known}")


def _no_match(
    job_id: str, combos: list[dict[str, JSONValue]], filters: Mapping[str, tuple[str, ...]]
) -> str:
    asked = " ".join(f"{key}:{value}" for key, values in filters.items() for value in values)
    have = "; ".join(
        f"{key}: {', '.join(values)}" for key in filters if (values := matrix_values(combos, key))
    )
    return f'--matrix {asked} matches no combination of job "{job_id}" (its values: {have})'
