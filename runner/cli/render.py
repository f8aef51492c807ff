"""The terminal view of runs: live progress from canonical events.

One renderer serves `stax run` (local or through the daemon) and `stax log`:
it only reads events. Log lines are prefixed with their job's name (jobs run
concurrently); `##[group]` sections fold to their title (and unfold if the
step fails, or always with --verbose); each step ends with ✓/✗ and its duration; the run
ends with a table of jobs. Colour only on a terminal, never with NO_COLOR.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from runner import json_text
from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobPayload,
    JobUnblocked,
    LogChunk,
    RunPayload,
    RunSnapshot,
    StepPayload,
    StepSnapshot,
)
from runner.events.types import Conclusion, Event, EventType

_FOLDED_LIMIT = 2000  # lines of folded output kept per step to show on failure

Renderer = Callable[[Event], None]  # shows one canonical event


@dataclass(frozen=True, slots=True)
class Palette:
    enabled: bool

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def blue(self, text: str) -> str:
        return self._wrap("34", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)


def wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM") != "dumb"


_MARKS = {"success": "✓", "failure": "✗", "cancelled": "⊘", "skipped": "○", "degraded": "◐"}


def format_duration(ms: int | float | None) -> str:
    if ms is None:
        return ""
    seconds = ms / 1000
    if seconds < 1:
        return f"{int(ms)}ms"
    if seconds < 60:
        return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


@dataclass(slots=True)
class _StepView:
    folding: bool = False
    groups: int = 0  # groups opened so far; the first is stax's own "Run <script>" header
    folded: list[str] = field(default_factory=list)


class TerminalRenderer:
    """Prints events as a readable live log."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        color: bool | None = None,
        fold: bool | None = None,
        show_run_header: bool = True,
    ) -> None:
        self.out = out or sys.stdout
        self.p = Palette(wants_color(self.out) if color is None else color)
        self.fold = True if fold is None else fold
        self.show_run_header = show_run_header
        self.job_names: dict[tuple[str, str], str] = {}
        self.steps: dict[tuple[str, str, int], _StepView] = {}
        self.width = 12
        self.runs: dict[str, RunSnapshot] = {}

    def handle(self, event: Event) -> None:
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)

    # -- helpers -------------------------------------------------------------
    def _write(self, text: str) -> None:
        self.out.write(text)

    def _prefix(self, event: Event) -> str:
        name = self.job_names.get((event.run_id, event.job_id or ""), event.job_id or "")
        return self.p.blue(f"{name[: self.width]:<{self.width}}") + self.p.dim(" │ ")

    def _mark(self, conclusion: str) -> str:
        text = _MARKS.get(conclusion, "?")
        if conclusion == "success":
            return self.p.green(text)
        if conclusion == "failure":
            return self.p.red(text)
        if conclusion in ("cancelled", "degraded"):
            return self.p.yellow(text)
        return self.p.dim(text)

    # -- events --------------------------------------------------------------
    def _run_started(self, event: Event) -> None:
        match event.payload:
            case RunPayload(run=run):
                self.runs[event.run_id] = run
                if self.show_run_header:
                    title = f"{run.name} · {run.event} · run {event.run_id}"
                    self._write(self.p.bold(f"▶ {title}") + "\n")

    def _job_started(self, event: Event) -> None:
        match event.payload:
            case JobPayload(job=job):
                name = job.name or str(event.job_id)
                self.job_names[(event.run_id, event.job_id or "")] = name
                self.width = max(self.width, min(len(name), 28))
                self._write(f"{self.p.bold('●')} {self.p.bold(name)} started\n")

    def _job_blocked(self, event: Event) -> None:
        match event.payload:
            case JobBlocked(reason=reason):
                shown = "⏸ " + (reason or "waiting")
                self._write(f"{self._prefix(event)}{self.p.yellow(shown)}\n")

    def _job_unblocked(self, event: Event) -> None:
        match event.payload:
            case JobUnblocked(approved=approved, by=by):
                text = "approved" if approved else "not approved"
                self._write(f"{self._prefix(event)}{text} ({by})\n")

    def _job_completed(self, event: Event) -> None:
        match event.payload:
            case JobPayload(job=job):
                key = (event.run_id, event.job_id or "")
                name = self.job_names.setdefault(key, job.name or str(event.job_id))
                conclusion = _text(job.conclusion)
                line = f"{self._mark(conclusion)} {self.p.bold(name)} {conclusion}"
                if job.duration_ms is not None:
                    line += self.p.dim(f" in {format_duration(job.duration_ms)}")
                if job.error:
                    line += f" — {job.error}"
                self._write(line + "\n")

    def _step_started(self, event: Event) -> None:
        self.steps[(event.run_id, event.job_id or "", event.step_number or 0)] = _StepView()

    def _step_log(self, event: Event) -> None:
        key = (event.run_id, event.job_id or "", event.step_number or 0)
        view = self.steps.setdefault(key, _StepView())
        prefix = self._prefix(event)
        chunk = event.payload
        if not isinstance(chunk, LogChunk):
            return
        out: list[str] = []
        for raw in chunk.lines:
            line = str(raw)
            if line.startswith("##["):
                shown = self._command_line(line, view)
                if shown is not None:
                    out.append(prefix + shown)
                continue
            if view.folding:
                if len(view.folded) < _FOLDED_LIMIT and (view.groups > 1 or view.folded):
                    view.folded.append(line)
                continue
            out.append(prefix + line)
        if out:
            self._write("\n".join(out) + "\n")

    def _command_line(self, line: str, view: _StepView) -> str | None:
        end = line.find("]")
        kind, text = line[3:end], line[end + 1 :]
        if kind == "group":
            view.groups += 1
            if self.fold:
                view.folding = True
                if view.groups > 1 or not text.startswith("Run "):
                    # Kept to show if the step fails; the script header is not.
                    view.folded.append(f"▾ {text}")
            return self.p.bold("▸ " + text)
        if kind == "endgroup":
            view.folding = False
            return None
        if view.folding:
            if view.groups > 1 or view.folded:
                view.folded.append(line)
            return None
        if kind == "error":
            return self.p.red(f"Error: {text}")
        if kind == "warning":
            return self.p.yellow(f"Warning: {text}")
        if kind == "notice":
            return self.p.blue(f"Notice: {text}")
        if kind == "debug":
            return self.p.dim(f"Debug: {text}")
        return line

    def _step_completed(self, event: Event) -> None:
        match event.payload:
            case StepPayload(step=step):
                self._show_step_end(event, step)

    def _show_step_end(self, event: Event, step: StepSnapshot) -> None:
        key = (event.run_id, event.job_id or "", event.step_number or 0)
        view = self.steps.pop(key, None)
        prefix = self._prefix(event)
        conclusion = _text(step.conclusion)
        if conclusion == "failure" and view is not None and view.folded:
            # The failure may be explained by output that was folded away: show it,
            # under its group titles.
            self._write(f"{prefix}{self.p.dim('folded output of this step:')}\n")
            self._write("".join(f"{prefix}{self.p.dim(line)}\n" for line in view.folded))
        if conclusion == "skipped":
            self._write(
                f"{prefix}{self._mark('skipped')} {self.p.dim(step.name)}"
                f"{self.p.dim(' (skipped)')}\n"
            )
            return
        duration = format_duration(step.duration_ms)
        note = (
            self.p.yellow(" (failed, continue-on-error)")
            if step.outcome == "failure" and conclusion == "success"
            else ""
        )
        self._write(f"{prefix}{self._mark(conclusion)} {step.name} {self.p.dim(duration)}{note}\n")

    def _annotation(self, event: Event) -> None:
        match event.payload:
            case Annotation(level=level, message=message, properties=properties):
                where = ""
                # file/line are the command's own properties: as written, not typed.
                if properties.get("file"):
                    line = properties.get("line")
                    where = f" ({properties['file']}" + (f":{line}" if line else "") + ")"
                if level == "warning" and event.step_number is None:
                    self._write(f"{self._prefix(event)}{self.p.yellow('Warning: ' + message)}\n")
                elif where:
                    self._write(f"{self._prefix(event)}{self.p.dim('annotation' + where)}\n")

    def _run_completed(self, event: Event) -> None:
        match event.payload:
            case RunPayload(run=run):
                self._show_run_end(run)

    def _show_run_end(self, run: RunSnapshot) -> None:
        if run.jobs:
            width = max(3, *(len(job.name) for job in run.jobs))
            self._write("\n" + self.p.bold(f"{'JOB':<{width}}  {'CONCLUSION':<12} TIME") + "\n")
            for job in run.jobs:
                job_conclusion = _text(job.conclusion)
                self._write(
                    f"{job.name:<{width}}  {self._mark(job_conclusion)} "
                    f"{job_conclusion:<10} "
                    f"{format_duration(job.duration_ms)}\n"
                )
        conclusion = _text(run.conclusion)
        total = format_duration(run.duration_ms)
        error = f" — {run.error}" if run.error else ""
        self._write(
            f"\n{self._mark(conclusion)} {self.p.bold(conclusion)} "
            f"{self.p.dim('in ' + total) if total else ''}{error}\n"
        )
        self.out.flush()


def _text(conclusion: Conclusion | None) -> str:
    """A conclusion as the terminal shows it ("None" until there is one)."""
    return str(None if conclusion is None else conclusion.value)


_HANDLERS = {
    EventType.RUN_STARTED: TerminalRenderer._run_started,
    EventType.JOB_STARTED: TerminalRenderer._job_started,
    EventType.JOB_BLOCKED: TerminalRenderer._job_blocked,
    EventType.JOB_UNBLOCKED: TerminalRenderer._job_unblocked,
    EventType.JOB_COMPLETED: TerminalRenderer._job_completed,
    EventType.STEP_STARTED: TerminalRenderer._step_started,
    EventType.STEP_LOG: TerminalRenderer._step_log,
    EventType.STEP_COMPLETED: TerminalRenderer._step_completed,
    EventType.STEP_ANNOTATION: TerminalRenderer._annotation,
    EventType.RUN_COMPLETED: TerminalRenderer._run_completed,
}


class JsonRenderer:
    """`--json`: one canonical event per line."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def handle(self, event: Event) -> None:
        self.out.write(json_text.dumps(event.to_json()) + "\n")
        if event.type is EventType.RUN_COMPLETED:
            self.out.flush()
