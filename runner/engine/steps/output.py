"""A step's output stream: workflow commands, masking, then log events.

Lines arrive in chunks (one pipe read). A chunk with no `::` in it, the
usual case, is masked with one regex pass and emitted as one event. Lines
holding commands are handled in order, because `::add-mask::` must hide a
value from the very next line on.

What a command leaves in the log mirrors the GitHub runner's raw logs:
group/endgroup/error/warning/notice/debug become `##[group]...` and the like
(renderers fold and colour them); the other commands are consumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.engine import faults
from runner.engine.commands import KNOWN, Command, parse_command
from runner.engine.problem_matchers import MatcherError

if TYPE_CHECKING:
    from runner.engine.masking import Masker
    from runner.engine.problem_matchers import ProblemMatchers
    from runner.engine.reporter import Reporter
    from runner.expressions import JSONValue

_ANNOTATION_LEVELS = ("error", "warning", "notice")
_TEXT_PROPERTIES = ("file", "title")
_NUMBER_PROPERTIES = ("line", "endLine", "col", "endColumn")
# What .NET's int.TryParse takes (the runner's parse of these): ASCII digits, a sign,
# surrounding blanks; an Int32.
_INT32 = re.compile(r"[\t-\r ]*[+-]?[0-9]{1,10}[\t-\r ]*", re.ASCII)
_INT32_MAX = 2**31 - 1


@dataclass(slots=True, kw_only=True)
class StepOutput:
    """Handles one step's lines; collects what commands set."""

    reporter: Reporter
    masker: Masker
    job_id: str
    step_number: int
    debug: bool = False
    outputs: dict[str, str] = field(default_factory=dict)  # ::set-output::
    state: dict[str, str] = field(default_factory=dict)  # ::save-state::
    errors: list[str] = field(default_factory=list)  # messages of ::error:: annotations
    failed_commands: list[str] = field(default_factory=list)  # disabled commands that were used
    # ACTIONS_ALLOW_UNSECURE_COMMANDS=true in the step's environment enables these two:
    allow_unsecure_commands: bool = False
    set_env: dict[str, str] = field(default_factory=dict)  # ::set-env name=X::value
    added_paths: list[str] = field(default_factory=list)  # ::add-path::dir, in order
    matchers: ProblemMatchers | None = None  # the job's, once a step added one
    _stop_token: str | None = None
    _echo: bool = False

    def child(self) -> StepOutput:
        """An output for an inner step (of a composite action) logging into the same step."""
        return StepOutput(
            reporter=self.reporter,
            masker=self.masker,
            job_id=self.job_id,
            step_number=self.step_number,
            debug=self.debug,
            matchers=self.matchers,
        )

    async def on_lines(self, stream: str, lines: list[str]) -> None:
        """The process.LineHandler of this step."""
        if faults.ARMED is not None:
            faults.inject("log", "\n".join(lines))
        text = "\n".join(lines)
        if "::" not in text and "##[" not in text:  # C-level searches, not a call per line
            await self.reporter.step_log(
                self.job_id, self.step_number, stream, self.masker.mask_lines(lines)
            )
            await self._match(lines)
            return
        pending: list[str] = []
        plain: list[str] = []  # the lines for the problem matchers, before the next command
        for line in lines:
            command = None if self._stopped_for(line) else parse_command(line)
            if command is None or command.name not in KNOWN:
                pending.append(self.masker.mask_line(line))
                plain.append(line)
                continue
            if pending:
                await self.reporter.step_log(self.job_id, self.step_number, stream, pending)
                pending = []
            await self._match(plain)
            plain = []
            shown = await self._apply(command, line)
            if shown is not None:
                pending.append(self.masker.mask_line(shown))
        if pending:
            await self.reporter.step_log(self.job_id, self.step_number, stream, pending)
        await self._match(plain)

    async def _match(self, lines: list[str]) -> None:
        """Annotations the job's problem matchers find in `lines`."""
        if not self.matchers:
            return
        for line in lines:
            for level, message, properties in self.matchers.match(line):
                await self.annotate(level, message, **properties)

    async def write(self, lines: list[str], stream: str = "stdout") -> None:
        """Log lines stax itself writes into the step (headers, errors); masked, not parsed."""
        await self.reporter.step_log(
            self.job_id, self.step_number, stream, self.masker.mask_lines(lines)
        )

    async def annotate(self, level: str, message: str, **properties: JSONValue) -> None:
        annotation: dict[str, JSONValue] = {"level": level, "message": message}
        annotation.update({k: v for k, v in properties.items() if v is not None})
        if level == "error":
            self.errors.append(message)
        await self.reporter.step_annotation(self.job_id, self.step_number, annotation)

    def _stopped_for(self, line: str) -> bool:
        if self._stop_token is None:
            return False
        if line.strip() == f"::{self._stop_token}::":
            self._stop_token = None
        return True

    async def _apply(self, command: Command, line: str) -> str | None:
        """Carry out `command`; return the log line it leaves, if any."""
        name, message = command.name, command.message
        echo = line if self._echo else None
        if name == "add-mask":
            self.masker.add(message)
            return self.masker.mask(echo) if echo else None
        if name == "group":
            return f"##[group]{message}"
        if name == "endgroup":
            return "##[endgroup]"
        if name == "debug":
            return f"##[debug]{message}" if self.debug else None
        if name in _ANNOTATION_LEVELS:
            props = annotation_properties(command.properties)
            await self.annotate(name, message, **props)  # (masked as it is emitted)
            return f"##[{name}]{message}"
        if name == "set-output":
            key = command.properties.get("name", "")
            if key:
                self.outputs[key] = message
            return echo
        if name == "save-state":
            key = command.properties.get("name", "")
            if key:
                self.state[key] = message
            return echo
        if name == "stop-commands":
            self._stop_token = message or None
            return echo
        if name == "echo":
            self._echo = message.strip().lower() == "on"
            return None
        if name == "set-env" and self.allow_unsecure_commands:
            key = command.properties.get("name", "")
            if key:
                self.set_env[key] = message
            return echo
        if name == "add-path" and self.allow_unsecure_commands:
            if message:
                self.added_paths.append(message)
            return echo
        if name in ("set-env", "add-path"):
            text = (
                f"The `{name}` command is disabled. Please upgrade to using Environment "
                f"Files or opt into unsecure command execution by setting the "
                f"`ACTIONS_ALLOW_UNSECURE_COMMANDS` environment variable to `true`."
            )
            self.failed_commands.append(name)
            await self.annotate("error", text)
            return f"##[error]{text}"
        if name == "add-matcher" and self.matchers is not None:
            try:
                self.matchers.add(message.strip())
            except MatcherError as exc:
                await self.annotate("warning", str(exc))
            return echo
        if name == "remove-matcher" and self.matchers is not None:
            self.matchers.remove(command.properties.get("owner", "").strip())
        return echo


