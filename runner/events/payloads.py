"""Typed event payloads: what each canonical event carries, as frozen records.

An event's payload is JSON only where it leaves the process: the store and the
wire. Everywhere in between, readers see these records. One codec per direction:

    payload_to_json(payload)         -> the JSON object (the store's, the wire's)
    payload_from_json(type, data)    -> the payload of an event of that type

The invariant: for every payload the engine emits, `payload_to_json` of its
`payload_from_json` is the very object it came from, keys in the same order
(the wire's bytes depend on it). Decoding is total: a field that is missing or of
the wrong type gets its default (an event from an older store, or a hand-written
one), so no reader needs an isinstance fallback.

    run.started / run.completed                RunPayload(run: RunSnapshot)
    job.queued / job.started / job.completed   JobPayload(job: JobSnapshot)
    step.started / step.completed              StepPayload(step: StepSnapshot, outputs?)
    step.log                                   LogChunk(stream, lines)
    step.annotation                            Annotation(level, message, properties)
    job.status / job.blocked / job.unblocked   JobStatus / JobBlocked / JobUnblocked
    job.message                                JobMessage(from_job, to_job, outputs, result)
    skill.*                                    SkillPayload(skill_id, trace_id, fields)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.events.kinds import Conclusion, Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from runner.expressions.values import JSONValue

JSONObject = dict[str, "JSONValue"]


# -- snapshots -----------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class StepSnapshot:
    """A step as events show it (records.StepRecord.snapshot). None: not in the JSON."""

    number: int = 0
    name: str = ""
    status: Status = Status.QUEUED
    conclusion: Conclusion | None = None  # always in the JSON, null until concluded
    id: str | None = None
    outcome: Conclusion | None = None
    started_at: int | None = None
    completed_at: int | None = None
    duration_ms: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSnapshot:
    """A job as events show it (records.JobRecord.snapshot). None: not in the JSON."""

    id: str = ""
    key: str = ""
    name: str = ""
    status: Status = Status.QUEUED
    conclusion: Conclusion | None = None  # always in the JSON, null until concluded
    needs: tuple[str, ...] = ()
    steps: tuple[StepSnapshot, ...] | None = None  # None in a run's list of jobs
    matrix: JSONObject | None = None
    runs_on: JSONValue = None
    environment: str | None = None
    started_at: int | None = None
    completed_at: int | None = None
    duration_ms: int | None = None
    outputs: JSONObject | None = None  # once completed
    summary: str | None = None
    error: str | None = None
    runner_name: str | None = None  # the machine that ran it, when not this one (a Ray node)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSnapshot:
    """A run as events show it (records.RunRecord.snapshot). None: not in the JSON."""

    id: str = ""
    name: str = ""
    workflow: str = ""
    event: str = ""
    run_number: int = 0
    workdir: str = ""
    status: Status = Status.QUEUED
    conclusion: Conclusion | None = None  # always in the JSON, null until concluded
    jobs: tuple[JobSnapshot, ...] = ()
    graph: list[JSONValue] = field(default_factory=list)  # the planned `needs` DAG, as is
    inputs: JSONObject = field(default_factory=dict)
    created_at: int = 0
    started_at: int | None = None
    completed_at: int | None = None
    duration_ms: int | None = None
    error: str | None = None


# -- payloads ------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class RunPayload:
    run: RunSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class JobPayload:
    job: JobSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class StepPayload:
    step: StepSnapshot
    outputs: JSONObject | None = None  # step.completed of a step that produced outputs


@dataclass(frozen=True, slots=True, kw_only=True)
class LogChunk:
    """One read's worth of already-masked lines of one stream (no newlines in them)."""

    stream: str = "stdout"
    lines: Sequence[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotation:
    """`::error file=a.py,line=3::text`: level, message, and the properties given, in order."""

    level: str = ""
    message: str = ""
    properties: JSONObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStatus:
    summary: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobBlocked:
    reason: str = ""
    environment: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobUnblocked:
    approved: bool = False
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobMessage:
    from_job: str = ""
    to_job: str = ""
    outputs: JSONObject = field(default_factory=dict)
    result: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SkillPayload:
    """skill.started / skill.step / skill.completed: ids, then the event's own fields."""

    skill_id: str = ""
    trace_id: str = ""
    fields: JSONObject = field(default_factory=dict)


Payload = (
    RunPayload
    | JobPayload
    | StepPayload
    | LogChunk
    | Annotation
    | JobStatus
    | JobBlocked
    | JobUnblocked
    | JobMessage
    | SkillPayload
)
