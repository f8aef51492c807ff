"""The canonical events' vocabularies: their types, and the statuses and conclusions
that their snapshots hold. (Apart from types.py so that the payloads, which name
statuses, and the events, which hold payloads, import it and not each other.)"""

from __future__ import annotations

from enum import StrEnum


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
