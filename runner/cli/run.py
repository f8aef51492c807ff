"""`stax run`: run a workflow and show it live; the exit code is the run's verdict.

When a daemon answers on the configured address, the run executes there
(with this directory as its workspace) and this terminal follows it;
otherwise it runs in this process and writes the same store, so `stax log`
and `stax runs` see it either way. `--local` forces the second.

Ctrl-C once cancels the run the way GitHub cancels one (running steps get
SIGTERM, `if: always()` cleanup still runs); twice kills every step process.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from runner.catalog import find_workflow
from runner.cli.main import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK
from runner.cli.render import JsonRenderer, TerminalRenderer
from runner.config import Settings, check_local_repository_key, load_settings
from runner.dotenv import parse_assignment, read_dotenv
from runner.engine import Approver, RunRequest, WorkflowRun
from runner.errors import ConfigError
from runner.events.types import Event
from runner.model import load_workflow
from runner.process import start_watchdog
from runner.workspace import repository_root

if TYPE_CHECKING:
    import argparse

    from runner.engine.records import RunRecord
    from runner.expressions import JSONValue

Renderer = Callable[[Event], None]


@dataclass(slots=True, kw_only=True)
class RunArgs:
    """What the command line asks for, read and checked, before choosing where to run."""

    workflow_path: Path
    workdir: Path
    event: str | None = None
    event_payload: dict[str, JSONValue] | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    jobs: list[str] = field(default_factory=list)
    matrix: dict[str, list[str]] = field(default_factory=dict)  # --matrix k:v, repeatable
    approve: bool = False
    local_repositories: dict[str, str] = field(default_factory=dict)  # key -> absolute path
    action_offline_mode: bool = False
    actor: str | None = None
    bind: bool = False  # every job in the workdir itself

    def request(self) -> RunRequest:
        return RunRequest(
            workflow=load_workflow(self.workflow_path),
            workdir=self.workdir,
            event_name=self.event,
            event_payload=self.event_payload,
            inputs=self.inputs,
            secrets=self.secrets,
            vars=self.vars,
            env=self.env,
            jobs=tuple(self.jobs),
            matrix_filters={key: tuple(values) for key, values in self.matrix.items()},
            approve_all=self.approve,
            local_repositories=self.local_repositories,
            action_offline_mode=self.action_offline_mode,
            actor=self.actor,
            bind=self.bind,
        )

    def body(self) -> dict[str, Any]:
        """The POST /api/runs body asking the daemon for the same run."""
        body: dict[str, Any] = {
            "workflow": str(self.workflow_path.resolve()),
            "workdir": str(self.workdir),
            "inputs": self.inputs,
            "secrets": self.secrets,
            "vars": self.vars,
            "env": self.env,
            "jobs": self.jobs,
            "matrix": self.matrix,
            "approve": self.approve,
        }
        if self.local_repositories:
            body["localRepositories"] = self.local_repositories
        if self.action_offline_mode:
            body["actionOfflineMode"] = True
        if self.bind:
            body["bind"] = True
        if self.event:
            body["event"] = self.event
        if self.actor:
            body["actor"] = self.actor
        if self.event_payload is not None:
            body["eventPayload"] = self.event_payload
        return body


def run_command(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    run_args = read_run_args(args, settings)
    renderer = (
        JsonRenderer() if args.json else TerminalRenderer(fold=False if args.verbose else None)
    )
    interactive = sys.stdin.isatty() and not args.json
    _note_where_jobs_run(run_args, settings)
    if not args.local:
        from runner.cli.client import daemon_listening

        if daemon_listening(settings):
            from runner.cli.remote import run_in_daemon

            return trio.run(run_in_daemon, settings, run_args, renderer.handle, interactive)
    request = run_args.request()
    # Before trio starts threads: the steps die with this process, even by kill -9.
    start_watchdog(grace_s=settings.step_kill_grace_seconds)
    return trio.run(_run_locally, settings, request, renderer.handle, interactive)


def _note_where_jobs_run(run_args: RunArgs, settings: Settings) -> None:
    """Jobs run in snapshots of the repository; outside one, they run in the workdir
    itself: say so to the person at the terminal, since what they write stays there.
    (Not to a script reading stderr: one line of it is a usage error's.)"""
    if not sys.stderr.isatty() or run_args.bind or settings.workspace.bind:
        return
    if repository_root(run_args.workdir) is None:
        print(
            f"note: {run_args.workdir} is not in a git repository: every job runs in it, "
            "not in a snapshot of its own (what a job writes there stays)",
            file=sys.stderr,
        )


async def _run_locally(
    settings: Settings, request: RunRequest, render: Renderer, interactive: bool
) -> int:
    record, interrupted = await run_in_process(
        settings, request, render, approvals=TerminalApprover(interactive=interactive)
    )
    return exit_code(record.conclusion, interrupted=interrupted)


async def run_in_process(
    settings: Settings,
    request: RunRequest,
    render: Renderer,
    *,
    approvals: Approver | None = None,
    what: str = "run",
) -> tuple[RunRecord, bool]:
    """Run `request` here, writing the same store a daemon would (so `stax log` and `stax
    runs` see it), rendering each event once committed. Ctrl-C cancels, twice kills.
    Returns the final record and whether Ctrl-C interrupted it."""
    from runner.events.store import EventStore

    def publish(batch: list[Event]) -> None:
        for event in batch:
            render(event)

    store: EventStore | None = EventStore(
        settings.data_dir,
        publish=publish,
        retention_runs=settings.retention_runs,
        # Nobody follows a local run live but this terminal, and 20 ms is below what
        # it can show: lingering longer lets ~10 quick steps share one commit (a thread
        # hop and a transaction each), which bench/steps.py measures as ~0.6 ms a step.
        linger_s=0.02,
    )
    try:
        assert store is not None
        store.open()
    except ConfigError as exc:
        sys.stderr.write(f"stax: {exc}: this {what} is not recorded\n")
        store = None
    try:
        async with trio.open_nursery() as nursery:
            if store is not None:
                await nursery.start(store.run)
                sink: Any = store
            else:
                sink = CallbackSink(render)
            async with _with_services(settings, request, recorded=store is not None) as served:
                run = WorkflowRun(served, settings, sink, approvals=approvals)
                record = run.prepare()
                if store is not None:
                    record.run_number = await store.next_run_number(record.workflow)
                interrupted = await _run_with_signals(run)
            if store is not None:
                store.close_writer()
    finally:
        if store is not None:
            store.close()
    return record, interrupted


@asynccontextmanager
async def _with_services(
    settings: Settings, request: RunRequest, *, recorded: bool
) -> AsyncIterator[RunRequest]:
    """`request` with the runner services, from a loopback server in this process, while
    the run lasts — only when the run needs them (runner/actions/services/needs.py): a
    run that does not never imports the server. A run that is not recorded keeps its
    artifacts in a temporary directory, gone with the run."""
    from runner.actions.services import needs_services

    mode = settings.services.local
    if request.services is not None or not needs_services(
        request.workflow, request.workdir, mode=mode
    ):
        yield request
        return
    from runner.actions.services import LocalServices

    data_dir = settings.data_dir if recorded else Path(tempfile.mkdtemp(prefix="stax-services-"))
    try:
        async with trio.open_nursery() as nursery:
            access = await nursery.start(LocalServices(settings, data_dir=data_dir).run)
            yield replace(request, services=access)
            nursery.cancel_scope.cancel()
    finally:
        if not recorded:
            shutil.rmtree(data_dir, ignore_errors=True)


async def _run_with_signals(run: WorkflowRun) -> bool:
    """Run until done; the first SIGINT cancels, the second kills. True if interrupted."""
    interrupted = False
    async with trio.open_nursery() as nursery:

        async def watch() -> None:
            nonlocal interrupted
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    if not interrupted:
                        interrupted = True
                        sys.stderr.write("\nstax: cancelling (Ctrl-C again to kill)\n")
                        run.cancel("cancelled by Ctrl-C")
                    else:
                        sys.stderr.write("\nstax: killing\n")
                        run.kill()

        nursery.start_soon(watch)
        await run.run()
        nursery.cancel_scope.cancel()
    return interrupted


def read_run_args(args: argparse.Namespace, settings: Settings) -> RunArgs:
    path = find_workflow(args.workflow, settings)
    load_workflow(path)  # validate before anything runs (raises WorkflowErrors)
    workdir = Path(args.workdir).resolve() if args.workdir else Path.cwd()
    if not workdir.is_dir():
        raise ConfigError(f"--workdir {args.workdir}: not a directory")
    secrets: dict[str, str] = {}
    secret_file = Path(args.secret_file) if args.secret_file else settings.secrets_file
    if args.secret_file or secret_file.is_file():
        secrets.update(read_dotenv(secret_file))
    secrets.update(_pairs(args.secret, "--secret"))
    variables = read_dotenv(Path(args.var_file)) if args.var_file else {}
    variables.update(_pairs(args.var, "--var"))
    env = read_dotenv(Path(args.env_file)) if args.env_file else {}
    env.update(_pairs(args.env, "--env"))
    return RunArgs(
        workflow_path=path,
        workdir=workdir,
        event=args.event,
        event_payload=_read_event(Path(args.eventpath)) if args.eventpath else None,
        inputs=_pairs(args.input, "--input"),
        secrets=secrets,
        vars=variables,
        env=env,
        jobs=list(args.job),
        matrix=_matrix(args.matrix),
        approve=args.approve,
        local_repositories=dict(_local_repository(item) for item in args.local_repository),
        action_offline_mode=args.action_offline_mode,
        actor=args.actor or None,
        bind=args.bind,
    )


def _local_repository(item: str) -> tuple[str, str]:
    """act's `--local-repository OWNER/REPO@REF=PATH` (the key ends at the first `=`)."""
    key, equals, path = item.partition("=")
    where = f"--local-repository {item}"
    if not equals or not path:
        raise ConfigError(f"{where}: expected OWNER/REPO@REF=PATH")
    try:
        check_local_repository_key(key)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"{where}: {folder} is not a directory")
    return key, str(folder)


