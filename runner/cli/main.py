"""`stax`: dispatch a subcommand and turn its result into an exit code.

Exit codes: 0 success, 1 the run failed, 2 a usage, config or validation
error, 130 cancelled with Ctrl-C, 141 stdout closed by its reader (as a tool
killed by SIGPIPE: runner/cli/closed_output.py). A StaxError is printed as one line (or
one per problem for validation); anything else is a bug and keeps its
traceback. Subcommands import what they need when they run, so `stax run`
never pays for the HTTP stack.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from runner import __version__
from runner.cli.exit_codes import EXIT_CANCELLED, EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"stax: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


if TYPE_CHECKING:
    _Subcommands = argparse._SubParsersAction[_Parser]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `command`, only that subcommand's (building
    all of them costs a `stax run` more than parsing: argparse looks up translations
    for every parser it makes)."""
    parser = _Parser(prog="stax", description="Run GitHub Actions workflows on this machine.")
    parser.add_argument("--version", action="version", version=f"stax {__version__}")
    parser.add_argument("--config", metavar="FILE", help="stax.toml to use (default: nearest)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, add in _SUBCOMMANDS.items():
        if command is None or name == command:
            add(sub)
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names, if it names one we know (else None: then the
    whole parser is built, for help and errors)."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word if word in _SUBCOMMANDS else None
    return None


def _add_run(sub: _Subcommands) -> None:
    run = sub.add_parser(
        "run",
        help="run a workflow",
        description="Run a workflow on this machine (in the daemon when one is up).",
    )
    run.add_argument("workflow", help="a workflow file, or a name looked up in the workflow dirs")
    run.add_argument(
        "--event",
        "-e",
        metavar="NAME",
        help="event that triggers the run (default: push, or the workflow's first trigger)",
    )
    run.add_argument("--eventpath", metavar="FILE", help="event payload JSON (github.event)")
    run.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="K=V",
        help="workflow_dispatch/workflow_call input (repeatable)",
    )
    run.add_argument("--secret", "-s", action="append", default=[], metavar="K=V")
    run.add_argument(
        "--secret-file",
        metavar="FILE",
        help="dotenv file of secrets (default: .secrets if present)",
    )
    run.add_argument("--var", action="append", default=[], metavar="K=V")
    run.add_argument("--var-file", metavar="FILE")
    run.add_argument("--env", action="append", default=[], metavar="K=V")
    run.add_argument("--env-file", metavar="FILE")
    run.add_argument(
        "--job",
        "-j",
        action="append",
        default=[],
        metavar="ID",
        help="run this job and what it needs (repeatable)",
    )
    run.add_argument(
        "--matrix",
        action="append",
        default=[],
        metavar="K:V",
        help="only matrix combinations where K (a.b for an object's field) is V; "
        "repeated for one key: any of its values",
    )
    run.add_argument(
        "--actor",
        "-a",
        metavar="LOGIN",
        help="the user that triggered the event: github.actor (default: git's user.name)",
    )
    run.add_argument("--workdir", "-C", metavar="DIR", help="the workspace (default: .)")
    run.add_argument(
        "--local-repository",
        action="append",
        default=[],
        metavar="OWNER/REPO@REF=PATH",
        help="use the folder PATH for the actions of this repository at this ref, as is "
        "(also https://HOST/OWNER/REPO@REF=PATH for one server; repeatable)",
    )
    run.add_argument(
        "--bind",
        action="store_true",
        help="run every job in the working tree itself, not in a snapshot of its own",
    )
    run.add_argument(
        "--action-offline-mode",
        action="store_true",
        help="never fetch actions: use the ones cached by earlier runs",
    )
    run.add_argument("--json", action="store_true", help="print canonical events as JSON lines")
    run.add_argument(
        "--approve",
        action="store_true",
        help="approve every job that waits for an environment's approval",
    )
    run.add_argument(
        "--local", action="store_true", help="run in this process even when a daemon is up"
    )
    run.add_argument("--verbose", "-v", action="store_true", help="unfold ::group:: sections")


def _add_validate(sub: _Subcommands) -> None:
    validate = sub.add_parser("validate", help="check workflow files and report every problem")
    validate.add_argument("workflows", nargs="+", metavar="WORKFLOW")


def _add_serve(sub: _Subcommands) -> None:
    serve = sub.add_parser("serve", help="run the daemon (127.0.0.1:4800 by default)")
    serve.add_argument("--host", help="address to bind (loopback unless stax.toml allows more)")
    serve.add_argument("--port", type=int, help="port to bind (0: any free port)")
    serve.add_argument("--data-dir", metavar="DIR", help="where the store lives (default .stax)")


def _add_log(sub: _Subcommands) -> None:
    log = sub.add_parser("log", help="show the events of runs, live with -f")
    log.add_argument("run_id", nargs="?", metavar="RUN_ID")
    log.add_argument("--follow", "-f", action="store_true", help="keep following")
    log.add_argument("--json", action="store_true", help="print canonical events as JSON lines")
    log.add_argument("--verbose", "-v", action="store_true", help="unfold ::group:: sections")


