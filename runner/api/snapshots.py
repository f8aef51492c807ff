"""Run and job snapshots as every dialect writes them: times, and why a job failed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from runner.events.types import Conclusion

if TYPE_CHECKING:
    from runner.events.payloads import JobSnapshot


def iso_ms(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and `Z`: 2026-03-17T12:00:00.000Z."""
    seconds, millis = divmod(ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


def job_error(job: JobSnapshot) -> str:
    """Why a job did not succeed: its own error, else its first failed step's."""
    if job.error:
        return job.error
    for step in job.steps or ():
        if step.conclusion is Conclusion.FAILURE:
            name = f"step {step.number} ({step.name})"
            return f"{name} failed: {step.error}" if step.error else f"{name} failed"
    return job.conclusion.value if job.conclusion else "failed"
