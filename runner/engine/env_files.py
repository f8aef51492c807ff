"""The files a step writes to talk back: $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_STATE,
$GITHUB_PATH and $GITHUB_STEP_SUMMARY.

Every step gets its own five files, created empty (as the runner does: some
scripts `cat` them), read after the step and removed.

OUTPUT/ENV/STATE hold `name=value` lines or heredocs:

    name<<DELIMITER
    line one
    line two
    DELIMITER

exactly as the GitHub runner reads them (a missing delimiter is an error).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.errors import RunError
from runner.process.spawn import environment_problem

if TYPE_CHECKING:
    from pathlib import Path

KINDS = ("output", "env", "path", "state", "step_summary")
# What one file may hold: read whole into memory, a step writing gigabytes to it would
# take the engine's memory. (GitHub caps a step summary at 1 MiB and a job's outputs at
# 1 MB; stax is more generous, but bounded.)
MAX_FILE_BYTES = 16 << 20
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC


@dataclass(slots=True, kw_only=True)
class StepFiles:
    """One step's five files, and what they held once it ended."""

    directory: str
    token: str  # unique in the run
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @classmethod
    def create(cls, directory: Path, token: str) -> StepFiles:
        files = cls(directory=str(directory), token=token)
        for kind in KINDS:
            # os.open, not Path.touch: this runs for every step (touch tries utime first).
            os.close(os.open(files.path(kind), _CREATE, 0o644))
        return files

    def path(self, kind: str) -> str:
        return f"{self.directory}/{kind}{self.token}"

    def variables(self) -> dict[str, str]:
        """GITHUB_OUTPUT=... and the others, for the step's environment."""
        return {f"GITHUB_{kind.upper()}": self.path(kind) for kind in KINDS}

    def write_script(self, name: str, text: str) -> str:
        """Write the step's script beside its files; return its path."""
        path = f"{self.directory}/{name}{self.token}"
        fd = os.open(path, _CREATE, 0o644)
        try:
            os.write(fd, _encoded(text))
        finally:
            os.close(fd)
        return path

    def collect(self) -> None:
        """Read what the step wrote, then remove the files. Raises RunError for a
        malformed file, or one that hands later steps what no process environment can
        hold (a NUL byte; the files are removed all the same)."""
        try:
            self.outputs = self._pairs("output")
            self.env = self._pairs("env")
            self.paths = [line.strip() for line in self._text("path").splitlines() if line.strip()]
            self.state = self._pairs("state")
            self.summary = self._text("step_summary")
        finally:
            self.remove()
        problem = environment_problem(self.env)
        if problem is not None:
            raise RunError(f"$GITHUB_ENV: {problem}")
        for directory in self.paths:
            if "\0" in directory:
                raise RunError(f"$GITHUB_PATH: {directory!r} holds a NUL character")

    def remove(self) -> None:
        for kind in KINDS:
            try:  # noqa: SIM105 - contextlib.suppress costs more, and this runs per step
                os.unlink(self.path(kind))
            except FileNotFoundError:
                pass

    def _text(self, kind: str) -> str:
        path = self.path(kind)
        try:
            # The usual case is an empty file: one stat, not open + fstat + close.
            size = os.stat(path).st_size
            if size == 0:
                return ""
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return ""
        try:
            chunks = []
            read, limit = 0, MAX_FILE_BYTES + 1  # a byte past the bound tells it is passed
            while read < limit and (chunk := os.read(fd, min(max(size, 65536), limit - read))):
                chunks.append(chunk)
                read += len(chunk)
        finally:
            os.close(fd)
        if read > MAX_FILE_BYTES:
            raise RunError(
                f"${_variable(kind)} holds more than {MAX_FILE_BYTES:,} bytes, the most a "
                "step may hand on through one of these files"
            )
        return b"".join(chunks).decode("utf-8", errors="replace")

    def _pairs(self, kind: str) -> dict[str, str]:
        text = self._text(kind)
        return parse_key_values(text, source=f"${_variable(kind)}") if text else {}


def parse_key_values(text: str, *, source: str = "file") -> dict[str, str]:
    result: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if not line.strip():
            continue
        eq = line.find("=")
        heredoc = line.find("<<")
        if heredoc > 0 and (eq < 0 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name.strip() or not delimiter:
                raise RunError(f"{source}: invalid heredoc line: {line!r}")
            body: list[str] = []
            while True:
                if i >= len(lines):
                    raise RunError(
                        f"{source}: matching delimiter not found: {delimiter!r} (for {name!r})"
                    )
                current = lines[i].rstrip("\r")
                i += 1
                if current == delimiter:
                    break
                body.append(current)
            result[name] = "\n".join(body)
        elif eq > 0:
            result[line[:eq]] = line[eq + 1 :]
        else:
            raise RunError(
                f"{source}: invalid line (expected name=value or name<<DELIMITER): {line!r}"
            )
    return result


def _encoded(text: str) -> bytes:
    """A script's bytes: UTF-8, with the undecodable bytes an argument or a file held
    given back; a lone surrogate that stands for no byte becomes `?`."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace")


def _variable(kind: str) -> str:
    return f"GITHUB_{kind.upper()}"
