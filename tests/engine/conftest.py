"""Run workflow text through the real engine (real subprocesses) and inspect what it emitted."""

from __future__ import annotations

import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

from runner.config import Settings, load_settings
from runner.engine import RunRequest, WorkflowRun
from runner.engine.records import JobRecord, RunRecord
from runner.events.sink import ListSink
from runner.events.types import Event, EventType
from runner.model import parse_workflow


@dataclass
class RunResult:
    record: RunRecord
    events: list[Event]

    @property
    def conclusion(self) -> str:
        return str(self.record.conclusion)

    def job(self, job_id: str) -> JobRecord:
        return self.record.jobs[job_id]

    def logs(self, job_id: str | None = None, step: int | None = None) -> list[str]:
        lines: list[str] = []
        for event in self.events:
            if event.type is EventType.STEP_LOG and (job_id is None or event.job_id == job_id) \
                    and (step is None or event.step_number == step):
                lines.extend(event.data["lines"])  # type: ignore[arg-type]
        return lines

    def output(self, job_id: str | None = None, step: int | None = None) -> list[str]:
        """Log lines without stax's own `##[...]` headers and the script echo."""
        out: list[str] = []
        in_group = False
        for line in self.logs(job_id, step):
            if line.startswith("##[group]Run "):
                in_group = True
                continue
            if in_group:
                if line == "##[endgroup]":
                    in_group = False
                continue
            out.append(line)
        return out

    def of_type(self, *types: EventType) -> list[Event]:
        return [e for e in self.events if e.type in types]

    def step_conclusions(self, job_id: str) -> list[str]:
        return [str(s.conclusion) for s in self.job(job_id).steps]


Runner = Callable[..., Awaitable[RunResult]]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(start=tmp_path)


@pytest.fixture
def run_yaml(workspace: Path, settings: Settings) -> Runner:
    async def run(text: str, *, settings_overrides: dict[str, Any] | None = None,
                  timeout: float = 30, approvals: Any = None,
                  control: Callable[[WorkflowRun], Awaitable[None]] | None = None,
                  **request: Any) -> RunResult:
        path = workspace / ".github" / "workflows" / "test.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        workflow = parse_workflow(path.read_text(), str(path))
        sink = ListSink()
        effective = settings.with_overrides(**(settings_overrides or {}))
        run = WorkflowRun(RunRequest(workflow=workflow, workdir=workspace, **request),
                          effective, sink, approvals=approvals)
        run.prepare()
        with trio.fail_after(timeout):
            async with trio.open_nursery() as nursery:
                if control is not None:
                    nursery.start_soon(control, run)
                record = await run.run()
                nursery.cancel_scope.cancel()
        return RunResult(record=record, events=sink.events)

    return run