def _matrix(items: list[str]) -> dict[str, list[str]]:
    """Repeated `--matrix k:v`: for one key, any of its values (as in act)."""
    matrix: dict[str, list[str]] = {}
    for item in items:
        key, value = parse_assignment(item, what="--matrix", separator=":")
        matrix.setdefault(key, []).append(value)
    return matrix


def _pairs(items: list[str], what: str) -> dict[str, str]:
    return dict(parse_assignment(item, what=what) for item in items)


def _read_event(path: Path) -> dict[str, JSONValue]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--eventpath {path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"--eventpath {path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
        ) from None
    if not isinstance(payload, dict):
        raise ConfigError(f"--eventpath {path}: expected a JSON object")
    return payload


def exit_code(conclusion: object, *, interrupted: bool) -> int:
    if interrupted:
        return EXIT_CANCELLED
    return EXIT_OK if conclusion in ("success", "skipped") else EXIT_FAILED


class CallbackSink:
    """Numbers events and hands each to a callback, in order (runs that are not stored)."""

    def __init__(self, callback: Renderer) -> None:
        self.callback = callback
        self.seq = 0

    async def emit(self, event: Event) -> None:
        self.seq += 1
        self.callback(replace(event, seq=self.seq))


class TerminalApprover:
    """Asks on the terminal; without one, refuses with a message saying what to do."""

    def __init__(self, *, interactive: bool) -> None:
        self.interactive = interactive

    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        if not self.interactive:
            sys.stderr.write(no_terminal_message(job_id, environment))
            return False, "no terminal (use --approve)"
        return await ask_approval(job_id, environment), "terminal"


def no_terminal_message(job_id: str, environment: str) -> str:
    return (
        f"stax: job {job_id!r} needs approval for environment {environment!r} and there "
        "is no terminal to ask on: re-run with --approve\n"
    )


async def ask_approval(job_id: str, environment: str) -> bool:
    prompt = f"Approve job {job_id!r} for environment {environment!r}? [y/N] "
    answer = await trio.to_thread.run_sync(_ask, prompt, abandon_on_cancel=True)
    return answer.strip().lower() in ("y", "yes")


def _ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()
