"""action.yml / action.yaml -> `Action`.

Only `using: composite` actions run here; any other `using` (node20, docker,
...) is kept as written so the engine can refuse it with a clear message. The
steps of a composite action go through the same step parser as a workflow's,
with composite's narrower set of keys and `shell` required on run steps.
"""

from __future__ import annotations

from pathlib import Path

from runner.errors import WorkflowError, WorkflowErrors
from runner.model.expression_syntax import check_expressions
from runner.model.interface import parse_action_inputs, parse_outputs
from runner.model.steps import COMPOSITE_STEP_KEYS, parse_steps
from runner.model.types import Action, Step
from runner.model.validate import (
    Problems,
    check_keys,
    mapping,
    nonempty_string,
    require_keys,
    string,
)
from runner.model.yaml_loader import load_yaml, read_text
from runner.model.yaml_nodes import MappingNode, ScalarNode

ACTION_KEYS: tuple[str, ...] = (
    "name",
    "author",
    "description",
    "inputs",
    "outputs",
    "runs",
    "branding",
)
ACTION_FILE_NAMES = ("action.yml", "action.yaml")


def load_action(path: str | Path) -> Action:
    """Read the action at `path`: a directory holding action.yml (or action.yaml), or the file.

    Raises WorkflowErrors when there is no such file or it is not valid.
    """
    target = Path(path)
    if target.is_dir():
        found = next((target / n for n in ACTION_FILE_NAMES if (target / n).is_file()), None)
        if found is None:
            raise WorkflowErrors(
                [WorkflowError(f"no action.yml or action.yaml in {target}", where="uses")]
            )
        target = found
    return parse_action(read_text(target), str(target))


def parse_action(text: str, path: str) -> Action:
    """Parse action metadata YAML `text`; raises WorkflowErrors holding every problem."""
    problems = Problems()
    root = load_yaml(text, path, problems=problems.errors)
    if not isinstance(root, MappingNode):
        empty = isinstance(root, ScalarNode) and root.value is None
        message = "the action file is empty" if empty else 'an action must be a mapping with "runs"'
        problems.add(message, root.pos)
        raise WorkflowErrors(problems.errors)
    check_keys(root, ACTION_KEYS, problems, "")
    require_keys(root, ("runs",), problems, "", root.pos)

    using = ""
    steps: tuple[Step, ...] = ()
    if (runs_node := root.get("runs")) is not None and (
        runs := mapping(runs_node, problems, "runs")
    ) is not None:
        require_keys(runs, ("using",), problems, "runs", runs.pos)
        using_node = runs.get("using")
        using = (
            nonempty_string(using_node, problems, "runs.using") if using_node is not None else None
        ) or ""
        if using == "composite":
            check_keys(runs, ("using", "steps"), problems, "runs")
            if (steps_node := runs.get("steps")) is None:
                problems.add('a composite action needs "steps"', runs.pos, "runs")
            else:
                steps = parse_steps(
                    steps_node,
                    problems,
                    "runs.steps",
                    keys=COMPOSITE_STEP_KEYS,
                    require_shell=True,
                )

    inputs_node = root.get("inputs")
    outputs_node = root.get("outputs")
    name_node = root.get("name")
    description_node = root.get("description")
    action = Action(
        path=path,
        pos=root.pos,
        name=(string(name_node, problems, "name") or "") if name_node is not None else "",
        description=(
            (string(description_node, problems, "description") or "")
            if description_node is not None
            else ""
        ),
        inputs=parse_action_inputs(inputs_node, problems, "inputs")
        if inputs_node is not None
        else {},
        outputs=(
            parse_outputs(outputs_node, problems, "outputs", require_value=using == "composite")
            if outputs_node is not None
            else {}
        ),
        using=using,
        steps=steps,
    )
    check_expressions(root, problems)
    problems.raise_if_any()
    return action
