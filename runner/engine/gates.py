"""Safety gates: bounds on one skill step, and what happens when one trips.

A gate wraps the step's executor. It trips when the step

* runs longer than `timeout-seconds` (the step is cancelled: its process group
  gets SIGTERM, then SIGKILL after the kill grace);
* writes more than `max-output-bytes` (log lines as UTF-8 with their newline,
  plus the names and values of its outputs; the step is stopped as soon as its
  log passes the bound, and the lines past it are dropped);
* exits with a code not in `allowed-exit-codes` (default [0]; an allowed
  non-zero code makes the step a success), or, for a `skill:` step, when the
  called skill fails.

`on-trip: degrade` (the default) ends the step `degraded`: its `fallback`
outputs (expressions allowed) stand in for its own and the skill goes on, as
after a success. `on-trip: fail` ends it `failure`, as any failed step.
Cancellation from outside the gate (a cancelled run, the job's timeout) is not
a trip: it propagates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from runner.engine.steps.base import StepOutcome
from runner.engine.steps.output import StepOutput
from runner.events.types import Conclusion
from runner.expressions import interpolate, to_string
from runner.model import StepKind

if TYPE_CHECKING:
    from runner.engine.scope import StepExecutor, StepScope
    from runner.model import Gate, Step

TIMEOUT = "timeout-seconds"
MAX_OUTPUT = "max-output-bytes"
EXIT_CODES = "allowed-exit-codes"


class GatedStep:
    """A step executor bounded by a gate (the step runner wraps gated steps in one)."""

    __slots__ = ("gate", "inner")

    def __init__(self, inner: StepExecutor, gate: Gate) -> None:
        self.inner = inner
        self.gate = gate

    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        gate = self.gate
        timeout = gate.timeout_seconds if gate.timeout_seconds is not None else float("inf")
        limit = gate.max_output_bytes
        meter = _Meter(limit=limit) if limit is not None else None
        step_io = _MeteredOutput.around(io, meter) if meter is not None else io
        outcome: StepOutcome | None = None
        with trio.move_on_after(timeout) as bound:
            if meter is not None:
                meter.scope = bound
            outcome = await self.inner.execute(step, scope, step_io)
        if meter is not None and meter.tripped:
            return await self._trip(
                step, scope, MAX_OUTPUT, f"the step wrote more than {limit} bytes"
            )
        if outcome is None:  # the bound's own cancellation: nothing else is caught here
            return await self._trip(step, scope, TIMEOUT, f"the step ran longer than {timeout:g}s")
        code = outcome.exit_code
        if code is not None and code not in gate.allowed_exit_codes:
            allowed = ", ".join(str(c) for c in gate.allowed_exit_codes)
            return await self._trip(
                step, scope, EXIT_CODES, f"the step exited with code {code} (allowed: {allowed})"
            )
        if code is not None and code != 0 and outcome.outcome is Conclusion.FAILURE:
            outcome = StepOutcome(
                outcome=Conclusion.SUCCESS, outputs=outcome.outputs, exit_code=code
            )
        if step.kind is StepKind.SKILL and outcome.outcome is Conclusion.FAILURE:
            return await self._trip(
                step, scope, "skill", f"the called skill failed ({outcome.error or 'failed'})"
            )
        if limit is not None and meter is not None:
            size = meter.used + sum(
                len(k.encode()) + len(v.encode()) for k, v in outcome.outputs.items()
            )
            if size > limit:
                return await self._trip(
                    step,
                    scope,
                    MAX_OUTPUT,
                    f"the step wrote more than {limit} bytes (log and outputs)",
                )
        return outcome

    async def _trip(self, step: Step, scope: StepScope, limit: str, detail: str) -> StepOutcome:
        gate = self.gate
        if gate.on_trip == "fail":
            return StepOutcome(
                outcome=Conclusion.FAILURE,
                error=f"Safety gate tripped ({limit}): {detail}.",
                tripped=limit,
            )
        ctx = scope.eval_context()
        fallback = {
            name: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
            for name, value in gate.fallback.items()
        }
        return StepOutcome(
            outcome=Conclusion.DEGRADED,
            outputs=fallback,
            error=f"Safety gate tripped ({limit}): {detail}; fallback outputs used.",
            tripped=limit,
        )


@dataclass(slots=True)
class _Meter:
    """Bytes a gated step has written, shared by the step's output and its inner steps'."""

    limit: int
    used: int = 0
    tripped: bool = False
    scope: trio.CancelScope | None = None

    def take(self, lines: list[str]) -> list[str]:
        """The lines that fit under the limit; trips (and stops the step) when some don't."""
        kept: list[str] = []
        for line in lines:
            size = len(line.encode("utf-8", "replace")) + 1
            if self.used + size > self.limit:
                self.tripped = True
                if self.scope is not None:
                    self.scope.cancel()
                break
            self.used += size
            kept.append(line)
        return kept


@dataclass(slots=True, kw_only=True)
class _MeteredOutput(StepOutput):
    """A step's output that counts what the step writes against its gate."""

    meter: _Meter

    @classmethod
    def around(cls, io: StepOutput, meter: _Meter) -> _MeteredOutput:
        return cls(
            reporter=io.reporter,
            masker=io.masker,
            job_id=io.job_id,
            step_number=io.step_number,
            debug=io.debug,
            meter=meter,
        )

    def child(self) -> StepOutput:
        return _MeteredOutput.around(self, self.meter)

    async def on_lines(self, stream: str, lines: list[str]) -> None:
        if self.meter.tripped:
            return
        kept = self.meter.take(lines)
        if kept:
            # (Zero-argument super() does not work in a slots dataclass.)
            await StepOutput.on_lines(self, stream, kept)
