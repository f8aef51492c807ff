"""The seam where a decided job leaves the scheduler: an executor runs it.

`[executor] kind` in stax.toml names the backend: "local" runs the job's steps
in this process (runner/executors/local.py), "ray" on a Ray cluster
(runner/executors/ray.py). Backends live above the engine (they run jobs with
the engine's own job code), so the engine finds them by name here, once per
process, and never imports them itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runner.config import Settings
    from runner.engine.control import JobControl
    from runner.engine.job import JobPlan, JobResult
    from runner.engine.scope import RunScope


class JobExecutor(Protocol):
    """Runs one decided job instance and reports it into the run's sink."""

    async def run_job(self, plan: JobPlan, run: RunScope, control: JobControl) -> JobResult:
        """Run the job, emitting its events (job.started ... job.completed) in order.

        A cancel of `control` stops its running step wherever it runs; cancellation of
        the caller (a kill) propagates after the job's processes are gone."""
        ...


_BACKENDS = {
    "local": "runner.executors.local:LocalExecutor",
    "ray": "runner.executors.ray:RayExecutor",
}
_open: dict[tuple[str, str], JobExecutor] = {}


def executor_for(settings: Settings) -> JobExecutor:
    """The executor stax.toml chooses, one per kind and address in this process."""
    configured = settings.executor
    key = (configured.kind, configured.address)
    executor = _open.get(key)
    if executor is None:
        module_name, _, class_name = _BACKENDS[configured.kind].partition(":")
        backend = getattr(importlib.import_module(module_name), class_name)
        executor = _open[key] = backend(configured)
    return executor
