"""The one place a step's kind picks the code that runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.steps.action import ActionStep, DockerImageStep
from runner.engine.steps.checkout import CheckoutStep
from runner.engine.steps.shell import ShellStep
from runner.engine.steps.skill import SkillStep
from runner.model import StepKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.engine.scope import StepExecutor


def step_executors() -> Mapping[StepKind, StepExecutor]:
    """What runs each kind of step (a run's scope carries it to every step)."""
    return {
        StepKind.RUN: ShellStep(),
        StepKind.CHECKOUT: CheckoutStep(),
        StepKind.LOCAL_ACTION: ActionStep(),
        StepKind.REMOTE_ACTION: ActionStep(),
        StepKind.DOCKER_ACTION: DockerImageStep(),
        StepKind.SKILL: SkillStep(),
    }
