"""The pre and post stages of a job's actions, run as steps of the job.

When a job starts, the remote actions its steps use are found (GitHub's "Set
up job": fetched, or taken from the cache; a failure is kept for its step to
report; a step whose `if:` is false from the start and cannot change is
left alone). Then the pre stage of each action that has one runs, in step order,
as a step named "Pre <step name>", if its `pre-if` holds (default
`always()`). A post stage is due once its action has run a stage; after the
job's last step the due ones run, the last one due first, as "Post <step
name>", if their `post-if` holds (default `always()`): after a failure and
after a cancel too. Their conditions see the job's status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.engine.scope import HookStep
from runner.engine.step_execution import should_run, step_name
from runner.engine.steps.action import find_action, register_post, runtime_for
from runner.engine.steps.action_instance import Stage
from runner.errors import ExpressionError, RunError
from runner.model import StepKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from runner.engine.scope import StepScope
    from runner.engine.steps.action_instance import ActionInstance
    from runner.engine.steps.base import StepOutcome
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


async def find_job_actions(steps: Sequence[Step], scope: StepScope) -> list[HookStep]:
    """Find the remote actions `steps` use (kept in the job's environment for their
    steps); return the pre steps due, in step order."""
    pre_steps: list[HookStep] = []
    for step in steps:
        if step.kind is not StepKind.REMOTE_ACTION or _surely_skipped(step, scope):
            continue
        try:
            instance = await find_action(step, scope)
        except RunError as exc:
            scope.job_env.actions[id(step)] = str(exc)
            continue
        scope.job_env.actions[id(step)] = instance
        if instance.action.pre and instance.action.using != "composite":
            pre_steps.append(
                HookStep(
                    name=f"Pre {step_name(step, scope)}",
                    condition=instance.action.pre_if,
                    step=step,
                    executor=_PreStage(instance),
                )
            )
    return pre_steps


# What can change while a job runs: a condition reading none of it is decided at its start.
_CHANGING = re.compile(
    r"\b(?:steps|env|job)\b\s*[.\[]|\b(?:success|failure|always|cancelled|hashFiles)\s*\(",
    re.IGNORECASE,
)


def _surely_skipped(step: Step, scope: StepScope) -> bool:
    """True when the step's `if:` is false now and reads nothing that can change before
    the step's turn (`if: runner.environment == 'github-hosted'`): its action is not
    fetched for nothing."""
    condition = step.if_
    if condition is None or _CHANGING.search(condition):
        return False
    try:
        return not should_run(step, scope)
    except ExpressionError:
        return False  # the step reports it


@dataclass(frozen=True, slots=True)
class _PreStage:
    instance: ActionInstance

    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        runtime = runtime_for(self.instance)
        register_post(step, self.instance, scope, io)  # a pre that ran makes post due
        return await runtime(Stage.PRE, step, self.instance, scope, io)
