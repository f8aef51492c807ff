"""The job's side on a Ray node: a JobWorker actor runs one job with the engine's code.

The actor unpacks the workspace, rebuilds the run's scope around it (this node's
paths, environment and runner name; the job's secrets only) and runs the job
with runner.engine.job.run_job in a Trio loop of its own thread. Every event
goes into an Outbox, already masked (the Reporter and the step output mask on
this node), and the daemon pulls it from there in order with `events()`.

Outbox invariant: events leave in the order they were emitted, each once; the
daemon acknowledges by asking for what comes after its cursor, so a batch lost
in transit is sent again and none is dropped. The emitting side waits while the
daemon has _BACKLOG_MAX events still to take (backpressure, as a local sink's).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from runner.actions import ActionSource
from runner.actions.services import SERVICE_ENVIRONMENT
from runner.engine.contexts import (
    RunContexts,
    build_base_env,
    build_runner_context,
    write_event_file,
)
from runner.engine.control import JobControl, RunControl
from runner.engine.job import LocalJobs, run_job
from runner.engine.masking import Masker
from runner.engine.reporter import Reporter
from runner.engine.scope import RunScope, job_marker
from runner.engine.steps.factory import step_executors
from runner.executors.ray_payload import unpack_workspace
from runner.process.group import sweep_marked
from runner.process.watchdog import set_watchdog_grace, start_watchdog_process
from runner.skills import SkillCatalogs

if TYPE_CHECKING:
    from runner.engine.job_plan import JobResult
    from runner.engine.records import JobRecord
    from runner.events.types import Event
    from runner.executors.ray_payload import JobPayload

_BACKLOG_MAX = 20_000  # events not yet taken by the daemon before emitting waits
_BATCH_MAX = 2_000  # events handed over in one `events()` answer
RUNNER_NAME_VARIABLE = "STAX_RUNNER_NAME"  # set in a node's environment to name it


@dataclass(slots=True, kw_only=True)
class Batch:
    """What `events()` returns: events after the cursor, and the job's end once all of
    its events are out."""

    events: list[Event]
    record: JobRecord | None = None  # the job's final record: the job has ended
    result: JobResult | None = None
    error: str | None = None  # the worker itself failed (a bug): why


@dataclass(slots=True)
class _Outbox:
    events: list[Event] = field(default_factory=list)
    base: int = 0  # cursor of events[0]
    end: Batch | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)


class _OutboxSink:
    """The job's EventSink on this node: events wait in the outbox for the daemon."""

    def __init__(self, outbox: _Outbox) -> None:
        self._outbox = outbox
        self.room = trio.Event()
        self.token = trio.lowlevel.current_trio_token()

    async def emit(self, event: Event) -> None:
        outbox = self._outbox
        while True:
            with outbox.changed:
                if len(outbox.events) < _BACKLOG_MAX:
                    outbox.events.append(event)
                    outbox.changed.notify_all()
                    return
                self.room = trio.Event()
            await self.room.wait()


def node_runner_name() -> str:
    """This node's name: $STAX_RUNNER_NAME where the node was started with it, else
    `ray-` and the start of its Ray node id."""
    named = os.environ.get(RUNNER_NAME_VARIABLE, "").strip()
    if named:
        return named
    import ray

    return f"ray-{ray.get_runtime_context().get_node_id()[:12]}"


