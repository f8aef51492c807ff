"""Workflow files -> `Workflow`, with every problem reported at once.

Parsing never stops at the first problem: each part records what is wrong in
one `Problems` and goes on, and `parse_workflow` raises them all together as
WorkflowErrors, each at its file:line:col with the dotted path of the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.errors import WorkflowErrors
from runner.model.expression_syntax import check_expressions
from runner.model.jobs import parse_jobs
from runner.model.shared_keys import check_permissions, parse_concurrency, parse_defaults
from runner.model.triggers import Triggers, parse_on
from runner.model.types import Defaults, Workflow
from runner.model.validate import Problems, check_keys, env_mapping, string
from runner.model.yaml_loader import load_yaml, read_text
from runner.model.yaml_nodes import MappingNode, ScalarNode

if TYPE_CHECKING:
    from pathlib import Path

WORKFLOW_KEYS: tuple[str, ...] = (
    "name",
    "run-name",
    "on",
    "env",
    "defaults",
    "concurrency",
    "permissions",
    "jobs",
)


def load_workflow(path: str | Path) -> Workflow:
    """Read and parse the workflow file at `path`.

    Raises WorkflowErrors for a file that cannot be read or is not valid.
    """
    name = str(path)
    return parse_workflow(read_text(path), name)


def parse_workflow(text: str, path: str) -> Workflow:
    """Parse workflow YAML `text`; `path` is what error positions name.

    Raises WorkflowErrors holding every problem found, in file order.
    """
    problems = Problems()
    root = load_yaml(text, path, problems=problems.errors)
    if not isinstance(root, MappingNode):
        message = (
            "the workflow file is empty"
            if isinstance(root, ScalarNode) and root.value is None
            else 'a workflow must be a mapping with "on" and "jobs"'
        )
        problems.add(message, root.pos)
        raise WorkflowErrors(problems.errors)

    check_keys(root, WORKFLOW_KEYS, problems, "")
    for key in ("on", "jobs"):
        if key not in root:
            problems.add(f'missing required key "{key}"', root.pos)

    on_node = root.get("on")
    triggers = parse_on(on_node, problems) if on_node is not None else Triggers()
    jobs_node = root.get("jobs")
    jobs = parse_jobs(jobs_node, problems) if jobs_node is not None else {}
    if (permissions := root.get("permissions")) is not None:
        check_permissions(permissions, problems, "permissions")
    name_node = root.get("name")
    run_name_node = root.get("run-name")
    env_node = root.get("env")
    defaults_node = root.get("defaults")
    concurrency_node = root.get("concurrency")
    workflow = Workflow(
        path=path,
        pos=root.pos,
        name=string(name_node, problems, "name") if name_node is not None else None,
        run_name=(
            string(run_name_node, problems, "run-name") if run_name_node is not None else None
        ),
        on=triggers.on,
        dispatch_inputs=triggers.dispatch_inputs,
        call_inputs=triggers.call_inputs,
        call_outputs=triggers.call_outputs,
        call_secrets=triggers.call_secrets,
        env=env_mapping(env_node, problems, "env") if env_node is not None else {},
        defaults=(
            parse_defaults(defaults_node, problems, "defaults")
            if defaults_node is not None
            else Defaults()
        ),
        concurrency=(
            parse_concurrency(concurrency_node, problems, "concurrency")
            if concurrency_node is not None
            else None
        ),
        jobs=jobs,
    )
    check_expressions(root, problems, workflow=True)
    problems.raise_if_any()
    return workflow
