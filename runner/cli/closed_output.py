"""When the reader of stdout goes away (`stax run X | head -1`), stax ends as Unix tools do.

A tool killed by SIGPIPE ends without a word and with status 141 (128 + SIGPIPE).
Python ignores SIGPIPE, so a write raises BrokenPipeError instead; stax turns it
into the same quiet ending: stdout is pointed at /dev/null (so the interpreter's
last flush cannot fail again) and the command returns `EXIT_CLOSED_OUTPUT`.

A local run learns it through `OutputGuard`, which wraps the renderer: the error
must not reach the store's writer, which calls the renderer, or the record would
be left half written. The run is then cancelled (its writer would have died with
SIGPIPE) and ends recorded as cancelled.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.events.types import Event

EXIT_CLOSED_OUTPUT = 141  # what a shell reports for a process killed by SIGPIPE


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null: what is still buffered, and any later
    write, goes nowhere instead of raising BrokenPipeError again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def only_closed_output(error: BaseException) -> bool:
    """True if `error` is a BrokenPipeError, or a group of nothing else."""
    if isinstance(error, BaseExceptionGroup):
        return all(only_closed_output(inner) for inner in error.exceptions)
    return isinstance(error, BrokenPipeError)


class OutputGuard:
    """Hands each event to `render` until the output is closed, then drops them.

    `on_closed` is called once, from the call that met the closed output; `closed`
    says whether that happened."""

    def __init__(self, render: Callable[[Event], None]) -> None:
        self._render = render
        self.closed = False
        self.on_closed: Callable[[], None] | None = None

    def __call__(self, event: Event) -> None:
        if self.closed:
            return
        try:
            self._render(event)
        except BrokenPipeError:
            silence_stdout()
            self.closed = True
            if self.on_closed is not None:
                self.on_closed()