def _add_runs(sub: _Subcommands) -> None:
    runs = sub.add_parser("runs", help="list recent runs")
    runs.add_argument("--limit", "-n", type=int, default=20)
    runs.add_argument("--status", help="queued, in_progress, completed, or a conclusion")
    runs.add_argument("--workflow", help="only runs of this workflow")
    runs.add_argument("--json", action="store_true")


def _add_cancel(sub: _Subcommands) -> None:
    cancel = sub.add_parser("cancel", help="cancel a run in the daemon (twice: kill)")
    cancel.add_argument("run_id", metavar="RUN_ID")


def _add_approve(sub: _Subcommands) -> None:
    approve = sub.add_parser("approve", help="approve a job waiting for its environment")
    approve.add_argument("run_id", metavar="RUN_ID")
    approve.add_argument("job_id", metavar="JOB_ID")
    approve.add_argument("--reject", action="store_true", help="reject instead")


def _add_skill(sub: _Subcommands) -> None:
    skill = sub.add_parser("skill", help="list, show and run skills")
    skill_sub = skill.add_subparsers(
        dest="skill_command", metavar="SUBCOMMAND", parser_class=_Parser
    )
    skill_sub.required = True
    skill_list = skill_sub.add_parser("list", help="the skills in the skill dirs")
    skill_list.add_argument("--json", action="store_true")
    skill_show = skill_sub.add_parser("show", help="a skill's inputs, outputs and steps")
    skill_show.add_argument("skill_id", metavar="ID")
    skill_show.add_argument("--json", action="store_true")
    skill_run = skill_sub.add_parser("run", help="execute a skill (in the daemon when one is up)")
    skill_run.add_argument("skill_id", metavar="ID")
    skill_run.add_argument(
        "--input", "-i", action="append", default=[], metavar="K=V", help="an input (repeatable)"
    )
    skill_run.add_argument("--json", action="store_true", help="print only the result as JSON")
    skill_run.add_argument("--local", action="store_true", help="run in this process")
    skill_run.add_argument("--verbose", "-v", action="store_true", help="show every step's log")


_SUBCOMMANDS: dict[str, Callable[[_Subcommands], None]] = {
    "run": _add_run,
    "validate": _add_validate,
    "serve": _add_serve,
    "log": _add_log,
    "runs": _add_runs,
    "cancel": _add_cancel,
    "approve": _add_approve,
    "skill": _add_skill,
}


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs subcommand `name`, imported only now (see the docstring)."""
    match name:
        case "run":
            from runner.cli.run import run_command

            return run_command
        case "validate":
            from runner.cli.validate import validate_command

            return validate_command
        case "serve":
            from runner.cli.serve import serve_command

            return serve_command
        case "log":
            from runner.cli.log import log_command

            return log_command
        case "runs" | "cancel" | "approve":
            from runner.cli import runs

            return {"runs": runs.runs_command, "cancel": runs.cancel_command}.get(
                name, runs.approve_command
            )
        case _:
            from runner.cli.skill import skill_command

            return skill_command


def main(argv: Sequence[str] | None = None, *, warm: bool = True) -> int:
    """`stax <argv>`; with `warm`, a `stax run` goes to a warm process when one is up
    (runner/cli/warm_start.py), and starts one for the next run when none is."""
    if argv is None:
        argv = sys.argv[1:]
    command = requested_command(argv)
    if warm and command == "run":
        from runner.cli import warm_start

        if warm_start.enabled():
            try:
                code = warm_start.run_warm(argv)
            except KeyboardInterrupt:  # before the hand-over was done: nothing ran here
                return EXIT_CANCELLED
            if code is not None:
                return code
            warm_start.start_warm_process()
    args = build_parser(command).parse_args(argv)
    if args.command == "run":
        # The run may execute in this process: fork its step watchdog now, while the
        # process is small (a fork shares every page it has, and each one the parent
        # writes afterwards costs it a fault and a copy): before trio and the engine.
        from runner.process.watchdog import start_watchdog

        start_watchdog()
    from runner.cli.closed_output import EXIT_CLOSED_OUTPUT, only_closed_output, silence_stdout
    from runner.errors import StaxError

    try:
        result = _command(args.command)(args)
    except StaxError as exc:
        sys.stderr.write(f"stax: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except BrokenPipeError:
        silence_stdout()
        return EXIT_CLOSED_OUTPUT
    except BaseExceptionGroup as group:
        if only_closed_output(group):
            silence_stdout()
            return EXIT_CLOSED_OUTPUT
        # Errors from inside nurseries arrive grouped; a user mistake is still one line.
        leaves = list(_leaves(group))
        if leaves and all(isinstance(e, StaxError) for e in leaves):
            for error in dict.fromkeys(str(e) for e in leaves):
                sys.stderr.write(f"stax: {error}\n")
            return EXIT_USAGE
        if leaves and all(isinstance(e, KeyboardInterrupt) for e in leaves):
            return EXIT_CANCELLED
        raise
    return result


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error
