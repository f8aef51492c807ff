"""`stax skill`: list, show and run skills.

    stax skill list [--json]                  the skills in the skill dirs (problems: stderr, exit 2)
    stax skill show ID [--json]               one skill: inputs, outputs, steps, gates
    stax skill run ID -i K=V ... [--json]     execute it; the exit code is its verdict

`run` converts each `-i` value to the input's declared type ("5" -> 5,
"true" -> true, JSON for objects and arrays). When a daemon answers, the
execution runs there (channel `cli`) and this terminal follows its stream;
otherwise it runs in this process and is written to the same store, so the
daemon's `GET /v1/skills/executions/{trace_id}` finds it later. `--local`
forces the second. Exit codes: 0 completed or degraded, 1 failed or
cancelled, 2 unknown skill or invalid inputs, 130 Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import trio

from runner import json_text
from runner.cli.exit_codes import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from runner.cli.render import Palette, format_duration, wants_color
from runner.cli.run import run_in_process
from runner.config import Settings, load_settings
from runner.dotenv import parse_assignment, read_dotenv
from runner.process.watchdog import start_watchdog
from runner.skills import describe_skill, load_catalog, resolve_skill_inputs, skill_summary

if TYPE_CHECKING:
    import argparse

    from runner.events.types import Event
    from runner.expressions import JSONValue
    from runner.model import Skill

_MARKS = {
    "step_completed": "✓",
    "step_skipped": "○",
    "step_degraded": "◐",
    "step_failed": "✗",
}
_STATUS_MARKS = {"completed": "✓", "degraded": "◐", "failed": "✗", "cancelled": "⊘"}


def skill_command(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    command = args.skill_command
    if command == "list":
        return _list(settings, as_json=args.json)
    if command == "show":
        return _show(settings, args.skill_id, as_json=args.json)
    return _run(settings, args)


# -- list and show ------------------------------------------------------------------------


def _list(settings: Settings, *, as_json: bool) -> int:
    catalog = load_catalog(settings.skills_dirs)
    if as_json:
        payload = {
            "skills": [skill_summary(skill) for skill in catalog.skills.values()],
            "errors": [str(error) for error in catalog.errors],
        }
        sys.stdout.write(json_text.dumps(payload, indent=2, ascii=False) + "\n")
    elif catalog.skills:
        width = max(len(skill_id) for skill_id in catalog.skills)
        for skill in catalog.skills.values():
            version = f"v{skill.version}" if skill.version else ""
            line = f"{skill.id:<{width}}  {version:<6}  {skill.description}"
            sys.stdout.write(line.rstrip() + "\n")
    else:
        dirs = ", ".join(str(d) for d in settings.skills_dirs)
        sys.stdout.write(f"no skills (looked in {dirs})\n")
    for error in catalog.errors:
        sys.stderr.write(f"stax: {error}\n")
    return EXIT_USAGE if catalog.errors else EXIT_OK


def _show(settings: Settings, skill_id: str, *, as_json: bool) -> int:
    skill = load_catalog(settings.skills_dirs).require(skill_id)
    if as_json:
        payload = describe_skill(skill, settings.root)
        sys.stdout.write(json_text.dumps(payload, indent=2, ascii=False) + "\n")
        return EXIT_OK
    out = sys.stdout
    described = describe_skill(skill, settings.root)
    version = f"  v{skill.version}" if skill.version else ""
    out.write(f"{skill.id}{version}  ({described['path']})\n")
    if skill.name and skill.name != skill.id:
        out.write(f"{skill.name}\n")
    if skill.description:
        out.write(f"{skill.description}\n")
    out.write("\ninputs:\n" if skill.inputs else "\ninputs: none\n")
    for name, spec in skill.inputs.items():
        if spec.required and spec.default is None:
            need = "required"
        else:
            need = f"default {json_text.dumps(spec.default)}"
        options = f" one of {', '.join(spec.options)}" if spec.options else ""
        text = f"  {name}: {spec.type}{options}, {need}"
        out.write(f"{text}  {spec.description}\n" if spec.description else f"{text}\n")
    out.write("\noutputs:\n" if skill.outputs else "\noutputs: none\n")
    for name, output in skill.outputs.items():
        out.write(f"  {name}: {output.description or output.value}\n")
    out.write("\nsteps:\n")
    for step in skill.steps:
        label = step.id or f"step_{step.index + 1}"
        line = f"  {step.index + 1}. {label}: {step.display_name}"
        if step.if_:
            line += f"  (if: {step.if_})"
        if step.gate is not None:
            gate = step.gate
            limits = [
                f"{key} {value:g}"
                for key, value in (
                    ("timeout-seconds", gate.timeout_seconds),
                    ("max-output-bytes", gate.max_output_bytes),
                )
                if value is not None
            ]
            limits.append("exit codes " + ",".join(str(c) for c in gate.allowed_exit_codes))
            line += f"  [gate: {'; '.join(limits)}; on-trip {gate.on_trip}]"
        out.write(line + "\n")
    return EXIT_OK


# -- run ------------------------------------------------------------------------------------


def _run(settings: Settings, args: argparse.Namespace) -> int:
    skill = load_catalog(settings.skills_dirs).require(args.skill_id)
    given: dict[str, JSONValue] = dict(
        parse_assignment(item, what="--input") for item in args.input
    )
    inputs = resolve_skill_inputs(skill, given, strict=False)  # InputProblems: exit 2
    view = Progress(as_json=args.json, verbose=args.verbose)
    if not args.local:
        from runner.cli.client import daemon_listening

        if daemon_listening(settings):
            return trio.run(_run_in_daemon, settings, skill, inputs, view)
    start_watchdog(grace_s=settings.step_kill_grace_seconds)  # before trio's threads
    return trio.run(_run_locally, settings, skill, inputs, view)


class Progress:
    """The terminal view of one execution, from its wire events (seed 002's names)."""

    def __init__(self, *, as_json: bool, verbose: bool, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.as_json = as_json
        self.verbose = verbose
        self.palette = Palette(enabled=not as_json and wants_color(self.out))
        self.result: dict[str, Any] | None = None

    def wire(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "done":
            self.result = {k: v for k, v in data.items() if k != "type"}
            self._finish()
            return
        if self.as_json:
            return
        p = self.palette
        body = data.get("data") if isinstance(data.get("data"), dict) else {}
        assert isinstance(body, dict)
        step = data.get("step_id")
        if kind == "skill_start":
            self._write(
                p.bold(f"▶ {body.get('skill_id')}") + p.dim(f"  trace {data.get('trace_id')}")
            )
        elif kind == "step_start":
            if self.verbose:
                self._write(p.dim(f"  ▸ {step}"))
        elif kind in _MARKS:
            mark = _MARKS[kind]
            colour = {"✓": p.green, "○": p.dim, "◐": p.yellow, "✗": p.red}[mark]
            detail = ""
            if kind == "step_completed":
                produced = body.get("produced_output") or {}
                detail = ", ".join(f"{k}={_short(v)}" for k, v in produced.items())
            elif kind == "step_skipped":
                detail = f"skipped (if: {body.get('condition')})"
            elif kind == "step_degraded":
                detail = str(body.get("reason") or "degraded")
            else:
                detail = str(body.get("error") or "failed")
            self._write(f"  {colour(mark)} {step}" + (p.dim(f"  {detail}") if detail else ""))
        elif kind == "skill_completed":
            status = str(body.get("status"))
            mark = _STATUS_MARKS.get(status, "?")
            colour = {"✓": p.green, "◐": p.yellow}.get(mark, p.red)
            took = format_duration(body.get("duration_ms"))
            error = body.get("error")
            line = f"{colour(mark)} {status} in {took}" + (f": {error}" if error else "")
            self._write(line)

    def log(self, lines: list[str]) -> None:
        if self.verbose and not self.as_json:
            for line in lines:
                self._write(self.palette.dim(f"    | {line}"))

    def _finish(self) -> None:
        result = self.result or {}
        if self.as_json:
            self.out.write(json_text.dumps(result, ascii=False) + "\n")
            return
        outputs = result.get("outputs") or {}
        if outputs:
            self._write("outputs:")
            for key, value in outputs.items():
                self._write(
                    f"  {key}: {value if isinstance(value, str) else json_text.dumps(value)}"
                )

    def write_line(self, text: str) -> None:
        if not self.as_json:
            self._write(text)

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def exit_code(self, *, interrupted: bool) -> int:
        if interrupted:
            return EXIT_CANCELLED
        status = (self.result or {}).get("status")
        return EXIT_OK if status in ("completed", "degraded") else EXIT_FAILED


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json_text.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _run_locally(
    settings: Settings, skill: Skill, inputs: dict[str, JSONValue], view: Progress
) -> int:
    from runner.api.skills import ExecutionView
    from runner.engine import execution_request, new_run_id
    from runner.events.payloads import LogChunk
    from runner.events.types import EventType
    from runner.skills import new_trace_id

    run_id = new_run_id()
    trace_id = new_trace_id(run_id)
    execution = ExecutionView(trace_id, skill_id=skill.id)

    def show(event: Event) -> None:
        if event.type is EventType.STEP_LOG:
            match event.payload:
                case LogChunk(lines=lines):
                    view.log([str(line) for line in lines])
        for kind, data in execution.feed(event):
            view.wire(kind, data)

    secrets = read_dotenv(settings.secrets_file) if settings.secrets_file.is_file() else {}
    request = execution_request(
        skill,
        inputs,
        channel="cli",
        workdir=Path.cwd(),
        run_id=run_id,
        trace_id=trace_id,
        secrets=secrets,
    )
    _, interrupted = await run_in_process(settings, request, show, what="execution")
    return view.exit_code(interrupted=interrupted)


async def _run_in_daemon(
    settings: Settings, skill: Skill, inputs: dict[str, JSONValue], view: Progress
) -> int:
    import httpx
    from httpx_sse import aconnect_sse

    from runner.api.auth import read_token
    from runner.cli.client import base_url
    from runner.engine.skill_runs import EXECUTION_JOB
    from runner.errors import StaxError
    from runner.skills import CHANNEL_HEADER

    token = read_token(settings.data_dir)
    headers = {CHANNEL_HEADER: "cli"}
    if token:
        headers["x-api-key"] = token
    interrupted = False
    async with httpx.AsyncClient(
        base_url=base_url(settings), timeout=httpx.Timeout(30.0, read=None)
    ) as client:
        try:
            async with aconnect_sse(
                client,
                "POST",
                f"/v1/skills/{skill.id}/execute/stream",
                json={"inputs": inputs},
                headers=headers,
            ) as source:
                response = source.response
                if response.status_code >= 400:
                    await response.aread()
                    raise StaxError(_error_text(response))
                with trio.open_signal_receiver(signal.SIGINT) as signals:
                    async with trio.open_nursery() as nursery:

                        async def on_signal() -> None:
                            nonlocal interrupted
                            async for _ in signals:
                                interrupted = True
                                sys.stderr.write(
                                    "\nstax: stopped following; the execution goes on in the "
                                    "daemon\n"
                                )
                                nursery.cancel_scope.cancel()

                        nursery.start_soon(on_signal)
                        async for sse in source.aiter_sse():
                            if sse.data:
                                view.wire(sse.event, json.loads(sse.data))
                        nursery.cancel_scope.cancel()
            if view.verbose and view.result is not None and not interrupted:
                # The stream carries no log lines: show the step's log once it is complete.
                run_id = str(view.result.get("trace_id", "")).split("-")[0]
                url = f"/api/runs/{run_id}/jobs/{EXECUTION_JOB}/steps/1/log"
                async with client.stream("GET", url) as log:  # line by line, however long
                    if log.status_code == 200:
                        view.write_line("log:")
                        async for line in log.aiter_lines():
                            view.log([line])
        except httpx.HTTPError as exc:
            raise StaxError(f"the daemon at {base_url(settings)} did not answer: {exc}") from None
    return view.exit_code(interrupted=interrupted)


def _error_text(response: Any) -> str:
    try:
        error = response.json().get("error", {})
        message = error.get("message") if isinstance(error, dict) else str(error)
    except (ValueError, AttributeError):
        message = response.text[:200]
    return f"daemon: {message} (HTTP {response.status_code})"
