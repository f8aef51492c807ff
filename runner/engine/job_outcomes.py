"""A job's outcome as the jobs that need it see it: a result combining its instances,
its outputs, and when it is done; and the names its instances are shown by."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import trio

from runner import json_text
from runner.events.types import Conclusion
from runner.expressions import JSONValue, interpolate, to_string

if TYPE_CHECKING:
    from runner.model import Job


@dataclass(slots=True, kw_only=True)
class JobOutcome:
    result: Conclusion = Conclusion.SKIPPED
    outputs: dict[str, str] = field(default_factory=dict)
    done: trio.Event = field(default_factory=trio.Event)


def combine_results(results: list[Conclusion]) -> Conclusion:
    if not results:
        return Conclusion.SKIPPED
    for conclusion in (Conclusion.FAILURE, Conclusion.CANCELLED):
        if conclusion in results:
            return conclusion
    if all(r is Conclusion.SKIPPED for r in results):
        return Conclusion.SKIPPED
    return Conclusion.SUCCESS


def job_name(key: str, job: Job, combo: dict[str, JSONValue] | None, ctx: object) -> str:
    """GitHub's naming: `name:` evaluated; a matrix instance without an expression in its
    name gets its values appended: `test (3.12, ubuntu)`."""
    base = job.name if job.name is not None else key
    if "${{" in base:
        return to_string(interpolate(base, ctx))  # type: ignore[arg-type]
    if combo:
        values = ", ".join(
            json_text.dumps(v) if isinstance(v, (dict, list)) else to_string(v)
            for v in combo.values()
        )
        return f"{base} ({values})"
    return base
