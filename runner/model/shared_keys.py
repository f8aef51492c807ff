"""Keys a workflow and its jobs both have: `defaults`, `concurrency` and `permissions`.

(`env` is shared too; it is `validate.env_mapping`, since steps have it as well.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.model.types import Concurrency, Defaults
from runner.model.validate import (
    bool_or_expression,
    check_keys,
    describe,
    join,
    mapping,
    nonempty_string,
    require_keys,
    string,
)
from runner.model.yaml_nodes import MappingNode, ScalarNode

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node

PERMISSION_LEVELS = ("read", "write", "none")
_PERMISSION_SHORTHANDS = ("read-all", "write-all")


def parse_defaults(node: Node, problems: Problems, where: str) -> Defaults:
    """`defaults: {run: {shell, working-directory}}`."""
    body = mapping(node, problems, where)
    if body is None:
        return Defaults()
    check_keys(body, ("run",), problems, where)
    run_node = body.get("run")
    if run_node is None:
        return Defaults()
    at = join(where, "run")
    run = mapping(run_node, problems, at)
    if run is None:
        return Defaults()
    check_keys(run, ("shell", "working-directory"), problems, at)
    shell = run.get("shell")
    directory = run.get("working-directory")
    return Defaults(
        shell=string(shell, problems, join(at, "shell")) if shell is not None else None,
        working_directory=(
            string(directory, problems, join(at, "working-directory"))
            if directory is not None
            else None
        ),
    )


def parse_concurrency(node: Node, problems: Problems, where: str) -> Concurrency | None:
    """`concurrency: group` or `concurrency: {group, cancel-in-progress}`."""
    if isinstance(node, ScalarNode):
        group = nonempty_string(node, problems, where)
        return Concurrency(group=group) if group is not None else None
    body = mapping(node, problems, where, "must be a string (the group) or")
    if body is None:
        return None
    check_keys(body, ("group", "cancel-in-progress"), problems, where)
    require_keys(body, ("group",), problems, where, body.pos)
    group_node = body.get("group")
    group = nonempty_string(group_node, problems, join(where, "group")) if group_node else None
    cancel: JSONValue = False
    if (cancel_node := body.get("cancel-in-progress")) is not None:
        cancel = bool_or_expression(cancel_node, problems, join(where, "cancel-in-progress"))
    return Concurrency(group=group, cancel_in_progress=cancel) if group is not None else None


def check_permissions(node: Node, problems: Problems, where: str) -> None:
    """`permissions:` is validated only; nothing runs with a GITHUB_TOKEN here."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        if node.value not in _PERMISSION_SHORTHANDS:
            problems.add(
                f'invalid permissions "{node.value}"; use "read-all", "write-all" '
                "or a mapping of scope to read, write or none",
                node.pos,
                where,
            )
        return
    if not isinstance(node, MappingNode):
        problems.add(
            f'must be "read-all", "write-all" or a mapping of scopes, not {describe(node)}',
            node.pos,
            where,
        )
        return
    for scope, level in node.items():
        if not (isinstance(level, ScalarNode) and level.value in PERMISSION_LEVELS):
            shown = f'"{level.text}"' if isinstance(level, ScalarNode) else describe(level)
            problems.add(
                f"invalid permission level {shown}; allowed levels are: "
                f"{', '.join(PERMISSION_LEVELS)}",
                level.pos,
                join(where, scope),
            )
