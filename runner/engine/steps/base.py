"""What every kind of step ends with: its outcome (runner.engine.scope has the protocol
of a step's executor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.events.types import Conclusion


@dataclass(slots=True, kw_only=True)
class StepOutcome:
    """How a step ended, before continue-on-error turns its outcome into a conclusion."""

    outcome: Conclusion
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # why it failed, in GitHub's words where GitHub has some
    exit_code: int | None = None  # a process step's exit code (what a safety gate checks)
    tripped: str | None = None  # the safety-gate limit that tripped, if one did
