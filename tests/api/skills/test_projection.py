"""Seed 002's skill stream as a table: canonical event in, wire events out; the rate limiter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runner.api.rate_limit import RateLimiter
from runner.api.skills.projection import ExecutionView, payloads, project, timestamp
from runner.events.types import Event, EventType

TRACE = "0a1b2c3d-0123456789ab"
TS = 1774440000000  # 2026-03-25T12:00:00Z
WIRE_KEYS = ["type", "message", "timestamp", "step_id", "trace_id", "data"]


def canonical(type: EventType, **data: Any) -> Event:
    return Event(
        type=type,
        run_id="0a1b2c3d",
        job_id="skill",
        step_number=1,
        data={"skill_id": "my.skill", "trace_id": TRACE, **data},
        ts=TS,
        seq=7,
    )


def wire(
    kind: str, message: str, step_id: str | None, data: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    return kind, {
        "type": kind,
        "message": message,
        "timestamp": "2026-03-25T12:00:00Z",
        "step_id": step_id,
        "trace_id": TRACE,
        "data": data,
    }


def step(phase: str, **data: Any) -> Event:
    return canonical(
        EventType.SKILL_STEP, step_id="analyze", index=0, name="A", phase=phase, **data
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            canonical(
                EventType.SKILL_STARTED,
                channel="http-stream",
                inputs={"text": "hi"},
                version="1",
                path="/x/skill.yml",
            ),
            [
                wire(
                    "skill_start",
                    "Starting skill 'my.skill'.",
                    None,
                    {
                        "skill_id": "my.skill",
                        "inputs": {"text": "hi"},
                        "execution_channel": "http-stream",
                        "version": "1",
                    },
                )
            ],
        ),
        (step("started"), [wire("step_start", "Starting step 'analyze'.", "analyze", None)]),
        (
            step("completed", outcome="success", produced_output={"summary": "..."}),
            [
                wire(
                    "step_completed",
                    "Step 'analyze' completed.",
                    "analyze",
                    {"produced_output": {"summary": "..."}},
                )
            ],
        ),
        (
            step("skipped", condition="inputs.max_words > 20"),
            [
                wire(
                    "step_skipped",
                    "Step 'analyze' skipped (its condition is false).",
                    "analyze",
                    {"condition": "inputs.max_words > 20"},
                )
            ],
        ),
        (
            step(
                "degraded",
                reason="Safety gate tripped (timeout-seconds): ...",
                gate="timeout-seconds",
                produced_output={"summary": ""},
            ),
            [
                wire(
                    "step_degraded",
                    "Step 'analyze' degraded: Safety gate tripped (timeout-seconds): ...",
                    "analyze",
                    {
                        "reason": "Safety gate tripped (timeout-seconds): ...",
                        "gate": "timeout-seconds",
                        "produced_output": {"summary": ""},
                    },
                )
            ],
        ),
        (
            step("failed", error="Process completed with exit code 1."),
            [
                wire(
                    "step_failed",
                    "Step 'analyze' failed: Process completed with exit code 1.",
                    "analyze",
                    {"error": "Process completed with exit code 1."},
                )
            ],
        ),
        (
            step("cancelled", error=None),
            [
                wire(
                    "step_failed",
                    "Step 'analyze' was cancelled.",
                    "analyze",
                    {"error": "cancelled"},
                )
            ],
        ),
        (
            canonical(
                EventType.SKILL_COMPLETED,
                status="completed",
                outputs={"result": "x"},
                error=None,
                duration_ms=12,
            ),
            [
                wire(
                    "skill_completed",
                    "Skill 'my.skill' completed.",
                    None,
                    {
                        "status": "completed",
                        "outputs": {"result": "x"},
                        "error": None,
                        "duration_ms": 12,
                    },
                ),
                (
                    "done",
                    {
                        "type": "done",
                        "skill_id": "my.skill",
                        "status": "completed",
                        "outputs": {"result": "x"},
                        "trace_id": TRACE,
                    },
                ),
            ],
        ),
        (Event(type=EventType.STEP_LOG, run_id="0a1b2c3d", data={"lines": ["x"]}), []),
        (Event(type=EventType.RUN_STARTED, run_id="0a1b2c3d", data={"run": {}}), []),
    ],
)
def test_projection(event: Event, expected: list[tuple[str, dict[str, Any]]]) -> None:
    got = payloads(event)
    assert got == expected
    for (kind, data), frame in zip(got, project(event), strict=True):
        assert frame.event == kind
        assert frame.data == json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        assert frame.encode() == f"event: {kind}\ndata: {frame.data}\n\n"
        if kind != "done":
            assert list(data) == WIRE_KEYS


def test_skill_completed_messages_follow_the_status() -> None:
    def message(**data: Any) -> str:
        return str(payloads(canonical(EventType.SKILL_COMPLETED, **data))[0][1]["message"])

    assert message(status="degraded") == "Skill 'my.skill' completed with degraded steps."
    assert message(status="failed", error="step 'x' failed: boom") == (
        "Skill 'my.skill' failed: step 'x' failed: boom"
    )
    assert message(status="cancelled") == "Skill 'my.skill' was cancelled."


def test_the_view_follows_one_trace_and_ends_a_run_that_ended_first() -> None:
    view = ExecutionView(TRACE, skill_id="my.skill")
    other = Event(
        type=EventType.SKILL_STARTED,
        run_id="0a1b2c3d",
        data={"skill_id": "inner", "trace_id": "0a1b2c3d-ffffffffffff"},
    )
    assert view.feed(other) == []
    assert [kind for kind, _ in view.feed(canonical(EventType.SKILL_STARTED, channel="http"))] == [
        "skill_start"
    ]
    assert view.record()["status"] == "running"
    ended = Event(
        type=EventType.RUN_COMPLETED,
        run_id="0a1b2c3d",
        data={"run": {"conclusion": "cancelled", "error": "daemon stopped"}},
        ts=TS,
    )
    frames = view.feed(ended)
    assert [kind for kind, _ in frames] == ["skill_completed", "done"]
    assert frames[1][1] == {
        "type": "done",
        "skill_id": "my.skill",
        "status": "failed",
        "outputs": {},
        "trace_id": TRACE,
    }
    assert view.result == {
        "skill_id": "my.skill",
        "status": "failed",
        "outputs": {},
        "trace_id": TRACE,
    }
    assert view.feed(ended) == []  # finished: nothing more
    record = view.record()
    assert record["status"] == "failed"
    assert record["error"] == "daemon stopped"
    assert record["execution_channel"] == "http"
    events = record["events"]
    assert isinstance(events, list)
    assert [e["type"] for e in events if isinstance(e, dict)] == ["skill_start", "skill_completed"]


def test_timestamps_are_the_seeds_format() -> None:
    assert timestamp(TS) == "2026-03-25T12:00:00Z"
    assert timestamp(TS + 999) == "2026-03-25T12:00:00Z"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_slides_its_window_per_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 60, clock=clock, wall=lambda: 1_700_000_000.0 + clock.now)
    decisions = []
    for _ in range(3):
        decisions.append(limiter.hit("a"))
        clock.now += 1
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.allowed for d in decisions)
    assert decisions[0].headers() == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "2",
        "X-RateLimit-Reset": str(1_700_000_000 + 1000 + 60),
    }
    clock.now += 7  # t = 1010
    refused = limiter.hit("a")
    assert not refused.allowed
    assert refused.retry_after_s == 50
    assert refused.headers()["Retry-After"] == "50"
    assert refused.headers()["X-RateLimit-Remaining"] == "0"
    assert limiter.hit("b").allowed  # per key
    clock.now += 50  # t = 1060: the first request leaves the window
    again = limiter.hit("a")
    assert again.allowed
    assert again.remaining == 0
    assert limiter.statistics().refused == 1
