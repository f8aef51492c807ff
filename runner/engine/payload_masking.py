"""User text in event payloads, masked: the run's secrets appear in no event.

Only the fields that hold text from users pass the Masker: names, messages, errors,
summaries, reasons, and every string inside a user's JSON value (inputs, outputs,
matrix, runs-on). Keys, ids, enum values (status, conclusion, level ...) and numbers
are the events' structure, which a mask must never touch (a one-character secret `e`
must not turn `completed` into `compl***t***d`, nor `::add-mask::run` take away the
key `run`). The free-form parts of a payload (an annotation's properties, a skill
event's fields, a run's graph) are JSON, masked by the same rule, by field name.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobMessage,
    JobPayload,
    JobSnapshot,
    JobStatus,
    JobUnblocked,
    LogChunk,
    RunPayload,
    RunSnapshot,
    SkillPayload,
    StepPayload,
    StepSnapshot,
)
from runner.expressions import to_string

if TYPE_CHECKING:
    from runner.engine.masking import Masker
    from runner.events.payloads import Payload
    from runner.expressions import JSONValue

# Strings that users wrote or produced: names, messages, errors, summaries, reasons.
_TEXT_FIELDS = frozenset(
    {"name", "error", "summary", "message", "title", "file", "reason", "environment", "by"}
    | {"condition"}
)
# JSON values from users (every string inside them, never their keys).
_VALUE_FIELDS = frozenset({"inputs", "outputs", "matrix", "runs_on", "produced_output"})
# Snapshots (and lists of them) that hold such fields.
_RECORD_FIELDS = frozenset({"run", "job", "step", "jobs", "steps", "graph"})


def masked(payload: Payload, masker: Masker) -> Payload:
    """`payload` with its user text masked; everything else as it was."""
    mask = masker.mask
    match payload:
        case RunPayload(run=run):
            return RunPayload(run=_run(run, masker))
        case JobPayload(job=job):
            return JobPayload(job=_job(job, masker))
        case StepPayload(step=step, outputs=outputs):
            return StepPayload(step=_step(step, masker), outputs=_opt_values(outputs, masker))
        case LogChunk():
            return payload  # masked line by line as it was read
        case Annotation(message=message, properties=properties):
            properties = user_text_masked(properties, masker)
            return replace(payload, message=mask(message), properties=properties)
        case JobStatus(summary=summary):
            return JobStatus(summary=mask(summary))
        case JobBlocked(reason=reason, environment=environment):
            return JobBlocked(reason=mask(reason), environment=mask(environment))
        case JobUnblocked(by=by):
            return replace(payload, by=mask(by))
        case JobMessage(outputs=outputs):
            return replace(payload, outputs=_values(outputs, masker))
        case SkillPayload(fields=fields):
            return replace(payload, fields=user_text_masked(fields, masker))


def _run(run: RunSnapshot, masker: Masker) -> RunSnapshot:
    return replace(
        run,
        name=masker.mask(run.name),
        jobs=tuple(_job(job, masker) for job in run.jobs),
        graph=[user_text_masked(n, masker) if isinstance(n, dict) else n for n in run.graph],
        inputs=_values(run.inputs, masker),
        error=_opt_text(run.error, masker),
    )


def _job(job: JobSnapshot, masker: Masker) -> JobSnapshot:
    return replace(
        job,
        name=masker.mask(job.name),
        steps=None if job.steps is None else tuple(_step(step, masker) for step in job.steps),
        matrix=_opt_values(job.matrix, masker),
        runs_on=value_masked(job.runs_on, masker),
        environment=_opt_text(job.environment, masker),
        outputs=_opt_values(job.outputs, masker),
        summary=_opt_text(job.summary, masker),
        error=_opt_text(job.error, masker),
    )


def _step(step: StepSnapshot, masker: Masker) -> StepSnapshot:
    return replace(step, name=masker.mask(step.name), error=_opt_text(step.error, masker))


def _opt_text(text: str | None, masker: Masker) -> str | None:
    return None if text is None else masker.mask(text)


def _values(values: dict[str, JSONValue], masker: Masker) -> dict[str, JSONValue]:
    return {key: value_masked(value, masker) for key, value in values.items()}


def _opt_values(values: dict[str, JSONValue] | None, masker: Masker) -> dict[str, JSONValue] | None:
    return None if values is None else _values(values, masker)


def user_text_masked(data: dict[str, JSONValue], masker: Masker) -> dict[str, JSONValue]:
    """A copy of JSON `data` with its user text masked (the fields above, at any depth
    of the snapshots); everything else as it was."""
    out: dict[str, JSONValue] = {}
    for key, value in data.items():
        if key in _TEXT_FIELDS and isinstance(value, str):
            value = masker.mask(value)
        elif key in _VALUE_FIELDS:
            value = value_masked(value, masker)
        elif key in _RECORD_FIELDS:
            if isinstance(value, dict):
                value = user_text_masked(value, masker)
            elif isinstance(value, list):
                value = [
                    user_text_masked(item, masker) if isinstance(item, dict) else item
                    for item in value
                ]
        out[key] = value
    return out


def value_masked(value: JSONValue, masker: Masker) -> JSONValue:
    """Every string inside a user's JSON value masked (keys are kept: an output's name is
    the workflow's, not a secret). A number that is not finite (an expression's
    `fromJSON('1e400')`) becomes its string, "Infinity", as JSON has no such number."""
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, float) and not math.isfinite(value):
        return to_string(value)
    if isinstance(value, list):
        return [value_masked(item, masker) for item in value]
    if isinstance(value, dict):
        return {key: value_masked(item, masker) for key, item in value.items()}
    return value
