"""Whether a run needs the runner services: `stax run --local` starts its loopback
server only then, and pays nothing (not even the import) otherwise.

A run needs them when a step may call them: a `uses:` of anything but
actions/checkout (an official action such as upload-artifact or cache, any remote or
Docker action, a local JavaScript or Docker action, a reusable workflow or a local
composite action that contains one), or a `run:` step whose script or `env:` names one
of the ACTIONS_* service variables. stax.toml `[services] local` can say "always"
(a tool that reads the variables itself, say `docker buildx --cache-to type=gha`) or
"never". Pure: reads the workflow and the local actions it uses, nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.errors import WorkflowError
from runner.model import StepKind, load_action, load_workflow

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from runner.model import Step, Workflow

SERVICE_VARIABLES = (
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_RUNTIME_URL",
    "ACTIONS_RESULTS_URL",
    "ACTIONS_CACHE_URL",
)
# Everything the services' clients read. Inherited from an outer runner (stax run inside
# a CI job), they would send a step's uploads there: a run sees only stax's own, or none.
SERVICE_ENVIRONMENT = (
    *SERVICE_VARIABLES,
    "ACTIONS_CACHE_SERVICE_V2",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
_MAX_DEPTH = 10


def needs_services(workflow: Workflow, workspace: Path, *, mode: str = "auto") -> bool:
    """True when a run of `workflow` in `workspace` should get the services."""
    if mode != "auto":
        return mode == "always"
    return _workflow_needs(workflow, workspace, depth=0)


def _workflow_needs(workflow: Workflow, workspace: Path, *, depth: int) -> bool:
    for job in workflow.jobs.values():
        if job.uses is not None:
            if _reusable_needs(job.uses, workspace, depth=depth):
                return True
        elif _steps_need(job.steps, workspace, depth=depth):
            return True
    return False


def _reusable_needs(uses: str, workspace: Path, *, depth: int) -> bool:
    if not uses.startswith("./") or depth >= _MAX_DEPTH:
        return True  # remote (it fails on its own) or absurdly deep: no guessing
    try:
        called = load_workflow(workspace / uses.split("@", 1)[0])
    except (WorkflowError, OSError):
        return False  # the run reports it, and never gets to a step
    return _workflow_needs(called, workspace, depth=depth + 1)


def _steps_need(steps: Iterable[Step], workspace: Path, *, depth: int) -> bool:
    for step in steps:
        if step.kind in (StepKind.REMOTE_ACTION, StepKind.DOCKER_ACTION):
            return True
        if step.kind is StepKind.LOCAL_ACTION and _local_action_needs(
            step.uses or "", workspace, depth=depth
        ):
            return True
        if step.kind is StepKind.RUN and _mentions_services(step):
            return True
    return False


def _local_action_needs(uses: str, workspace: Path, *, depth: int) -> bool:
    if depth >= _MAX_DEPTH:
        return True
    try:
        action = load_action(workspace / uses)
    except (WorkflowError, OSError):
        return False  # the step fails with the reason, calling nothing
    if action.using != "composite":
        return True  # JavaScript or Docker: the kinds that call the services
    return _steps_need(action.steps, workspace, depth=depth + 1)


def _mentions_services(step: Step) -> bool:
    texts = [step.run or "", *(v for v in step.env.values() if isinstance(v, str))]
    return any(name in text for text in texts for name in SERVICE_VARIABLES)
