"""stax's exit codes: 0 success, 1 the run failed, 2 a usage, config or validation
error, 130 cancelled with Ctrl-C."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


def exit_code(conclusion: object, *, interrupted: bool) -> int:
    if interrupted:
        return EXIT_CANCELLED
    return EXIT_OK if conclusion in ("success", "skipped") else EXIT_FAILED
