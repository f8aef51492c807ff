"""The one place a step's kind picks the code that runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.steps.action import ActionStep
from runner.engine.steps.checkout import CheckoutStep
from runner.engine.steps.docker import DockerImageStep
from runner.engine.steps.shell import ShellStep
from runner.engine.steps.skill import SkillStep
from runner.errors import RunError
from runner.model import StepKind

if TYPE_CHECKING:
    from runner.engine.steps.base import StepExecutor

_EXECUTORS: dict[StepKind, StepExecutor] = {
    StepKind.RUN: ShellStep(),
    StepKind.CHECKOUT: CheckoutStep(),
    StepKind.LOCAL_ACTION: ActionStep(),
    StepKind.REMOTE_ACTION: ActionStep(),
    StepKind.DOCKER_ACTION: DockerImageStep(),
    StepKind.SKILL: SkillStep(),
}


def executor_for(kind: StepKind) -> StepExecutor:
    try:
        return _EXECUTORS[kind]
    except KeyError:
        raise RunError(f"{kind} steps cannot run here") from None


def register_executor(kind: StepKind, executor: StepExecutor) -> None:
    """Plug in an executor from a higher layer (skills)."""
    _EXECUTORS[kind] = executor
