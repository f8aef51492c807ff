"""What a run's earlier events tell about the session events of its later ones.

A tool_result names the tool_use it answers, a thread is created once, a message
names the job that produced it: those links come from earlier events of the same
run. SessionFold folds them from the log as the events pass (projection.py reads
it, then the reader advances it), so every reader of the same log links the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.api.sessions.objects import event_id
from runner.events.payloads import JobPayload
from runner.events.types import EventType

if TYPE_CHECKING:
    from runner.events.types import Event


@dataclass(slots=True)
class SessionFold:
    """What a run's earlier events tell about its later ones, folded in log order."""

    run_id: str
    names: dict[str, str] = field(default_factory=dict)  # job id -> job name
    keys: dict[str, str] = field(default_factory=dict)  # job id -> key under `jobs:`
    created: set[str] = field(default_factory=set)  # jobs whose thread exists
    started: set[str] = field(default_factory=set)
    tools: dict[str, str] = field(default_factory=dict)  # job id -> open step's tool_use
    approvals: dict[str, str] = field(default_factory=dict)  # job id -> approval tool_use
    last_done: dict[str, str] = field(default_factory=dict)  # "prefix+key" -> last instance

    def advance(self, event: Event) -> None:
        """Take in an event (after `project` has read the fold for it)."""
        job_id = event.job_id
        if job_id is None:
            return
        kind = event.type
        payload = event.payload
        if isinstance(payload, JobPayload):
            self.names[job_id] = payload.job.name or job_id
            self.keys[job_id] = payload.job.key or job_id
            self.created.add(job_id)
        if kind is EventType.JOB_STARTED:
            self.started.add(job_id)
        elif kind is EventType.JOB_COMPLETED:
            self.last_done[_base(job_id, self.keys.get(job_id))] = job_id
        elif kind is EventType.STEP_STARTED:
            self.tools[job_id] = event_id(event.seq, 0)  # its tool_use comes first
        elif kind is EventType.STEP_COMPLETED:
            self.tools.pop(job_id, None)
        elif kind is EventType.JOB_BLOCKED:
            self.approvals[job_id] = event_id(event.seq, 0)  # so does the approval's
        elif kind is EventType.JOB_UNBLOCKED:
            self.approvals.pop(job_id, None)

    def producer(self, consumer: str, need: str) -> str:
        """The job id of the `needs` entry `need` as seen from job `consumer` (a called
        workflow's jobs share their caller's id prefix; a matrix need is its last
        finished instance, whose outputs won)."""
        key = self.keys.get(consumer, consumer)
        prefix = _base(consumer, key)[: -len(key)] if key else ""
        candidate = prefix + need
        if candidate in self.names:
            return candidate
        return self.last_done.get(candidate, candidate)

    def name(self, job_id: str) -> str:
        return self.names.get(job_id, job_id)


def _base(job_id: str, key: str | None) -> str:
    """A job id without its matrix suffix: `build.2` -> `build`, `ci.test.1` -> `ci.test`."""
    if key and not job_id.endswith(key):
        head, _, tail = job_id.rpartition(".")
        if tail.isdigit() and head.endswith(key):
            return head
    return job_id
