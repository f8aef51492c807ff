"""Run workflow text through the real engine (real subprocesses) and inspect what it emitted.

`run_yaml(text, ...)` writes the workflow into a fresh workspace, runs it
with a WatchingSink and returns every event; `run_steps(steps, ...)` does the
same for a one-job workflow given only the steps of its job `j`. A `control(run, sink)`
coroutine runs beside the run: it orders itself on what the run emits
(`await sink.wait_for(...)`), never on sleeps.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trio

from runner.config import ActionsSettings, Settings, load_settings
from runner.engine import RunRequest, WorkflowRun
from runner.events.sink import ListSink
from runner.events.types import Event, EventType
from runner.executors import executor_for
from runner.model import parse_workflow
from tests.actions.git_server import NODE_MODULES, GitServer
from tests.engine.workflows import one_job

if TYPE_CHECKING:
    from runner.engine.records import JobRecord, RunRecord
    from runner.engine.scope import JobExecutor


class WatchingSink(ListSink):
    """A ListSink that lets a test wait until some event has been emitted."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = trio.Event()

    async def emit(self, event: Event) -> None:
        await super().emit(event)
        self._changed.set()
        self._changed = trio.Event()

    async def wait_for(self, predicate: Callable[[Event], bool]) -> Event:
        """The first event (already emitted or still to come) that satisfies `predicate`."""
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            await self._changed.wait()

    async def wait_for_line(self, text: str) -> Event:
        """The step.log event holding a line equal to `text`."""
        return await self.wait_for(
            lambda e: e.type is EventType.STEP_LOG and text in e.data["lines"]  # type: ignore[operator]
        )


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
            if (
                event.type is EventType.STEP_LOG
                and (job_id is None or event.job_id == job_id)
                and (step is None or event.step_number == step)
            ):
                lines.extend(event.data["lines"])  # type: ignore[arg-type]
        return lines

    def output(self, job_id: str | None = None, step: int | None = None) -> list[str]:
        """Log lines without stax's own `##[group]Run` headers (the script echo)."""
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

    def first(self, type: EventType, job_id: str | None = None) -> Event:
        return next(e for e in self.events if e.type is type and (job_id in (None, e.job_id)))

    def seq(self, type: EventType, job_id: str) -> int:
        """The seq of the first `type` event of `job_id`."""
        return self.first(type, job_id).seq

    def step_conclusions(self, job_id: str) -> list[str]:
        return [str(s.conclusion) for s in self.job(job_id).steps]

    def job_conclusions(self) -> dict[str, str]:
        return {key: str(job.conclusion) for key, job in self.record.jobs.items()}

    def annotations(self) -> list[dict[str, Any]]:
        return [dict(e.data) for e in self.of_type(EventType.STEP_ANNOTATION)]

    def all_json(self) -> str:
        """Every event as JSON text, for scanning for what must never appear."""
        return "\n".join(json.dumps(e.to_json()) for e in self.events)


Control = Callable[[WorkflowRun, WatchingSink], Awaitable[None]]
Runner = Callable[..., Awaitable[RunResult]]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws.resolve()  # as the engine sees it (no symlinks)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Small kill grace: tests that ignore SIGTERM must not cost 5 s each. Remote actions
    # come from a folder of the test's own (empty unless it puts repositories there):
    # a test never reaches the network.
    return load_settings(start=tmp_path).with_overrides(
        step_kill_grace_seconds=0.5,
        actions=ActionsSettings(server=(tmp_path / "actions-server").as_uri()),
    )


def write(workspace: Path, relative: str, text: str) -> Path:
    """Write a (dedented) file into the workspace, creating its directories."""
    path = workspace / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def run_yaml(workspace: Path, settings: Settings) -> Runner:
    async def run(
        text: str,
        *,
        settings_overrides: dict[str, Any] | None = None,
        limit_s: float = 30,
        approvals: Any = None,
        concurrency: Any = None,
        control: Control | None = None,
        path: str = ".github/workflows/test.yml",
        **request: Any,
    ) -> RunResult:
        file = write(workspace, path, text)
        workflow = parse_workflow(file.read_text(), str(file))
        sink = WatchingSink()
        effective = settings.with_overrides(**(settings_overrides or {}))
        request.setdefault("workdir", workspace)
        run = WorkflowRun(
            RunRequest(workflow=workflow, **request),
            effective,
            sink,
            approvals=approvals,
            concurrency=concurrency,
            job_executor=_job_executor(effective),
        )
        run.prepare()
        with trio.fail_after(limit_s):
            async with trio.open_nursery() as nursery:
                if control is not None:
                    nursery.start_soon(control, run, sink)
                record = await run.run()
                nursery.cancel_scope.cancel()
        return RunResult(record=record, events=sink.events)

    return run


@pytest.fixture
def run_steps(run_yaml: Runner) -> Runner:
    """`run_yaml` of `one_job(steps)`: for the many tests whose workflow is one job's steps."""

    async def run(steps: str, **options: Any) -> RunResult:
        return await run_yaml(one_job(steps), **options)

    return run


@pytest.fixture
def actions_server(tmp_path: Path) -> GitServer:
    """The test's actions server (what `settings` points [actions] server at)."""
    root = tmp_path / "actions-server"
    root.mkdir(exist_ok=True)
    return GitServer(root)


def javascript_actions_unavailable() -> str | None:
    """Why the JavaScript action fixtures cannot run here, or None."""
    if shutil.which("node") is None:
        return "no node on PATH"
    if not (NODE_MODULES / "@actions" / "core").is_dir():
        return "@actions/core is not installed (cd tests/node && npm install)"
    return None


needs_node = pytest.mark.skipif(
    javascript_actions_unavailable() is not None,
    reason=str(javascript_actions_unavailable()),
)


def pid_alive(pid: int) -> bool:
    """True while `pid` is a live process (a zombie counts as gone)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


_executors: dict[object, JobExecutor] = {}


def _job_executor(settings: Settings) -> JobExecutor:
    """The executor stax.toml's [executor] names, one per setting for the whole session
    (as the daemon keeps one: a Ray executor keeps its idle workers between runs)."""
    key = settings.executor
    if key not in _executors:
        _executors[key] = executor_for(key)
    return _executors[key]
