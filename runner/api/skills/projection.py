"""Seed 002's skill stream: the wire events of one skill execution, from canonical events.

Projection, event by event (only the events of the execution's trace; a skill
it calls is one of its steps, with its own trace):

    skill.started                    skill_start      step_id null; data {skill_id, inputs,
                                                      execution_channel[, parent_trace_id, version]}
    skill.step  phase started        step_start       data null
    skill.step  phase completed      step_completed   data {produced_output}
    skill.step  phase skipped        step_skipped     data {condition}
    skill.step  phase degraded       step_degraded    data {reason, gate, produced_output} (the fallback)
    skill.step  phase failed         step_failed      data {error}
    skill.step  phase cancelled      step_failed      data {error}
    skill.completed                  skill_completed  data {status, outputs, error, duration_ms}
                                     done             the /execute response

Every event but `done` carries exactly {"type", "message", "timestamp", "step_id",
"trace_id", "data"} as one line of compact JSON; `done` carries the /execute
response {"skill_id", "status", "outputs", "trace_id"} plus "type": "done", so
that seed 002's own Python client (which prints `event['type']` for every
`data:` line) reads the whole stream. Timestamps are UTC to the second, as the
seed shows them. No `id:` lines: a POST stream cannot be resumed by re-sending.

`ExecutionView` folds a run's events in order: it also ends the execution
(a failed skill_completed, then done) if the run completes without the skill
having done so, so a follower never waits forever.

This module is pure (no HTTP imports: the CLI renders these events too);
routes.py sends them as SSE frames.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from runner.api.sse import WireEvent, dumps
from runner.events.payloads import RunPayload, SkillPayload
from runner.events.types import Event, EventType

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.expressions.values import JSONValue

    _Wire = Callable[[str, str, "JSONValue", "JSONValue"], tuple[str, "Payload"]]

STEP_TYPES = {
    "started": "step_start",
    "completed": "step_completed",
    "skipped": "step_skipped",
    "degraded": "step_degraded",
    "failed": "step_failed",
    "cancelled": "step_failed",
}

Payload = dict[str, "JSONValue"]


def timestamp(ms: int) -> str:
    """`2026-03-25T12:00:00Z`: the seed's format (UTC, seconds)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def execute_response(skill_id: str, trace_id: str, completed: Payload) -> Payload:
    """The body of POST /execute (and of `done`) from skill.completed's data."""
    outputs = completed.get("outputs")
    return {
        "skill_id": skill_id,
        "status": completed.get("status", "failed"),
        "outputs": outputs if isinstance(outputs, dict) else {},
        "trace_id": trace_id,
    }


def project(event: Event) -> list[WireEvent]:
    """The SSE frames of one canonical skill event (skill.completed also gives `done`)."""
    return [WireEvent(kind, dumps(data)) for kind, data in payloads(event)]


def payloads(event: Event) -> list[tuple[str, Payload]]:
    """(wire event name, data object) for one canonical skill event; [] for any other."""
    skill = event.payload
    if not isinstance(skill, SkillPayload) or not skill.trace_id:
        return []
    skill_id, trace_id = skill.skill_id, skill.trace_id
    # The rest is the event's own fields, which the seed's wire shows as they are.
    data = skill.fields
    when = timestamp(event.ts)

    def wire(kind: str, message: str, step_id: JSONValue, body: JSONValue) -> tuple[str, Payload]:
        return kind, {
            "type": kind,
            "message": message,
            "timestamp": when,
            "step_id": step_id,
            "trace_id": trace_id,
            "data": body,
        }

    if event.type is EventType.SKILL_STARTED:
        body: Payload = {
            "skill_id": skill_id,
            "inputs": data.get("inputs", {}),
            "execution_channel": data.get("channel"),
        }
        for key in ("parent_trace_id", "version"):
            if key in data:
                body[key] = data[key]
        return [wire("skill_start", f"Starting skill '{skill_id}'.", None, body)]
    if event.type is EventType.SKILL_STEP:
        return [_step(data, wire)]
    if event.type is EventType.SKILL_COMPLETED:
        status = str(data.get("status", "failed"))
        body = {
            "status": status,
            "outputs": data.get("outputs", {}),
            "error": data.get("error"),
            "duration_ms": data.get("duration_ms"),
        }
        done = {"type": "done", **execute_response(skill_id, trace_id, data)}
        return [
            wire("skill_completed", _completed_message(skill_id, status, data), None, body),
            ("done", done),
        ]
    return []


