"""An action's inputs as a step gives them: `with:` over the action's defaults, and the
INPUT_* variables its process sees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.engine.steps.shell import step_context
from runner.expressions import JSONValue, interpolate, to_string

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.model import Action, Step


async def evaluate_inputs(
    step: Step, action: Action, scope: StepScope, io: StepOutput, *, warn: bool = True
) -> dict[str, JSONValue]:
    """The step's `with:` over the action's defaults (expressions evaluated), as the
    runner builds them; `warn` reports unexpected, missing and deprecated inputs."""
    ctx = step_context(step, scope)
    given = {
        key: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
        for key, value in step.with_.items()
    }
    declared = {name.lower(): name for name in action.inputs}
    inputs: dict[str, JSONValue] = {}
    for key, value in given.items():
        inputs[declared.get(key.lower(), key)] = value
    unexpected = [key for key in given if key.lower() not in declared]
    if action.using.lower() == "docker":  # a Docker action always takes these two
        unexpected = [key for key in unexpected if key.lower() not in ("entrypoint", "args")]
    if warn and unexpected:
        valid = ", ".join(f"'{name}'" for name in action.inputs)
        await io.annotate(
            "warning",
            f"Unexpected input(s) {', '.join(map(repr, unexpected))}, valid inputs are [{valid}]",
        )
    for name, spec in action.inputs.items():
        if name in inputs:
            if warn and spec.deprecation_message:
                await io.annotate(
                    "warning",
                    f"Input '{name}' has been deprecated with message: {spec.deprecation_message}",
                )
        elif spec.default is not None:
            default = spec.default
            inputs[name] = to_string(
                interpolate(default, ctx) if isinstance(default, str) else default
            )
        else:
            if warn and spec.required:
                await io.annotate("warning", f"Input required and not supplied: {name}")
            inputs[name] = ""
    return inputs


def input_variables(inputs: dict[str, JSONValue]) -> dict[str, str]:
    """INPUT_<NAME>: the name upper-cased with spaces as `_`, as the runner names them
    (hyphens stay: `INPUT_PYTHON-VERSION`)."""
    return {f"INPUT_{name.replace(' ', '_').upper()}": to_string(v) for name, v in inputs.items()}
