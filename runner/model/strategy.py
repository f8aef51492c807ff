"""`strategy:` of a job: the matrix shape, fail-fast and max-parallel.

The matrix stays raw (the engine expands it once it can evaluate any
expression in it); a matrix written out in full is expanded here as well, so
an empty or oversized matrix is reported before a run starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.errors import WorkflowError
from runner.model.matrix import contains_expression, expand_matrix
from runner.model.types import Strategy
from runner.model.validate import (
    bool_or_expression,
    check_keys,
    describe,
    is_expression,
    join,
    mapping,
    number_or_expression,
)
from runner.model.yaml_nodes import MappingNode, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node


def parse_strategy(node: Node, problems: Problems, where: str) -> Strategy | None:
    body = mapping(node, problems, where)
    if body is None:
        return None
    check_keys(body, ("matrix", "fail-fast", "max-parallel"), problems, where)
    matrix: JSONValue = None
    if (matrix_node := body.get("matrix")) is not None:
        matrix = _matrix(matrix_node, problems, join(where, "matrix"))
    fail_fast: JSONValue = True
    if (fail_fast_node := body.get("fail-fast")) is not None:
        fail_fast = bool_or_expression(fail_fast_node, problems, join(where, "fail-fast"))
    max_parallel: JSONValue = None
    if (max_parallel_node := body.get("max-parallel")) is not None:
        max_parallel = number_or_expression(
            max_parallel_node,
            problems,
            join(where, "max-parallel"),
            positive=True,
            integer=True,
        )
    return Strategy(matrix=matrix, fail_fast=fail_fast, max_parallel=max_parallel, pos=body.pos)


def _matrix(node: Node, problems: Problems, where: str) -> JSONValue:
    if isinstance(node, ScalarNode) and is_expression(node.value):
        return node.value
    if not isinstance(node, MappingNode):
        problems.add(
            f"must be a mapping of keys to lists of values, or an expression, not {describe(node)}",
            node.pos,
            where,
        )
        return None
    before = len(problems.errors)
    for key, value in node.items():
        at = join(where, key)
        if "${{" in key or (isinstance(value, ScalarNode) and is_expression(value.value)):
            continue  # known once the job is about to expand (a key, `${{ insert }}`, a value)
        if key in ("include", "exclude"):
            _entries(value, key, problems, at)
        elif not isinstance(value, SequenceNode) or not value.value:
            shown = "an empty list" if isinstance(value, SequenceNode) else describe(value)
            problems.add(f"must be a non-empty list or an expression, not {shown}", value.pos, at)
    vectors = [key for key in node.value if key not in ("include", "exclude")]
    if not vectors and "include" not in node:
        problems.add(
            'a matrix needs at least one key with a list of values, or "include"', node.pos, where
        )
    matrix = node.to_json()
    # A matrix written out in full is expanded now, so its mistakes show before a run.
    if (
        len(problems.errors) == before
        and isinstance(matrix, dict)
        and not contains_expression(matrix)
    ):
        try:
            expand_matrix(matrix)
        except WorkflowError as exc:
            problems.add(exc.message, node.pos, where)
    return matrix


def _entries(node: Node, key: str, problems: Problems, where: str) -> None:
    """Check an include/exclude list written out as a list."""
    if not isinstance(node, SequenceNode):
        problems.add(
            f"must be a list of mappings or an expression, not {describe(node)}", node.pos, where
        )
        return
    for index, entry in enumerate(node.value):
        if isinstance(entry, ScalarNode) and is_expression(entry.value):
            continue  # entries spliced in when the job expands
        if not isinstance(entry, MappingNode):
            problems.add(
                f'each "{key}" entry must be a mapping, not {describe(entry)}',
                entry.pos,
                f"{where}[{index}]",
            )
