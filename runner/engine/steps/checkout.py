"""`uses: actions/checkout@*`: the workflow's own repository is already the workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.steps.base import StepOutcome
from runner.events.types import Conclusion

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


class CheckoutStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        repository = step.with_.get("repository")
        own = scope.run.contexts.github.get("repository")
        if isinstance(repository, str) and repository and repository.lower() != str(own).lower():
            return StepOutcome(
                outcome=Conclusion.FAILURE,
                error=f"checkout of another repository ({repository}) needs network access: "
                "not supported yet",
            )
        await io.write(["Workspace already available"])
        return StepOutcome(outcome=Conclusion.SUCCESS)