class JobWorker:
    """One job on one node (a threaded Ray actor: `events` and `cancel` answer while
    the job runs)."""

    def __init__(self) -> None:
        # However this worker ends (Ray kills it at once when the daemon goes), the
        # process groups of its steps end with it.
        start_watchdog_process()
        self._reset()

    def _reset(self) -> None:
        self._outbox = _Outbox()
        self._sink: _OutboxSink | None = None
        self._control: JobControl | None = None
        self._run_control: RunControl | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._started = threading.Event()
        self._thread: threading.Thread | None = None

    def node(self) -> str:
        """Answered once the actor is placed: the name of the node it is on."""
        return node_runner_name()

    def start(self, payload: JobPayload, workspace: bytes) -> None:
        """Start the job in a thread of its own; returns once its loop is running. A
        worker runs one job at a time, and may run another after it."""
        self._reset()  # nothing of the last job stays
        self._thread = threading.Thread(
            target=self._main, args=(payload, workspace), name="stax-job", daemon=True
        )
        self._thread.start()
        self._started.wait()

    def events(self, cursor: int, wait_s: float) -> Batch:
        """The events after `cursor` (waiting up to `wait_s` for some), and the job's
        end once nothing is left to send."""
        outbox = self._outbox
        with outbox.changed:
            drop = min(max(cursor - outbox.base, 0), len(outbox.events))
            if drop:
                del outbox.events[:drop]
                outbox.base += drop
            if not outbox.events and outbox.end is None:
                outbox.changed.wait(wait_s)
            events = list(outbox.events[:_BATCH_MAX])
            end = outbox.end if len(events) == len(outbox.events) else None
        if drop:
            self._wake_emitter()  # outside the lock: the emitter takes it
        if end is not None:
            return replace(end, events=events)
        return Batch(events=events)

    def cancel(self, reason: str, kill: bool) -> None:
        """Cancel the job's running step (its process group: SIGTERM, grace, SIGKILL),
        or with `kill`, SIGKILL every process of the job at once."""
        self._started.wait()
        if self._token is None or self._control is None or self._run_control is None:
            return
        control, run_control = self._control, self._run_control

        def deliver() -> None:
            if kill:
                run_control.killed = True
                run_control.process_groups.update(control.process_groups)
                run_control.kill()
            control.cancel(reason)

        with contextlib.suppress(trio.RunFinishedError):
            self._token.run_sync_soon(deliver)

    def _wake_emitter(self) -> None:
        sink, token = self._sink, self._token
        if sink is not None and token is not None:
            # Never waits for the job's loop (which may be waiting for the outbox).
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(lambda: sink.room.set())

    def _main(self, payload: JobPayload, workspace: bytes) -> None:
        try:
            end = trio.run(self._run, payload, workspace)
        except BaseException as exc:  # a bug here: the daemon fails the job with it
            end = Batch(events=[], error=f"{type(exc).__name__}: {exc}")
        finally:
            self._started.set()
        with self._outbox.changed:
            self._outbox.end = end
            self._outbox.changed.notify_all()

    async def _run(self, payload: JobPayload, workspace: bytes) -> Batch:
        self._token = trio.lowlevel.current_trio_token()
        self._sink = _OutboxSink(self._outbox)
        temp = Path(tempfile.mkdtemp(prefix=f"stax-{payload.run.id}-"))
        try:
            unpack_workspace(workspace, temp / "workspace")
            set_watchdog_grace(payload.settings.step_kill_grace_seconds)
            scope = _scope(payload, temp, self._sink)
            self._run_control = scope.control
            self._control = JobControl()
            self._started.set()
            record = payload.plan.record
            try:
                result = await run_job(payload.plan, scope, self._control)
            finally:
                with trio.CancelScope(shield=True):
                    await sweep_marked(
                        job_marker(payload.process_marker, record.id),
                        grace_s=scope.control.grace_s(payload.settings.step_kill_grace_seconds),
                    )
            return Batch(events=[], record=record, result=result)
        finally:
            shutil.rmtree(temp, ignore_errors=True)


def _scope(payload: JobPayload, temp: Path, sink: _OutboxSink) -> RunScope:
    """The run's scope as the job sees it on this node: its paths, environment, name."""
    workspace = temp / "workspace"
    runner_temp = temp / "temp"
    commands_dir = temp / "commands"
    runner_temp.mkdir()
    commands_dir.mkdir()
    event_path = temp / "event.json"
    write_event_file(event_path, payload.event)
    github = {**payload.github, "workspace": str(workspace), "event_path": str(event_path)}
    runner = build_runner_context(runner_temp, Path(tempfile.gettempdir()) / "stax-tool-cache")
    runner["name"] = payload.runner_name
    base_env = build_base_env(github, runner, {})
    for name in SERVICE_ENVIRONMENT:  # this node's own, if any: the job gets stax's
        base_env.pop(name, None)
    base_env.update(payload.services_env)
    masked = [str(v) for v in payload.secrets.values() if isinstance(v, str) and v]
    masked += [v for k, v in payload.services_env.items() if k.endswith("TOKEN") and v]
    masker = Masker(masked)
    contexts = RunContexts(
        github=github,
        runner=runner,
        inputs=payload.inputs,
        secrets=payload.secrets,
        vars=payload.vars,
        base_env=base_env,
        workspace=workspace,
        temp_dir=runner_temp,
        commands_dir=commands_dir,
    )
    actions = payload.settings.actions
    return RunScope(
        settings=payload.settings,
        workflow=payload.workflow,
        record=payload.run,
        contexts=contexts,
        reporter=Reporter(sink, payload.run.id, masker),
        masker=masker,
        control=RunControl(),
        approvals=_NoApprovals(),
        process_marker=payload.process_marker,
        actions=ActionSource(
            server=actions.server,
            offline=actions.offline_mode,
            local_repositories=dict(actions.local_repositories),
        ),
        executors=step_executors(),
        job_executor=LocalJobs(),
        skill_catalogs=SkillCatalogs(),
    )


class _NoApprovals:
    """Jobs that wait for an approval never reach a node (the executor refuses them)."""

    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        return False, "approvals are not available on a Ray node"
