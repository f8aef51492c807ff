"""`gate:` of a skill step: the safety gate that bounds it.

    gate:
      timeout-seconds: 5          # a positive number
      max-output-bytes: 65536     # a positive whole number
      allowed-exit-codes: [0, 3]  # run steps only (default [0])
      on-trip: degrade            # or fail
      fallback: {summary: ""}     # outputs that stand in when it degrades

What tripping means at run time is runner.engine.gates.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from runner.model.types import Gate
from runner.model.validate import (
    check_id,
    check_keys,
    describe,
    join,
    mapping,
    string,
)
from runner.model.yaml_nodes import ScalarNode, SequenceNode

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node

GATE_KEYS: tuple[str, ...] = (
    "timeout-seconds",
    "max-output-bytes",
    "allowed-exit-codes",
    "on-trip",
    "fallback",
)
ON_TRIP: tuple[str, ...] = ("degrade", "fail")


def parse_gate(node: Node, problems: Problems, where: str) -> Gate | None:
    """`gate:` of a skill step (the GateParser that `parse_steps` calls)."""
    body = mapping(node, problems, where, "a gate must be")
    if body is None:
        return None
    check_keys(body, GATE_KEYS, problems, where)
    timeout = _positive(body.get("timeout-seconds"), problems, join(where, "timeout-seconds"))
    max_bytes = _positive(
        body.get("max-output-bytes"), problems, join(where, "max-output-bytes"), integer=True
    )
    codes: tuple[int, ...] = (0,)
    if (codes_node := body.get("allowed-exit-codes")) is not None:
        codes = _exit_codes(codes_node, problems, join(where, "allowed-exit-codes"))
    on_trip = "degrade"
    if (trip_node := body.get("on-trip")) is not None:
        written = string(trip_node, problems, join(where, "on-trip"))
        if written in ON_TRIP:
            on_trip = written
        elif written is not None:
            problems.add(
                f'invalid on-trip "{written}": use "degrade" (fallback outputs stand in and '
                'the skill goes on) or "fail"',
                trip_node.pos,
                join(where, "on-trip"),
            )
    fallback: dict[str, JSONValue] = {}
    if (fallback_node := body.get("fallback")) is not None:
        fallback = _fallback(fallback_node, problems, join(where, "fallback"))
        if on_trip == "fail":
            problems.add(
                '"fallback" only applies with on-trip: degrade',
                body.pos_of_key("fallback"),
                join(where, "fallback"),
            )
    return Gate(
        timeout_seconds=float(timeout) if timeout is not None else None,
        max_output_bytes=int(max_bytes) if max_bytes is not None else None,
        allowed_exit_codes=codes,
        on_trip=on_trip,
        fallback=fallback,
        pos=body.pos,
    )


def _positive(
    node: Node | None, problems: Problems, where: str, *, integer: bool = False
) -> float | None:
    if node is None:
        return None
    value = node.value if isinstance(node, ScalarNode) else None
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
        and (not integer or float(value).is_integer())
    ):
        return float(value)
    kind = "a positive whole number" if integer else "a positive number"
    problems.add(f"must be {kind}, not {describe(node)}", node.pos, where)
    return None


def _exit_codes(node: Node, problems: Problems, where: str) -> tuple[int, ...]:
    items = node.value if isinstance(node, SequenceNode) else (node,)
    codes: list[int] = []
    for item in items:
        value = item.value if isinstance(item, ScalarNode) else None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
            codes.append(value)
        else:
            problems.add(
                f"must be an exit code (0 to 255) or a list of them, not {describe(item)}",
                item.pos,
                where,
            )
    if isinstance(node, SequenceNode) and not node.value:
        problems.add("must list at least one exit code", node.pos, where)
    return tuple(codes) or (0,)


def _fallback(node: Node, problems: Problems, where: str) -> dict[str, JSONValue]:
    body = mapping(node, problems, where, "fallback outputs must be")
    if body is None:
        return {}
    values: dict[str, JSONValue] = {}
    for name, value in body.items():
        if not check_id(name, body.pos_of_key(name), problems, join(where, name), "output id"):
            continue
        if isinstance(value, ScalarNode):
            values[name] = value.value if value.value is not None else ""
        else:
            problems.add(
                f"a fallback output must be a string, number or boolean, not {describe(value)}",
                value.pos,
                join(where, name),
            )
    return values
