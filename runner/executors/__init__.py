"""Executors: where a job the scheduler decided on runs.

    local   in the engine's process, on this machine (the default: runner.engine.executor)
    ray     on a node of a Ray cluster that offers the job's runs-on labels

Both run the job with the engine's own job code (runner.engine.job) and bring
every event back, masked, into the run's one log. The daemon and `stax run` choose
one from stax.toml with `executor_for` and hand it to each run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.job import LocalJobs

if TYPE_CHECKING:
    from runner.config import ExecutorSettings
    from runner.engine.scope import JobExecutor


def executor_for(settings: ExecutorSettings) -> JobExecutor:
    """The executor `[executor]` names; the caller keeps it for the runs it starts (a
    Ray executor holds its connection to the cluster)."""
    if settings.kind == "ray":
        from runner.executors.ray import RayExecutor  # imports ray only now

        return RayExecutor(settings)
    return LocalJobs()


__all__ = ["executor_for"]