def annotation_properties(properties: dict[str, str]) -> dict[str, JSONValue]:
    """An annotation's file, title and position, as the runner checks them: a line or
    column that is not a number (`line=²`, 5,000 digits) is ignored, as GitHub ignores
    it; an end without its start stands for the start; columns need a line (and one
    line); an end before its start drops the pair."""
    props: dict[str, JSONValue] = {
        key: properties[key] for key in _TEXT_PROPERTIES if key in properties
    }
    numbers = {key: _int32(properties.get(key)) for key in _NUMBER_PROPERTIES}
    line, end_line = numbers["line"], numbers["endLine"]
    col, end_col = numbers["col"], numbers["endColumn"]
    if line is None:
        line = end_line
    if col is None:
        col = end_col
    if line is None or (end_line is not None and end_line != line):
        col = end_col = None
    if line is not None and end_line is not None and end_line < line:
        line = end_line = None
    if col is not None and end_col is not None and end_col < col:
        col = end_col = None
    position = {"line": line, "endLine": end_line, "col": col, "endColumn": end_col}
    props.update({key: value for key, value in position.items() if value is not None})
    return props


def _int32(text: str | None) -> int | None:
    if text is None or not _INT32.fullmatch(text):
        return None
    value = int(text)
    return value if -_INT32_MAX - 1 <= value <= _INT32_MAX else None
