"""Skills through the real engine: write skill files, run skills and workflows, read events."""

from __future__ import annotations

import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

from runner.config import Settings, load_settings
from runner.engine import RunRequest, WorkflowRun, execution_request, new_run_id
from runner.engine.records import RunRecord
from runner.events.types import Event, EventType
from runner.model import parse_workflow
from runner.skills import load_catalog, new_trace_id
from tests.engine.conftest import WatchingSink

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "skills"


def write_skill(directory: Path, name: str, text: str) -> Path:
    """A skill file `<directory>/<name>.yml` (dedented)."""
    path = directory / f"{name}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@dataclass
class SkillRun:
    record: RunRecord
    events: list[Event]
    trace_id: str | None = None

    @property
    def conclusion(self) -> str:
        return str(self.record.conclusion)

    def of_type(self, *types: EventType) -> list[Event]:
        return [e for e in self.events if e.type in types]

    def skill_events(self, trace_id: str | None = None) -> list[Event]:
        trace = trace_id or self.trace_id
        return [
            e
            for e in self.of_type(
                EventType.SKILL_STARTED, EventType.SKILL_STEP, EventType.SKILL_COMPLETED
            )
            if trace is None or e.data["trace_id"] == trace
        ]

    def phases(self, trace_id: str | None = None) -> list[tuple[str, str]]:
        return [
            (str(e.data["step_id"]), str(e.data["phase"]))
            for e in self.skill_events(trace_id)
            if e.type is EventType.SKILL_STEP
        ]

    def completed(self, skill_id: str | None = None) -> dict[str, Any]:
        """The data of the (first) skill.completed of `skill_id` (or of the trace)."""
        for event in self.of_type(EventType.SKILL_COMPLETED):
            if (skill_id is None and event.data["trace_id"] == self.trace_id) or (
                event.data["skill_id"] == skill_id
            ):
                return dict(event.data)
        raise AssertionError(f"no skill.completed for {skill_id or self.trace_id}")

    def logs(self) -> list[str]:
        lines: list[str] = []
        for event in self.of_type(EventType.STEP_LOG):
            lines.extend(event.data["lines"])  # type: ignore[arg-type]
        return lines


@pytest.fixture
def skills_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "skills"
    directory.mkdir()
    return directory


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws.resolve()


@pytest.fixture
def settings(tmp_path: Path, skills_dir: Path) -> Settings:
    return load_settings(start=tmp_path).with_overrides(
        step_kill_grace_seconds=0.5,
        skills_dirs=(skills_dir, EXAMPLES),
        data_dir=tmp_path / ".stax",
    )


Control = Callable[[WorkflowRun, WatchingSink], Awaitable[None]]


async def _execute(
    request: RunRequest, settings: Settings, control: Control | None, limit_s: float
) -> tuple[RunRecord, list[Event]]:
    sink = WatchingSink()
    run = WorkflowRun(request, settings, sink)
    run.prepare()
    with trio.fail_after(limit_s):
        async with trio.open_nursery() as nursery:
            if control is not None:
                nursery.start_soon(control, run, sink)
            record = await run.run()
            nursery.cancel_scope.cancel()
    return record, sink.events


@pytest.fixture
def run_workflow(workspace: Path, settings: Settings) -> Callable[..., Awaitable[SkillRun]]:
    async def run(
        text: str, *, control: Control | None = None, limit_s: float = 20, **request: Any
    ) -> SkillRun:
        path = workspace / ".github" / "workflows" / "test.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        workflow = parse_workflow(path.read_text(), str(path))
        record, events = await _execute(
            RunRequest(workflow=workflow, workdir=workspace, **request), settings, control, limit_s
        )
        return SkillRun(record=record, events=events)

    return run


@pytest.fixture
def run_skill(workspace: Path, settings: Settings) -> Callable[..., Awaitable[SkillRun]]:
    """Execute one skill the way the API and the CLI do (a one-step run)."""

    async def run(
        skill_id: str,
        inputs: dict[str, Any] | None = None,
        *,
        channel: str = "cli",
        control: Control | None = None,
        limit_s: float = 20,
        secrets: dict[str, str] | None = None,
    ) -> SkillRun:
        skill = load_catalog(settings.skills_dirs).require(skill_id)
        run_id = new_run_id()
        trace_id = new_trace_id(run_id)
        request = execution_request(
            skill,
            inputs or {},
            channel=channel,
            workdir=workspace,
            run_id=run_id,
            trace_id=trace_id,
            secrets=secrets,
        )
        record, events = await _execute(request, settings, control, limit_s)
        return SkillRun(record=record, events=events, trace_id=trace_id)

    return run
