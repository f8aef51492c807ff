"""`stax run`: run a workflow and show it live; the exit code is the run's verdict.

When a daemon answers on the configured address, the run executes there
(with this directory as its workspace) and this terminal follows it;
otherwise it runs in this process and writes the same store, so `stax log`
and `stax runs` see it either way. `--local` forces the second.

Ctrl-C once cancels the run the way GitHub cancels one (running steps get
SIGTERM, `if: always()` cleanup still runs); twice kills every step process.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from runner.cli.approval import TerminalApprover
from runner.cli.closed_output import EXIT_CLOSED_OUTPUT, OutputGuard
from runner.cli.exit_codes import exit_code
from runner.cli.render import JsonRenderer, TerminalRenderer
from runner.cli.run_args import RunArgs, read_run_args
from runner.config import Settings, load_settings
from runner.engine import Approver, RunRequest, WorkflowRun
from runner.errors import ConfigError
from runner.executors import executor_for
from runner.process.watchdog import set_watchdog_grace, start_watchdog
from runner.workspace import repository_root

if TYPE_CHECKING:
    import argparse
    from collections.abc import AsyncIterator

    from runner.cli.render import Renderer
    from runner.engine.records import RunRecord
    from runner.events.types import Event


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
    # (main() has forked it already, while the process was small; this sets its grace.)
    start_watchdog()
    set_watchdog_grace(settings.step_kill_grace_seconds)
    return trio.run(_run_locally, settings, request, OutputGuard(renderer.handle), interactive)


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
    settings: Settings, request: RunRequest, output: OutputGuard, interactive: bool
) -> int:
    record, interrupted = await run_in_process(
        settings, request, output, approvals=TerminalApprover(interactive=interactive)
    )
    if output.closed:
        return EXIT_CLOSED_OUTPUT
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
    runs` see it), rendering each event once committed. Ctrl-C cancels, twice kills;
    so does closing the output when `render` is an OutputGuard (the reader went away).
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
                run = WorkflowRun(
                    served,
                    settings,
                    sink,
                    approvals=approvals,
                    job_executor=executor_for(settings.executor),
                )
                if isinstance(render, OutputGuard):
                    render.on_closed = partial(run.cancel, "the output was closed")
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
    from runner.actions.services.local_server import LocalServices

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


class CallbackSink:
    """Numbers events and hands each to a callback, in order (runs that are not stored)."""

    def __init__(self, callback: Renderer) -> None:
        self.callback = callback
        self.seq = 0

    async def emit(self, event: Event) -> None:
        self.seq += 1
        self.callback(event.replaced(seq=self.seq))
