"""What every kind of step shares: its outcome, and the protocol of its executor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.events.types import Conclusion
    from runner.model import Step


@dataclass(slots=True, kw_only=True)
class StepOutcome:
    """How a step ended, before continue-on-error turns its outcome into a conclusion."""

    outcome: Conclusion
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # why it failed, in GitHub's words where GitHub has some
    exit_code: int | None = None  # a process step's exit code (what a safety gate checks)
    tripped: str | None = None  # the safety-gate limit that tripped, if one did


class StepExecutor(Protocol):
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        """Run the step. Cancellation (a timeout, a cancelled run) propagates; the
        caller turns it into the `cancelled` or `failure` outcome."""
        ...
