"""The local executor: the job's steps run in this process, as subprocesses of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.job import run_job

if TYPE_CHECKING:
    from runner.config import ExecutorSettings
    from runner.engine.control import JobControl
    from runner.engine.job import JobPlan, JobResult
    from runner.engine.scope import RunScope


class LocalExecutor:
    """Runs a job right here (runner.engine.job.run_job)."""

    def __init__(self, settings: ExecutorSettings | None = None) -> None:
        self.settings = settings

    async def run_job(self, plan: JobPlan, run: RunScope, control: JobControl) -> JobResult:
        return await run_job(plan, run, control)
