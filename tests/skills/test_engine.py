"""Skills in the engine: their events, `if:`, safety gates, failure, nesting, isolation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import trio

from runner.events.types import EventType
from runner.model import load_workflow
from tests.skills.conftest import EXAMPLES, SkillRun, write_skill

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine import WorkflowRun
    from tests.engine.conftest import WatchingSink

RunWorkflow = Callable[..., Awaitable[SkillRun]]
RunSkill = Callable[..., Awaitable[SkillRun]]


async def test_the_example_workflow_reports_and_degrades(
    run_workflow: RunWorkflow, workspace: Path
) -> None:
    text = (EXAMPLES / "workflows" / "report.yml").read_text()
    load_workflow(EXAMPLES / "workflows" / "report.yml")  # it is a valid workflow
    result = await run_workflow(text)
    assert result.conclusion == "success"
    steps = result.record.jobs["report"].steps
    assert [s.conclusion for s in steps] == ["success", "degraded", "success"]
    assert "report: stax runs your workflows fast and gives a ... [positive]" in result.logs()
    assert "mood: neutral (degraded)" in result.logs()

    starts = result.of_type(EventType.SKILL_STARTED)
    assert [(e.data["skill_id"], e.step_number) for e in starts] == [
        ("text.report", 1),
        ("text.summarize", 1),
        ("text.classify", 1),
        ("text.classify", 2),
    ]
    report, summarize, classify, mood = (str(e.data["trace_id"]) for e in starts)
    assert {e.data["channel"] for e in starts} == {"workflow"}
    assert all(e.job_id == "report" for e in result.skill_events(None))
    assert "parent_trace_id" not in starts[0].data
    assert summarize != report
    assert starts[1].data["parent_trace_id"] == report
    assert starts[2].data["parent_trace_id"] == report
    assert starts[1].data["inputs"] == {
        "text": "stax runs your workflows fast and gives a great verdict in seconds",
        "max_words": 8,
        "shout": False,
    }
    assert result.phases(report) == [
        ("summary", "started"),
        ("summary", "completed"),
        ("mood", "started"),
        ("mood", "completed"),
        ("compose", "started"),
        ("compose", "completed"),
        ("no-report", "skipped"),
    ]
    assert result.phases(summarize) == [
        ("analyze", "started"),
        ("analyze", "completed"),
        ("shout", "skipped"),
    ]
    assert result.phases(mood) == [
        ("score", "started"),
        ("score", "degraded"),
        ("explain", "started"),
        ("explain", "completed"),
    ]
    degraded = next(e for e in result.skill_events(mood) if e.data.get("phase") == "degraded")
    assert degraded.data["gate"] == "allowed-exit-codes"
    assert degraded.data["produced_output"] == {"label": "neutral", "score": "0"}
    assert degraded.data["reason"] == (
        "Safety gate tripped (allowed-exit-codes): the step exited with code 2 (allowed: 0); "
        "fallback outputs used."
    )
    done = {str(e.data["trace_id"]): e.data for e in result.of_type(EventType.SKILL_COMPLETED)}
    assert done[report]["status"] == "completed"
    assert done[report]["outputs"] == {
        "report": "stax runs your workflows fast and gives a ... [positive]",
        "label": "positive",
        "words": "12",
    }
    assert done[mood]["status"] == "degraded"
    assert done[mood]["outputs"] == {"label": "neutral", "score": "0", "degraded": True}
    assert done[classify]["status"] == "completed"
    # The step's outputs are the skill's (as strings), for later steps.
    completed = [e for e in result.of_type(EventType.STEP_COMPLETED) if e.step_number == 2]
    assert completed[0].data["outputs"] == {"label": "neutral", "score": "0", "degraded": "true"}


async def test_a_skill_run_for_a_caller_takes_its_inputs_from_the_request(
    run_skill: RunSkill,
) -> None:
    # The caller's text is data: `${{ }}` in it is never evaluated.
    result = await run_skill(
        "text.summarize", {"text": "${{ github.run_id }} is literal", "shout": True}
    )
    assert result.conclusion == "success"
    started = result.skill_events()[0]
    assert started.data["channel"] == "cli"
    assert started.data["inputs"] == {
        "text": "${{ github.run_id }} is literal",
        "shout": True,
        "max_words": 12,
    }
    assert result.completed()["outputs"] == {
        "summary": "${{ GITHUB.RUN_ID }} IS LITERAL",
        "words": "5",
    }
    assert result.phases() == [
        ("analyze", "started"),
        ("analyze", "completed"),
        ("shout", "started"),
        ("shout", "completed"),
    ]
    assert result.record.name == "skill:text.summarize"
    assert result.record.event == "skill"


async def test_a_failed_step_fails_the_skill_after_its_cleanup_steps(
    run_skill: RunSkill, skills_dir: Path
) -> None:
    write_skill(
        skills_dir,
        "fails",
        """
        id: test.fails
        steps:
          - id: first
            run: echo "out=one" >> "$GITHUB_OUTPUT"
          - id: broken
            run: exit 3
          - id: after
            run: echo never
          - id: on-failure
            if: failure()
            run: echo "handled ${{ steps.broken.outcome }}"
          - id: always
            if: always()
            run: echo cleanup
        outputs:
          out: ${{ steps.first.outputs.out }}
    """,
    )
    result = await run_skill("test.fails")
    assert result.conclusion == "failure"
    assert result.phases() == [
        ("first", "started"),
        ("first", "completed"),
        ("broken", "started"),
        ("broken", "failed"),
        ("after", "skipped"),
        ("on-failure", "started"),
        ("on-failure", "completed"),
        ("always", "started"),
        ("always", "completed"),
    ]
    assert "handled failure" in result.logs()
    completed = result.completed()
    assert completed["status"] == "failed"
    assert completed["error"] == "step 'broken' failed: Process completed with exit code 3."
    assert completed["outputs"] == {"out": "one"}
    step = result.record.jobs["skill"].steps[0]
    assert (step.conclusion, step.error) == ("failure", completed["error"])


async def test_gates_degrade_on_time_output_and_exit_codes(
    run_skill: RunSkill, skills_dir: Path
) -> None:
    write_skill(
        skills_dir,
        "gated",
        """
        id: test.gated
        steps:
          - id: slow
            run: sleep 30
            gate: {timeout-seconds: 0.3, fallback: {value: "late ${{ inputs.who }}"}}
          - id: chatty
            run: while true; do echo 0123456789; done
            gate: {max-output-bytes: 1000, fallback: {value: quiet}}
          - id: allowed
            run: echo "value=three" >> "$GITHUB_OUTPUT"; exit 3
            gate: {allowed-exit-codes: [0, 3]}
          - id: refused
            run: exit 4
            gate: {allowed-exit-codes: [0, 3]}
          - id: big-outputs
            run: printf 'value=%0600d\\n' 0 >> "$GITHUB_OUTPUT"
            gate: {max-output-bytes: 500}
          - id: next
            run: echo "went on"
        inputs:
          who: {default: me}
        outputs:
          slow: ${{ steps.slow.outputs.value }}
          chatty: ${{ steps.chatty.outputs.value }}
          allowed: ${{ steps.allowed.outputs.value }}
          conclusions: ${{ join(steps.*.conclusion, ',') }}
    """,
    )
    started = trio.current_time()
    result = await run_skill("test.gated")
    assert trio.current_time() - started < 10  # the sleep was cut at the gate
    assert result.conclusion == "success"
    assert [phase for step_id, phase in result.phases() if phase != "started"] == [
        "degraded",
        "degraded",
        "completed",
        "degraded",
        "degraded",
        "completed",
    ]
    gates = [e.data.get("gate") for e in result.skill_events() if e.data.get("phase") == "degraded"]
    assert gates == [
        "timeout-seconds",
        "max-output-bytes",
        "allowed-exit-codes",
        "max-output-bytes",
    ]
    completed = result.completed()
    assert completed["status"] == "degraded"
    assert completed["outputs"] == {
        "slow": "late me",
        "chatty": "quiet",
        "allowed": "three",
        "conclusions": "degraded,degraded,success,degraded,degraded,success",
    }
    chatty_lines = [line for line in result.logs() if line == "0123456789"]
    assert 0 < len(chatty_lines) <= 1000 // 11
    assert "went on" in result.logs()
    warnings = [
        e.data["message"]
        for e in result.of_type(EventType.STEP_ANNOTATION)
        if e.data["level"] == "warning"
    ]
    assert warnings[0] == (
        "Safety gate tripped (timeout-seconds): the step ran longer than 0.3s; "
        "fallback outputs used."
    )


async def test_on_trip_fail_fails_and_a_gate_around_a_skill_step(
    run_skill: RunSkill, skills_dir: Path
) -> None:
    write_skill(
        skills_dir,
        "strict",
        """
        id: test.strict
        steps:
          - id: slow
            run: sleep 30
            gate: {timeout-seconds: 0.2, on-trip: fail}
          - id: cleanup
            if: always()
            run: echo cleaned
    """,
    )
    write_skill(
        skills_dir,
        "caller",
        """
        id: test.caller
        steps:
          - id: inner
            skill: test.strict
            gate: {fallback: {answer: fallback}}
        outputs:
          answer: ${{ steps.inner.outputs.answer }}
    """,
    )
    strict = await run_skill("test.strict")
    assert strict.completed()["status"] == "failed"
    assert strict.completed()["error"] == (
        "step 'slow' failed: Safety gate tripped (timeout-seconds): the step ran longer than 0.2s."
    )
    assert ("cleanup", "completed") in strict.phases()

    caller = await run_skill("test.caller")
    assert caller.conclusion == "success"
    assert caller.completed("test.strict")["status"] == "failed"
    assert caller.completed()["status"] == "degraded"
    assert caller.completed()["outputs"] == {"answer": "fallback"}
    degraded = [e for e in caller.skill_events() if e.data.get("phase") == "degraded"]
    assert degraded[0].data["gate"] == "skill"


async def test_an_unknown_skill_or_bad_inputs_fail_the_step_with_an_execution(
    run_workflow: RunWorkflow,
) -> None:
    result = await run_workflow("""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - skill: text.sumarize
                continue-on-error: true
                with: {text: x}
              - skill: text.summarize
                with: {max_words: many}
              - if: always()
                run: echo still here
    """)
    assert result.conclusion == "failure"
    errors = [s.error for s in result.record.jobs["a"].steps]
    assert errors[0] == (
        "unknown skill 'text.sumarize' (did you mean \"text.summarize\"?) (known skills: "
        "text.classify, text.report, text.summarize)"
    )
    assert errors[1] == (
        "invalid inputs for skill 'text.summarize': input 'max_words': expected a whole number, "
        "got a string ('many'); input 'text' is required"
    )
    statuses = [e.data["status"] for e in result.of_type(EventType.SKILL_COMPLETED)]
    assert statuses == ["failed", "failed"]
    assert "still here" in result.logs()


async def test_a_skill_runs_in_its_folder_and_keeps_its_env_to_itself(
    run_workflow: RunWorkflow, skills_dir: Path
) -> None:
    write_skill(
        skills_dir / "where",
        "skill",
        """
        id: test.where
        env:
          GREETING: hello ${{ inputs.name }}
        inputs:
          name: {default: you}
        steps:
          - run: |
              echo "dir=$(basename "$PWD") skill=$STAX_SKILL_ID $GREETING ${{ skill.id }}"
              echo "LEAK=yes" >> "$GITHUB_ENV"
              echo "JOB=$JOB_VALUE"
    """,
    )
    result = await run_workflow("""
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            env: {JOB_VALUE: from-the-job}
            steps:
              - skill: test.where
                with: {name: stax}
              - run: echo "leak=${LEAK:-no}"
    """)
    assert result.conclusion == "success"
    logs = result.logs()
    assert "dir=where skill=test.where hello stax test.where" in logs
    assert "JOB=from-the-job" in logs
    assert "leak=no" in logs


async def test_secrets_are_masked_in_skill_events(run_skill: RunSkill) -> None:
    result = await run_skill(
        "text.summarize", {"text": "the password is hunter2 ok"}, secrets={"PW": "hunter2"}
    )
    text = json.dumps([e.to_json() for e in result.events])
    assert "hunter2" not in text
    inputs = result.skill_events()[0].data["inputs"]
    assert isinstance(inputs, dict)
    assert inputs["text"] == "the password is *** ok"


async def test_cancelling_the_run_ends_the_skill_cancelled(
    run_skill: RunSkill, skills_dir: Path
) -> None:
    write_skill(
        skills_dir,
        "long",
        """
        id: test.long
        steps:
          - id: wait
            run: sleep 30
          - id: after
            run: echo never
          - id: cleanup
            if: always()
            run: echo cleaned
    """,
    )

    async def cancel(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for(
            lambda e: (
                e.type is EventType.SKILL_STEP
                and e.data["step_id"] == "wait"
                and e.data["phase"] == "started"
            )
        )
        await sink.wait_for_line("sleep 30")  # the process is about to start
        run.cancel("test")

    result = await run_skill("test.long", control=cancel)
    assert result.conclusion == "cancelled"
    assert result.phases() == [
        ("wait", "started"),
        ("wait", "cancelled"),
        ("after", "skipped"),
        ("cleanup", "started"),
        ("cleanup", "completed"),
    ]
    assert result.completed()["status"] == "cancelled"


async def test_a_skill_input_no_environment_can_hold_fails_the_skill(run_skill: RunSkill) -> None:
    """The example passes its `text` input into a step's env: a NUL in it once made the
    spawn raise and killed the daemon."""
    result = await run_skill("text.summarize", {"text": "a\0b"})
    assert result.conclusion == "failure"
    completed = result.completed()
    assert completed["status"] == "failed"
    assert "environment variable 'TEXT': its value holds a NUL" in completed["error"]
