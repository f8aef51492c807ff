"""JavaScript actions (`runs.using: node12|node16|node20|node24`): each stage's
script run by the host's Node.js (`[actions] node`), in the workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.actions import find_node, node_major, node_setting, runtime_mismatch
from runner.engine.steps.action_instance import Stage
from runner.engine.steps.action_process import run_action_process
from runner.errors import RunError

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.action_instance import ActionInstance
    from runner.engine.steps.base import StepOutcome
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


async def run_node(
    stage: Stage, step: Step, instance: ActionInstance, scope: StepScope, io: StepOutput
) -> StepOutcome:
    action = instance.action
    script = {Stage.PRE: action.pre, Stage.MAIN: action.main, Stage.POST: action.post}[stage]
    target = instance.directory / script
    if not target.is_file():
        raise RunError(
            f"uses: {instance.uses}: its {stage} script {script} is not in {instance.directory}"
        )
    node = find_node(node_setting(scope.run.settings.actions, action.using))
    mismatch = runtime_mismatch(action.using, node, await node_major(node))
    if mismatch is not None and stage is not Stage.POST:  # said once is enough
        await io.annotate("warning", f"uses: {instance.uses}: {mismatch}")
    return await run_action_process(
        stage,
        step,
        instance,
        scope,
        io,
        lambda env, files: [node, str(target)],
        cwd=str(scope.run.contexts.workspace),
    )
