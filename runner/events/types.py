"""Canonical events: the one record of every state change of every run.

Seed 003's names are canonical; the others extend them. An event leaves the
engine without a `seq`; the store gives it one when it commits, and only then
may anyone else see it. Every stream stax serves is a projection of these.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from runner.expressions.values import JSONValue


class EventType(StrEnum):
    RUN_STARTED = "run.started"
    RUN_COMPLETED = "run.completed"
    JOB_QUEUED = "job.queued"
    JOB_STARTED = "job.started"
    JOB_BLOCKED = "job.blocked"
    JOB_UNBLOCKED = "job.unblocked"
    JOB_STATUS = "job.status"
    JOB_MESSAGE = "job.message"
    JOB_COMPLETED = "job.completed"
    STEP_STARTED = "step.started"
    STEP_LOG = "step.log"
    STEP_ANNOTATION = "step.annotation"
    STEP_COMPLETED = "step.completed"
    SKILL_STARTED = "skill.started"
    SKILL_STEP = "skill.step"  # a step inside a skill: started, completed, skipped, degraded, ...
    SKILL_COMPLETED = "skill.completed"


class Conclusion(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    DEGRADED = "degraded"  # a skill step whose safety gate tripped


class Status(StrEnum):
    QUEUED = "queued"
    WAITING = "waiting"  # blocked on an approval
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One state change. `seq` is 0 until the store has committed the event.

    step.log events carry a chunk of lines (`data["lines"]`, one read's worth)
    rather than one line: a Python object per line would cap capture far
    below what a pipe delivers. Projections expand a chunk into one wire
    event per line; line i of the chunk is addressed as (seq, i).

    `data` is the payload's JSON form (what the store keeps and the engine
    process pickles). The engine builds it from a typed payload
    (runner.events.payloads); readers get the typed payload back with
    `runner.events.payload_json.payload_of(event)` rather than reading keys.
    """

    type: EventType
    run_id: str
    job_id: str | None = None
    step_number: int | None = None
    data: dict[str, JSONValue] = field(default_factory=dict)
    ts: int = field(default_factory=now_ms)
    seq: int = 0

    def to_json(self) -> dict[str, JSONValue]:
        """The event as one JSON object (what `stax run --json` prints)."""
        out: dict[str, JSONValue] = {
            "seq": self.seq,
            "ts": self.ts,
            "type": self.type.value,
            "run_id": self.run_id,
        }
        if self.job_id is not None:
            out["job_id"] = self.job_id
        if self.step_number is not None:
            out["step_number"] = self.step_number
        out["data"] = self.data
        return out


def weight(events: Iterable[Event]) -> int:
    """What events cost a queue bounded by what it holds: one each, a log chunk its lines.
    (Under load one log chunk holds thousands of lines; counting it as one event would
    let a queue of a few thousand events pin a whole run's log.)"""
    total = 0
    for event in events:
        lines = event.data.get("lines") if event.type is EventType.STEP_LOG else None
        total += len(lines) if isinstance(lines, list) else 1
    return total
