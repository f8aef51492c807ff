"""A skill execution requested by a caller is a run of a one-step workflow.

`stax skill run` and `POST /v1/skills/{id}/execute[/stream]` do not execute a
skill themselves: they start a run (event `skill`, workflow `skill:<id>`)
whose one job has one step, `skill: <id>`. The run then lands in the event
log and in every stream like any other, and the caller follows its events.

The inputs, trace id and channel travel in the run's event payload
(`github.event`), never through expressions: a caller's text is data, and
must not be evaluated as `${{ }}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.run_request import RunRequest
from runner.model import Job, Step, StepKind, Workflow
from runner.skills.trace import EXECUTION_EVENT, WORKFLOW_PREFIX

if TYPE_CHECKING:
    from pathlib import Path

    from runner.expressions import JSONValue
    from runner.model import Skill

EXECUTION_JOB = "skill"


def execution_workflow(skill: Skill) -> Workflow:
    """The one-job, one-step workflow that executes `skill`."""
    step = Step(
        index=0, pos=skill.pos, kind=StepKind.SKILL, name=f"Skill {skill.id}", skill=skill.id
    )
    job = Job(
        id=EXECUTION_JOB,
        pos=skill.pos,
        name=skill.display_name,
        runs_on="local",
        steps=(step,),
    )
    return Workflow(
        path=skill.path,
        pos=skill.pos,
        name=f"{WORKFLOW_PREFIX}{skill.id}",
        on={EXECUTION_EVENT: {}},
        jobs={EXECUTION_JOB: job},
    )


def execution_request(
    skill: Skill,
    inputs: dict[str, JSONValue],
    *,
    channel: str,
    workdir: Path,
    run_id: str,
    trace_id: str,
    secrets: dict[str, str] | None = None,
) -> RunRequest:
    """The run that executes `skill` with `inputs` (already checked) for a caller."""
    payload: dict[str, JSONValue] = {
        "skill_id": skill.id,
        "trace_id": trace_id,
        "execution_channel": channel,
        "inputs": dict(inputs),
    }
    return RunRequest(
        workflow=execution_workflow(skill),
        workdir=workdir,
        event_name=EXECUTION_EVENT,
        event_payload=payload,
        secrets=secrets or {},
        run_id=run_id,
    )
