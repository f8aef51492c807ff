"""action.yml / action.yaml -> `Action`.

Like GitHub's runner, unknown keys at the top and in an input's metadata are
ignored (`author`, `branding`, an input's `type`), and `runs:` and `outputs:`
are checked. `runs:` is checked for the three kinds GitHub runs: composite (its steps go
through the same step parser as a workflow's, with composite's narrower set
of keys and `shell` required on run steps), JavaScript (`node12` ... `node24`:
`main`, `pre`, `post`, `pre-if`, `post-if`) and Docker (`image`, `entrypoint`,
`args`, `env`, `pre-entrypoint`, `post-entrypoint`, `pre-if`, `post-if`). Any
other `using` is an error at its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import WorkflowError, WorkflowErrors
from runner.model.expression_syntax import check_expressions
from runner.model.interface import parse_action_inputs, parse_outputs
from runner.model.steps import COMPOSITE_STEP_KEYS, parse_steps
from runner.model.types import Action, Step
from runner.model.validate import (
    Problems,
    check_keys,
    env_mapping,
    join,
    mapping,
    nonempty_string,
    require_keys,
    string,
)
from runner.model.yaml_loader import load_yaml, read_text

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue
from runner.model.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode

ACTION_FILE_NAMES = ("action.yml", "action.yaml")
NODE_RUNS_KEYS = ("using", "main", "pre", "pre-if", "post", "post-if")
DOCKER_RUNS_KEYS = (
    "using",
    "image",
    "env",
    "entrypoint",
    "args",
    "pre-entrypoint",
    "pre-if",
    "post-entrypoint",
    "post-if",
)
_NODE = ("node12", "node16", "node20", "node24")


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
    # GitHub ignores keys it does not know at the top (author, branding, and whatever
    # an action's authors add) and in an input's metadata; `runs:` and `outputs:` it
    # checks, and so does this.
    require_keys(root, ("runs",), problems, "", root.pos)

    runs = _runs(root.get("runs"), problems)
    using, runs_fields = runs.using, runs.fields
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
        steps=runs.steps,
        main=runs_fields.get("main", ""),
        pre=runs_fields.get("pre") or runs_fields.get("pre-entrypoint", ""),
        post=runs_fields.get("post") or runs_fields.get("post-entrypoint", ""),
        pre_if=runs_fields.get("pre-if") or "always()",
        post_if=runs_fields.get("post-if") or "always()",
        image=runs_fields.get("image", ""),
        entrypoint=runs_fields.get("entrypoint", ""),
        args=runs.args,
        env=runs.env,
    )
    check_expressions(root, problems)
    problems.raise_if_any()
    return action


@dataclass(frozen=True, slots=True, kw_only=True)
class _Runs:
    """An action's `runs:` as its runtime reads it."""

    using: str
    steps: tuple[Step, ...]  # composite
    fields: dict[str, str]  # main/pre/post (node), image/entrypoint/... (docker)
    args: tuple[str, ...]  # docker
    env: dict[str, JSONValue]  # docker


def _runs(runs_node: Node | None, problems: Problems) -> _Runs:
    """`runs:`, checked for its runtime (`using`): composite, node or docker."""
    using = ""
    steps: tuple[Step, ...] = ()
    runs_fields: dict[str, str] = {}
    args: tuple[str, ...] = ()
    env: dict[str, JSONValue] = {}
    if runs_node is not None and (runs := mapping(runs_node, problems, "runs")) is not None:
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
        elif using.lower() in _NODE:
            check_keys(runs, NODE_RUNS_KEYS, problems, "runs")
            runs_fields = _texts(runs, NODE_RUNS_KEYS[1:], problems)
            if "main" not in runs_fields:
                problems.add(
                    'a JavaScript action needs "main" (the script to run)', runs.pos, "runs"
                )
        elif using.lower() == "docker":
            check_keys(runs, DOCKER_RUNS_KEYS, problems, "runs")
            runs_fields = _texts(
                runs,
                ("image", "entrypoint", "pre-entrypoint", "pre-if", "post-entrypoint", "post-if"),
                problems,
            )
            if "image" not in runs_fields:
                problems.add('a Docker action needs "image"', runs.pos, "runs")
            if (args_node := runs.get("args")) is not None:
                args = _args(args_node, problems)
            if (env_node := runs.get("env")) is not None:
                env = env_mapping(env_node, problems, "runs.env")
        elif using and using_node is not None:
            problems.add(
                f"'using: {using}' is not supported, use 'composite', 'docker', 'node12', "
                "'node16', 'node20' or 'node24'",
                using_node.pos,
                "runs.using",
            )

    return _Runs(using=using, steps=steps, fields=runs_fields, args=args, env=env)


def _texts(runs: MappingNode, keys: tuple[str, ...], problems: Problems) -> dict[str, str]:
    """The non-empty string values of `keys` present in `runs`."""
    found: dict[str, str] = {}
    for key in keys:
        if (node := runs.get(key)) is not None:
            text = nonempty_string(node, problems, join("runs", key))
            if text is not None:
                found[key] = text
    return found


def _args(node: Node, problems: Problems) -> tuple[str, ...]:
    if not isinstance(node, SequenceNode):
        problems.add("must be a list of strings", node.pos, "runs.args")
        return ()
    args: list[str] = []
    for index, item in enumerate(node.value):
        text = (
            string(item, problems, f"runs.args[{index}]") if isinstance(item, ScalarNode) else None
        )
        if text is None:
            problems.add("must be a string", item.pos, f"runs.args[{index}]")
            continue
        args.append(text)
    return tuple(args)
