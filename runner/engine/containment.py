"""Unexpected errors inside a run: they fail that run and nothing else.

A StaxError is a user's mistake, reported in the user's words. Anything else escaping
a step, a job or the run itself is a bug in stax (or a fault a test injected). It is
caught at the nearest of these levels, which each report it and carry on as if the
step, job or run had failed:

    step      (step_execution.run_step)   the step fails; the job goes on as after any failure
    job       (Scheduler._job_task)    the job's open steps and the job itself fail
    run       (WorkflowRun.run)        the run fails; its open jobs end
    manager   (RunManager._run)        logged: the engine and the other runs go on

If reporting fails too (a broken reporter, say), the error goes up one level. The run
always ends with run.completed, failing back to a minimal snapshot that needs no
masking. The reason shown is "internal error (Type: message)"; the traceback goes to
the log of the process that runs the engine (the daemon's engine process, or the
terminal of `stax run --local`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from runner.events.types import Conclusion, Status, now_ms

if TYPE_CHECKING:
    from runner.engine.records import JobRecord
    from runner.engine.reporter import Reporter

log = logging.getLogger("stax.engine")

INTERNAL_ERROR = "internal error"
_MAX_DETAIL = 300


def internal_error(
    exc: BaseException, *, run_id: str, where: str, with_message: bool = True
) -> str:
    """Log `exc` with its traceback; return the reason to show for it (without the
    error's message where it cannot be masked: it may quote anything)."""
    log.error("%s in run %s (%s)", INTERNAL_ERROR, run_id, where, exc_info=exc)
    return reason(exc, with_message=with_message)


def reason(exc: BaseException, *, with_message: bool = True) -> str:
    """`internal error (ValueError: ...)`: the innermost error a group holds, cut short."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    message = str(exc) if with_message else ""
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 3] + "..."
    return f"{INTERNAL_ERROR} ({detail}); see the log of stax's engine"


async def fail_open_job(job: JobRecord, reporter: Reporter, error: str) -> None:
    """End a job an internal error interrupted: a step still open fails with `error`
    (which its log shows too), then the job. Raises if the reporter does."""
    if job.status is Status.COMPLETED:
        return
    for step in job.steps:
        if step.status is Status.COMPLETED:
            continue
        if step.status is Status.IN_PROGRESS:
            line = reporter.masker.mask_line(f"##[error]{error}")
            await reporter.step_log(job.id, step.number, "stderr", [line])
        step.status = Status.COMPLETED
        step.conclusion = step.outcome = Conclusion.FAILURE
        step.error = error
        step.completed_at = now_ms()
        await reporter.step_completed(job, step)
    job.status = Status.COMPLETED
    job.conclusion = Conclusion.FAILURE
    job.error = error
    job.completed_at = now_ms()
    await reporter.job_completed(job)
