"""Typed inputs: what a caller gives, checked and converted against what is declared.

Used for workflow_dispatch and workflow_call inputs, the CLI's `--input`,
the API's `inputs` and (later) skills. Values given as strings (from a
command line) are converted to the declared type; every problem is listed
at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from runner.errors import RunError
from runner.expressions import JSONValue, to_string

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from runner.model import InputSpec


def resolve_inputs(
    specs: Mapping[str, InputSpec],
    given: Mapping[str, JSONValue],
    *,
    what: str = "input",
    evaluate_default: Callable[[str], JSONValue] | None = None,
) -> dict[str, JSONValue]:
    """Return every declared input's value; raise RunError listing all problems."""
    problems: list[str] = []
    lowered = {name.lower(): name for name in specs}
    values: dict[str, JSONValue] = {}
    for raw_name, value in given.items():
        name = lowered.get(raw_name.lower())
        if name is None:
            declared = ", ".join(specs) or "none"
            problems.append(f"unknown {what} {raw_name!r} (declared: {declared})")
            continue
        try:
            values[name] = convert(specs[name], value)
        except ValueError as exc:
            problems.append(f"{what} {name!r}: {exc}")
    for name, spec in specs.items():
        if name in values:
            continue
        if spec.default is not None:
            default: JSONValue = spec.default
            if isinstance(default, str) and "${{" in default and evaluate_default is not None:
                default = evaluate_default(default)
            try:
                values[name] = convert(spec, default)
            except ValueError as exc:
                problems.append(f"{what} {name!r}: default {exc}")
        elif spec.required:
            problems.append(f"{what} {name!r} is required")
        else:
            values[name] = _empty(spec)
    if problems:
        raise RunError("; ".join(problems))
    return values


def convert(spec: InputSpec, value: JSONValue) -> JSONValue:
    """`value` as the declared type; ValueError says what was expected."""
    kind = spec.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = to_string(value).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        raise ValueError(f"expected a boolean (true or false), got {to_string(value)!r}")
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, got {to_string(value)}")
            return value
        text = to_string(value).strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"expected a finite number, got {text!r}")
        return (
            int(number)
            if number.is_integer() and "." not in text and "e" not in text.lower()
            else number
        )
    text = to_string(value)
    if kind == "choice" and spec.options and text not in spec.options:
        raise ValueError(f"expected one of {', '.join(spec.options)}, got {text!r}")
    return text


def _empty(spec: InputSpec) -> JSONValue:
    # GitHub gives an undeclared-default input its type's zero value.
    if spec.type == "boolean":
        return False
    if spec.type == "number":
        return 0
    return ""
