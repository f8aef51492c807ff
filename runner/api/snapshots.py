"""Run and job snapshots as every dialect writes them: times, and why a job failed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from runner.events.types import Conclusion

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue


def iso_ms(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and `Z`: 2026-03-17T12:00:00.000Z."""
    seconds, millis = divmod(ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


def job_error(job: dict[str, JSONValue]) -> str:
    """Why a job did not succeed: its own error, else its first failed step's."""
    error = job.get("error")
    if isinstance(error, str) and error:
        return error
    steps = job.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and step.get("conclusion") == Conclusion.FAILURE:
            detail = step.get("error")
            name = f"step {step.get('number')} ({step.get('name')})"
            return f"{name} failed: {detail}" if detail else f"{name} failed"
    return str(job.get("conclusion") or "failed")
