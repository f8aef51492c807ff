"""The engine: runs a workflow's jobs and steps on this machine and reports every change."""

from runner.engine.inputs import convert, resolve_inputs
from runner.engine.masking import MASK, Masker
from runner.engine.run_request import RunRequest
from runner.engine.scope import Approver
from runner.engine.skill_runs import execution_request, execution_workflow
from runner.engine.workflow_run import WorkflowRun
from runner.run_ids import new_run_id

__all__ = [
    "MASK",
    "Approver",
    "Masker",
    "RunRequest",
    "WorkflowRun",
    "convert",
    "execution_request",
    "execution_workflow",
    "new_run_id",
    "resolve_inputs",
]
