"""`skill: some.skill`: a skill's steps run inside this one step, and say so in events.

Like a composite action, the skill's steps log into the outer step and see
their own `steps` context, the skill's `inputs`, and a `skill` context
(`id`, `trace_id`, `channel`, `path`); they run in the skill's directory
unless they say otherwise. Unlike one, a skill keeps its $GITHUB_ENV and
$GITHUB_PATH changes to itself, and every execution is recorded as events,
all with the outer step's job_id and step_number:

    skill.started    {skill_id, trace_id, parent_trace_id?, channel, inputs, version?, path}
    skill.step       {skill_id, trace_id, step_id, index, name, phase, ...}
                     phase: started | completed | skipped | degraded | failed | cancelled
                     completed/degraded: produced_output; degraded: reason, gate;
                     failed/cancelled: error; skipped: condition
    skill.completed  {skill_id, trace_id, status, outputs, error, duration_ms}
                     status: completed | degraded | failed | cancelled

skill.completed is emitted whatever happens once skill.started was (a
cancelled or timed-out step too), so a follower of a trace always sees its end.

The execution's trace id and channel: for the run a caller started to execute
one skill (runner.engine.skill_runs) they come from the run's event payload, with
the caller's inputs; a skill called by a skill inherits the channel and
records its parent's trace; any other `skill:` step is channel `workflow`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from runner.engine.scope import JobEnvironment, StepScope
from runner.engine.step_execution import record_skipped, run_step, should_run, step_name
from runner.engine.steps.base import StepOutcome
from runner.engine.steps.shell import evaluate_env, step_context
from runner.errors import ExpressionError, RunError, StaxError
from runner.events.payloads import SkillPayload
from runner.events.types import Conclusion, EventType, now_ms
from runner.expressions import JSONValue, interpolate, to_string
from runner.model import Defaults
from runner.skills.inputs import resolve_skill_inputs
from runner.skills.trace import EXECUTION_EVENT, new_trace_id

if TYPE_CHECKING:
    from runner.engine.step_execution import StepResult
    from runner.engine.steps.output import StepOutput
    from runner.model import Skill, Step

MAX_DEPTH = 10  # shared with composite actions: how deep steps may nest

_PHASES = {
    Conclusion.SUCCESS: "completed",
    Conclusion.DEGRADED: "degraded",
    Conclusion.FAILURE: "failed",
    Conclusion.CANCELLED: "cancelled",
    Conclusion.SKIPPED: "skipped",
}


class SkillStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        assert step.skill is not None
        if scope.depth >= MAX_DEPTH:
            raise RunError(f"skill: {step.skill}: steps nested deeper than {MAX_DEPTH}")
        execution = _Execution(step, scope, io)
        return await execution.run()


class _Execution:
    """One execution of a skill, from skill.started to skill.completed."""

    def __init__(self, step: Step, scope: StepScope, io: StepOutput) -> None:
        assert step.skill is not None
        self.step = step
        self.scope = scope
        self.io = io
        self.skill_id = step.skill
        requested = _requested(step, scope)
        parent = scope.layers.get("skill")
        self.parent_trace: str | None = None
        if requested is not None:
            self.trace_id = str(requested["trace_id"])
            self.channel = str(requested.get("execution_channel") or "workflow")
        elif isinstance(parent, dict) and isinstance(parent.get("trace_id"), str):
            self.parent_trace = str(parent["trace_id"])
            self.trace_id = new_trace_id(scope.run.record.id)
            self.channel = str(parent.get("channel") or "workflow")
        else:
            self.trace_id = new_trace_id(scope.run.record.id)
            self.channel = "workflow"
        self.requested = requested
        self.first_degraded: str | None = None
        self.first_error: str | None = None

    async def emit(self, type: EventType, data: dict[str, JSONValue]) -> None:
        await self.scope.run.reporter.emit(
            type,
            SkillPayload(skill_id=self.skill_id, trace_id=self.trace_id, fields=data),
            job_id=self.scope.job.id,
            step_number=self.io.step_number,
        )

    async def run(self) -> StepOutcome:
        started_at = now_ms()
        skill: Skill | None = None
        inputs: dict[str, JSONValue] = {}
        error: str | None = None
        try:
            run = self.scope.run
            skill = run.skill_catalogs.load(run.settings.skills_dirs).require(self.skill_id)
            inputs = resolve_skill_inputs(skill, self._given(), strict=False)
        except StaxError as exc:
            error = str(exc)
        started: dict[str, JSONValue] = {"channel": self.channel, "inputs": inputs}
        if self.parent_trace is not None:
            started["parent_trace_id"] = self.parent_trace
        if skill is not None:
            started["path"] = skill.path
            if skill.version is not None:
                started["version"] = skill.version
        await self.emit(EventType.SKILL_STARTED, started)
        if skill is None or error is not None:
            await self._completed("failed", {}, error, started_at)
            return StepOutcome(outcome=Conclusion.FAILURE, error=error)

        status: str = "failed"
        outputs: dict[str, JSONValue] = {}
        current: list[str] = []  # the inner step running now, if any
        try:
            status, outputs, error = await self._steps(skill, inputs, current)
        except trio.Cancelled:
            status, error = "cancelled", "the skill was cancelled"
            raise
        except StaxError as exc:  # the step fails with this error (the step runner says so)
            error = str(exc)
            raise
        finally:
            with trio.CancelScope(shield=True):
                if current:  # interrupted mid-step: that step ends before the skill does
                    await self.emit(
                        EventType.SKILL_STEP,
                        {"step_id": current[0], "phase": "cancelled", "error": error},
                    )
                await self._completed(status, outputs, error, started_at)
        outcome = {
            "completed": Conclusion.SUCCESS,
            "degraded": Conclusion.DEGRADED,
            "cancelled": Conclusion.CANCELLED,
        }.get(status, Conclusion.FAILURE)
        if outcome is Conclusion.DEGRADED:
            error = f"skill {self.skill_id!r} {self.first_degraded}"
        return StepOutcome(
            outcome=outcome,
            outputs={name: to_string(value) for name, value in outputs.items()},
            error=error if outcome is not Conclusion.SUCCESS else None,
        )

    def _given(self) -> dict[str, JSONValue]:
        if self.requested is not None:
            given = self.requested.get("inputs")
            return dict(given) if isinstance(given, dict) else {}
        ctx = step_context(self.step, self.scope)
        return {
            key: interpolate(value, ctx) if isinstance(value, str) else value
            for key, value in self.step.with_.items()
        }

    async def _completed(
        self, status: str, outputs: dict[str, JSONValue], error: str | None, started_at: int
    ) -> None:
        await self.emit(
            EventType.SKILL_COMPLETED,
            {
                "status": status,
                "outputs": outputs,
                "error": error,
                "duration_ms": now_ms() - started_at,
            },
        )

    async def _steps(
        self, skill: Skill, inputs: dict[str, JSONValue], current: list[str]
    ) -> tuple[str, dict[str, JSONValue], str | None]:
        """Run the skill's steps; (status, outputs, error)."""
        outer = self.scope
        inner = self._inner_scope(skill, inputs)
        try:
            for inner_step in skill.steps:
                step_id = inner_step.id or f"step_{inner_step.index + 1}"
                common: dict[str, JSONValue] = {
                    "step_id": step_id,
                    "index": inner_step.index,
                    "name": step_name(inner_step, inner),
                }
                try:
                    runs = should_run(inner_step, inner)
                except ExpressionError as exc:
                    await self.emit(EventType.SKILL_STEP, {**common, "phase": "started"})
                    await self.io.write([f"##[error]{exc}"], stream="stderr")
                    inner.failed = True
                    self._note_error(step_id, str(exc))
                    await self.emit(
                        EventType.SKILL_STEP, {**common, "phase": "failed", "error": str(exc)}
                    )
                    continue
                if not runs:
                    record_skipped(inner_step, inner)
                    await self.emit(
                        EventType.SKILL_STEP,
                        {**common, "phase": "skipped", "condition": inner_step.if_ or ""},
                    )
                    continue
                await self.emit(EventType.SKILL_STEP, {**common, "phase": "started"})
                current[:] = [step_id]
                result = await run_step(inner_step, inner, self.io.child())
                current.clear()
                await self.emit(EventType.SKILL_STEP, {**common, **self._finished(step_id, result)})
        finally:
            outer.job_env.summary.extend(inner.job_env.summary)

        outputs: dict[str, JSONValue] = {}
        error = self.first_error
        ctx = inner.eval_context(with_status=False)
        for name, spec in skill.outputs.items():
            try:
                outputs[name] = interpolate(spec.value, ctx)
            except ExpressionError as exc:
                inner.failed = True
                error = error or f"output {name!r}: {exc}"
        if inner.status == "cancelled":
            return "cancelled", outputs, error or "the skill was cancelled"
        if inner.failed:
            return "failed", outputs, error or "the skill failed"
        if self.first_degraded is not None:
            return "degraded", outputs, None
        return "completed", outputs, None

    def _inner_scope(self, skill: Skill, inputs: dict[str, JSONValue]) -> StepScope:
        """Where the skill's steps run: its inputs, a `skill` context, its directory, and
        a copy of the job's env that what the skill adds stays in."""
        outer = self.scope
        directory = skill.directory
        skill_ctx: dict[str, JSONValue] = {
            "id": skill.id,
            "trace_id": self.trace_id,
            "channel": self.channel,
            "path": str(directory),
        }
        step_env = evaluate_env(self.step.env, outer, outer.env_context())
        base_env: dict[str, JSONValue] = {
            **outer.env_context(),
            **step_env,
            "STAX_SKILL_ID": skill.id,
            "STAX_SKILL_TRACE_ID": self.trace_id,
            "STAX_SKILL_DIR": str(directory),
        }
        inner = StepScope(
            run=outer.run,
            job=outer.job,
            # The job's env reaches the skill; what the skill adds stays in it.
            job_env=JobEnvironment(
                added_env=dict(outer.job_env.added_env),
                added_path=list(outer.job_env.added_path),
            ),
            control=outer.control,
            env=base_env,
            layers={**outer.layers, "inputs": inputs, "skill": skill_ctx},
            defaults=Defaults(working_directory=str(directory)),
            action_path=directory,
            depth=outer.depth + 1,
        )
        if skill.env:
            inner.env = {**base_env, **evaluate_env(dict(skill.env), inner, base_env)}
        return inner

    def _finished(self, step_id: str, result: StepResult) -> dict[str, JSONValue]:
        phase = _PHASES.get(result.conclusion, "failed")
        data: dict[str, JSONValue] = {"phase": phase, "outcome": result.outcome.value}
        if phase in ("completed", "degraded"):
            data["produced_output"] = dict(result.outputs)
        if phase == "degraded":
            if self.first_degraded is None:
                self.first_degraded = f"step {step_id!r} degraded: {result.error or 'degraded'}"
            data["reason"] = result.error
            data["gate"] = result.tripped
        elif result.error:
            data["error"] = result.error
        if phase == "failed":
            self._note_error(step_id, result.error or "failed")
        return data

    def _note_error(self, step_id: str, error: str) -> None:
        if self.first_error is None:
            self.first_error = f"step {step_id!r} failed: {error}"


def _requested(step: Step, scope: StepScope) -> dict[str, JSONValue] | None:
    """The execution a caller asked for, when this step is the one step of that run."""
    github = scope.run.contexts.github
    if scope.depth != 0 or github.get("event_name") != EXECUTION_EVENT:
        return None
    event = github.get("event")
    if (
        isinstance(event, dict)
        and event.get("skill_id") == step.skill
        and isinstance(event.get("trace_id"), str)
    ):
        return event
    return None