def _step(data: Payload, wire: _Wire) -> tuple[str, Payload]:
    phase = str(data.get("phase", ""))
    step_id = data.get("step_id")
    name = f"'{step_id}'"
    kind = STEP_TYPES.get(phase, "step_failed")
    if phase == "started":
        return wire(kind, f"Starting step {name}.", step_id, None)
    if phase == "completed":
        return wire(
            kind,
            f"Step {name} completed.",
            step_id,
            {"produced_output": data.get("produced_output", {})},
        )
    if phase == "skipped":
        condition = data.get("condition", "")
        return wire(
            kind,
            f"Step {name} skipped (its condition is false).",
            step_id,
            {"condition": condition},
        )
    if phase == "degraded":
        reason = data.get("reason")
        return wire(
            kind,
            f"Step {name} degraded: {reason}" if reason else f"Step {name} degraded.",
            step_id,
            {
                "reason": reason,
                "gate": data.get("gate"),
                "produced_output": data.get("produced_output", {}),
            },
        )
    error = data.get("error")
    if phase == "cancelled":
        return wire(kind, f"Step {name} was cancelled.", step_id, {"error": error or "cancelled"})
    return wire(
        kind,
        f"Step {name} failed: {error}" if error else f"Step {name} failed.",
        step_id,
        {"error": error},
    )


def _completed_message(skill_id: str, status: str, data: Payload) -> str:
    if status == "completed":
        return f"Skill '{skill_id}' completed."
    if status == "degraded":
        return f"Skill '{skill_id}' completed with degraded steps."
    error = data.get("error")
    if status == "cancelled":
        return f"Skill '{skill_id}' was cancelled."
    return f"Skill '{skill_id}' failed: {error}" if error else f"Skill '{skill_id}' failed."


class ExecutionView:
    """One execution followed through its run's events: its frames, and what it came to."""

    def __init__(self, trace_id: str, *, skill_id: str = "") -> None:
        self.trace_id = trace_id
        self.skill_id = skill_id
        self.started: Event | None = None
        self.started_fields: Payload = {}  # skill.started's own fields (channel, inputs...)
        self.completed: Payload | None = None  # skill.completed's own fields (status...)
        self.completed_ts: int | None = None
        self.events: list[Payload] = []  # the wire data objects so far (done excluded)
        self.result: Payload | None = None  # the /execute response, once done

    @property
    def finished(self) -> bool:
        return self.result is not None

    def feed(self, event: Event) -> list[tuple[str, Payload]]:
        """The wire events (name, data) `event` adds to the execution (usually none)."""
        if self.finished:
            return []
        if event.type is EventType.RUN_COMPLETED:
            return self._run_ended(event)
        skill = event.payload
        if not isinstance(skill, SkillPayload) or skill.trace_id != self.trace_id:
            return []
        if event.type is EventType.SKILL_STARTED:
            self.started, self.started_fields = event, skill.fields
            self.skill_id = skill.skill_id or self.skill_id
        elif event.type is EventType.SKILL_COMPLETED:
            self.completed = skill.fields
            self.completed_ts = event.ts
        wire = payloads(event)
        for kind, payload in wire:
            if kind == "done":
                self.result = {k: v for k, v in payload.items() if k != "type"}
            else:
                self.events.append(payload)
        return wire

    def _run_ended(self, event: Event) -> list[tuple[str, Payload]]:
        """The run completed and the skill did not: end the execution as failed."""
        ended = event.payload
        error = ended.run.error if isinstance(ended, RunPayload) else None
        synthetic = SkillPayload(
            skill_id=self.skill_id,
            trace_id=self.trace_id,
            fields={
                "status": "failed",
                "outputs": {},
                "error": error or "the run ended before the skill completed",
                "duration_ms": None,
            },
        )
        return self.feed(
            Event(
                type=EventType.SKILL_COMPLETED,
                run_id=event.run_id,
                payload=synthetic,
                ts=event.ts,
                seq=event.seq,
            )
        )

    def record(self, *, running: bool = True) -> Payload:
        """The stored execution (GET /v1/skills/executions/{trace_id})."""
        started = self.started_fields
        completed = self.completed or {}
        status = (
            completed.get("status")
            if self.completed is not None
            else ("running" if running else None)
        )
        outputs = completed.get("outputs", {})
        out: Payload = {
            "trace_id": self.trace_id,
            "skill_id": self.skill_id,
            "status": status or "failed",
            "outputs": outputs if isinstance(outputs, dict) else {},
            "error": completed.get("error"),
            "execution_channel": started.get("channel"),
            "inputs": started.get("inputs", {}),
            "parent_trace_id": started.get("parent_trace_id"),
            "run_id": self.started.run_id if self.started is not None else None,
            "job_id": self.started.job_id if self.started is not None else None,
            "step_number": self.started.step_number if self.started is not None else None,
            "started_at": timestamp(self.started.ts) if self.started is not None else None,
            "completed_at": timestamp(self.completed_ts) if self.completed_ts else None,
            "duration_ms": completed.get("duration_ms"),
            "events": list(self.events),
        }
        return out
