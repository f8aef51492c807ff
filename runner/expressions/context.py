"""What an expression is evaluated against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.expressions.values import fold

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.expressions.values import JSONValue


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalContext:
    """The named values and job state an expression may use.

    ``contexts`` maps every name that is available at this place in a workflow
    ("github", "env", "matrix", "steps", "needs", "inputs", "secrets", ...) to its
    value; names are matched case-insensitively. A name that is missing is an
    error, as in GitHub ("Unrecognized named-value"), so give an available but
    empty context as ``{}`` or ``None`` rather than leaving it out.

    ``job_status`` ("success", "failure" or "cancelled") answers success(),
    failure() and cancelled(); when None, calling them is an error. ``workspace``
    is the directory hashFiles() searches; when None, hashFiles() is an error.
    """

    contexts: Mapping[str, JSONValue]
    job_status: str | None = None
    workspace: str | None = None

    def lookup(self, name: str) -> tuple[bool, JSONValue]:
        """(found, value) for a top-level name, matched case-insensitively."""
        if name in self.contexts:
            return True, self.contexts[name]
        wanted = fold(name)
        for key, value in self.contexts.items():
            if fold(key) == wanted:
                return True, value
        return False, None
