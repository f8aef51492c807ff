"""The terminal reporter, fed canonical events as the engine writes them."""

from __future__ import annotations

import io

from runner.cli.render import TerminalRenderer
from runner.events.payload_json import payload_to_json
from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobPayload,
    JobSnapshot,
    JobUnblocked,
    LogChunk,
    Payload,
    RunPayload,
    RunSnapshot,
    StepPayload,
    StepSnapshot,
)
from runner.events.types import Conclusion, Event, EventType, Status

DONE = Status.COMPLETED


def shown(*events: tuple[EventType, Payload, int | None]) -> str:
    out = io.StringIO()
    renderer = TerminalRenderer(out, color=False)
    for type, payload, step in events:
        data = payload_to_json(payload)
        renderer.handle(Event(type=type, run_id="r1", job_id="build", step_number=step, data=data))
    return out.getvalue()


def test_a_run_shows_its_steps_jobs_and_conclusion() -> None:
    job = JobSnapshot(id="build", name="Build", status=DONE, conclusion=Conclusion.FAILURE)
    lint = JobSnapshot(name="lint", conclusion=Conclusion.SUCCESS, duration_ms=1500)
    text = shown(
        (EventType.RUN_STARTED, RunPayload(run=RunSnapshot(name="CI", event="push")), None),
        (EventType.JOB_STARTED, JobPayload(job=JobSnapshot(name="Build")), None),
        (EventType.JOB_BLOCKED, JobBlocked(reason="needs approval", environment="prod"), None),
        (EventType.JOB_UNBLOCKED, JobUnblocked(approved=True, by="ann"), None),
        (EventType.STEP_STARTED, StepPayload(step=StepSnapshot(number=1, name="test")), 1),
        (EventType.STEP_LOG, LogChunk(lines=["one", "##[error]broke"]), 1),
        (
            EventType.STEP_ANNOTATION,
            Annotation(level="error", message="broke", properties={"file": "a.py", "line": 3}),
            1,
        ),
        (
            EventType.STEP_COMPLETED,
            StepPayload(
                step=StepSnapshot(
                    number=1,
                    name="test",
                    status=DONE,
                    conclusion=Conclusion.SUCCESS,
                    outcome=Conclusion.FAILURE,
                    duration_ms=250,
                )
            ),
            1,
        ),
        (
            EventType.STEP_COMPLETED,
            StepPayload(step=StepSnapshot(number=2, name="deploy", conclusion=Conclusion.SKIPPED)),
            2,
        ),
        (EventType.JOB_COMPLETED, JobPayload(job=job), None),
        (
            EventType.RUN_COMPLETED,
            RunPayload(
                run=RunSnapshot(
                    conclusion=Conclusion.FAILURE, jobs=(job, lint), duration_ms=2000, error="no"
                )
            ),
            None,
        ),
    )
    prefix = "Build        │ "
    assert text.splitlines() == [
        "▶ CI · push · run r1",
        "● Build started",
        prefix + "⏸ needs approval",
        prefix + "approved (ann)",
        prefix + "one",
        prefix + "Error: broke",
        prefix + "annotation (a.py:3)",
        prefix + "✓ test 250ms (failed, continue-on-error)",
        prefix + "○ deploy (skipped)",
        "✗ Build failure",
        "",
        "JOB    CONCLUSION   TIME",
        "Build  ✗ failure    ",
        "lint   ✓ success    1.50s",
        "",
        "✗ failure in 2.00s — no",
    ]
