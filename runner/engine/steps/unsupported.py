"""Steps that need what a local runner does not have: they fail, saying so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.steps.base import StepOutcome
from runner.events.types import Conclusion

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


class RemoteActionStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        return StepOutcome(
            outcome=Conclusion.FAILURE,
            error=f"uses: {step.uses}: this remote action needs network access: not supported yet",
        )


class DockerActionStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        return StepOutcome(
            outcome=Conclusion.FAILURE,
            error=f"uses: {step.uses}: Docker actions need a container engine: not supported",
        )
