"""A job instance the scheduler decided to run, and what it ends with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.engine.records import JobRecord
    from runner.engine.workspaces import JobWorkspace
    from runner.events.types import Conclusion
    from runner.json_text import JSONValue
    from runner.model import Defaults, Job


@dataclass(slots=True, kw_only=True)
class JobPlan:
    """A job instance the scheduler decided to run, with what its expressions see."""

    job: Job
    record: JobRecord
    layers: dict[str, JSONValue]  # matrix, needs, strategy, job contexts
    env: dict[str, JSONValue]  # workflow env + job env, evaluated
    defaults: Defaults
    timeout_minutes: float
    continue_on_error: bool = False
    runs_if_cancelled: bool = False  # started after the run was cancelled: `if: always()`
    needs_outputs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    workspace: JobWorkspace | None = None  # its own snapshot; None: in the workdir


@dataclass(slots=True, kw_only=True)
class JobResult:
    conclusion: Conclusion
    outputs: dict[str, str] = field(default_factory=dict)
