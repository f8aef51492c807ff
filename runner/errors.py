"""The one error tree of stax.

    StaxError                     anything stax reports to a user as one clear message
    ├── ConfigError               stax.toml, a dotenv file, a command-line value
    ├── WorkflowError             one problem in a workflow, action or skill file, at a SourcePos
    │   └── WorkflowErrors        several of them at once (validation reports everything)
    ├── ExpressionError           a ${{ }} expression that does not parse or evaluate
    ├── RunError                  a run that cannot start or go on (unknown job, bad input, ...)
    ├── Unavailable               no run may start now: the daemon is stopping, its engine gone
    │   └── StoreUnavailable      the store cannot take a run (degraded, or not writable)
    ├── EngineFailure             the engine process could not answer a request (a bug there)
    └── ApiError                  an HTTP error: status, error type, message
        └── InvalidField          422: one field of a request, at its `loc`, does not validate

The CLI turns a StaxError into one line and an exit code; the API turns it into a
JSON body and a status (runner.api.app maps each kind to its status: the engine and
the daemon raise domain errors and know nothing of HTTP). Anything else escaping is a bug in stax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True, slots=True, kw_only=True)
class SourcePos:
    """A place in a source file: 1-based line and column."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class StaxError(Exception):
    """Base of every error stax reports to a user."""


class ConfigError(StaxError):
    """stax.toml, a dotenv file or a command-line value is wrong."""


class WorkflowError(StaxError):
    """One problem in a definition file, at a position.

    `where` is the dotted path of the offending key (``jobs.build.needs``) when
    there is one; str() reads ``ci.yml:12:7: jobs.build.needs: unknown job "tests"``.
    """

    def __init__(self, message: str, *, pos: SourcePos | None = None, where: str = "") -> None:
        self.message = message
        self.pos = pos
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.pos}: " if self.pos else ""
        where = f"{self.where}: " if self.where else ""
        return f"{prefix}{where}{self.message}"


class WorkflowErrors(WorkflowError):
    """Several WorkflowErrors found in one pass, in file order."""

    def __init__(self, errors: Iterable[WorkflowError]) -> None:
        self.errors = sorted(
            errors, key=lambda e: (e.pos.path, e.pos.line, e.pos.col) if e.pos else ("", 0, 0)
        )
        first = self.errors[0] if self.errors else None
        super().__init__(
            "\n".join(str(e) for e in self.errors),
            pos=first.pos if first else None,
        )

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class ExpressionError(StaxError):
    """A ${{ }} expression that does not parse or cannot be evaluated.

    `expression` is the expression text and `offset` the 0-based character
    offset of the problem inside it (None when it concerns the whole).
    """

    def __init__(self, message: str, *, expression: str = "", offset: int | None = None) -> None:
        self.message = message
        self.expression = expression
        self.offset = offset
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.expression:
            return self.message
        where = f" at position {self.offset + 1}" if self.offset is not None else ""
        return f"{self.message}{where} in expression: {self.expression}"


class RunError(StaxError):
    """A run that cannot start or cannot go on."""


class Unavailable(StaxError):
    """No run may start (or be changed) now: the daemon is shutting down, or its engine
    process has stopped."""


class StoreUnavailable(Unavailable):
    """The event store cannot take a new run: its files were replaced, a page is
    damaged, or writes fail (runner.events.store.health)."""


class EngineFailure(StaxError):
    """The engine process could not answer a request: a bug, or a store error there."""


class ApiError(StaxError):
    """An HTTP error with its status and a machine-readable error type."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        self.status = status
        self.error_type = error_type
        self.message = message
        super().__init__(message)


class InvalidField(ApiError):
    """422: a field of a request does not validate.

    `loc` says where, as FastAPI's validation errors do: ("body", "inputs", "n"),
    ("query", "limit"), ("header", "Last-Event-ID"); `kind` is the error's type there
    (value_error, json_invalid, missing, ...). The message names the field.
    """

    def __init__(
        self, loc: tuple[str | int, ...], message: str, *, kind: str = "value_error"
    ) -> None:
        self.loc = loc
        self.kind = kind
        self.detail = message
        where = field_name(loc)
        super().__init__(422, "invalid_request_error", f"{where}: {message}" if where else message)


def field_name(loc: tuple[str | int, ...]) -> str:
    """How a message names the field at `loc`: inputs.n, env['A=B'], matrix[2], ?limit=."""
    if not loc:
        return ""
    kind, path = loc[0], loc[1:]
    if kind == "query" and path:
        return f"?{path[0]}="
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier() or part.replace("-", "_").isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out
