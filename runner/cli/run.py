"""`stax run`: build a RunRequest from flags and files, run it, show it live.

Ctrl-C once cancels the run the way GitHub cancels one (running steps get
SIGTERM, `if: always()` cleanup still runs); twice kills every step process
at once. The exit code is the run's verdict.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import trio

from runner.catalog import find_workflow
from runner.cli.main import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK
from runner.cli.render import JsonRenderer, TerminalRenderer
from runner.config import Settings, load_settings
from runner.dotenv import parse_assignment, read_dotenv
from runner.engine import RunRequest, WorkflowRun
from runner.errors import ConfigError
from runner.events.types import Event
from runner.expressions import JSONValue
from runner.model import load_workflow


def run_command(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    request = build_request(args, settings)
    renderer = JsonRenderer() if args.json else TerminalRenderer(fold=False if args.verbose
                                                                 else None)
    approvals = TerminalApprover(interactive=sys.stdin.isatty() and not args.json)
    sink = CallbackSink(renderer.handle)
    run = WorkflowRun(request, settings, sink, approvals=approvals)
    run.prepare()
    interrupted = trio.run(_run_with_signals, run)
    record = run.record
    assert record is not None
    if interrupted:
        return EXIT_CANCELLED
    return EXIT_OK if record.conclusion in ("success", "skipped") else EXIT_FAILED


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


def build_request(args: argparse.Namespace, settings: Settings) -> RunRequest:
    path = find_workflow(args.workflow, settings)
    workflow = load_workflow(path)
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
    event_payload: dict[str, JSONValue] | None = None
    if args.eventpath:
        event_payload = _read_event(Path(args.eventpath))
    matrix = dict(parse_assignment(item, what="--matrix", separator=":") for item in args.matrix)
    return RunRequest(
        workflow=workflow, workdir=workdir, event_name=args.event, event_payload=event_payload,
        inputs=_pairs(args.input, "--input"), secrets=secrets, vars=variables, env=env,
        jobs=tuple(args.job), matrix_filters=matrix, approve_all=args.approve,
    )


def _pairs(items: list[str], what: str) -> dict[str, str]:
    return dict(parse_assignment(item, what=what) for item in items)


def _read_event(path: Path) -> dict[str, JSONValue]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--eventpath {path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--eventpath {path}:{exc.lineno}:{exc.colno}: invalid JSON: "
                          f"{exc.msg}") from None
    if not isinstance(payload, dict):
        raise ConfigError(f"--eventpath {path}: expected a JSON object")
    return payload


class CallbackSink:
    """Numbers events and hands each to a callback, in order (in-process runs)."""

    def __init__(self, callback: Callable[[Event], None]) -> None:
        self.callback = callback
        self.seq = 0

    async def emit(self, event: Event) -> None:
        self.seq += 1
        self.callback(replace(event, seq=self.seq))


class TerminalApprover:
    """Asks on the terminal; without one, refuses with a message saying what to do."""

    def __init__(self, *, interactive: bool) -> None:
        self.interactive = interactive

    async def wait_for_approval(self, run_id: str, job_id: str,
                                environment: str) -> tuple[bool, str]:
        if not self.interactive:
            sys.stderr.write(f"stax: job {job_id!r} needs approval for environment "
                             f"{environment!r} and there is no terminal to ask on: re-run with "
                             "--approve\n")
            return False, "no terminal (use --approve)"
        prompt = f"Approve job {job_id!r} for environment {environment!r}? [y/N] "
        answer = await trio.to_thread.run_sync(_ask, prompt, abandon_on_cancel=True)
        return answer.strip().lower() in ("y", "yes"), "terminal"


def _ask(prompt: str) -> str:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline()
