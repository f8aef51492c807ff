"""Step processes: spawn in a fresh process group, split output into lines, kill the group.

The names below load their module on first use (PEP 562), so that `stax run` can fork
its step watchdog (runner.process.watchdog) before it imports trio and the engine:
a fork copies the page tables, and every page shared then costs the parent a fault
when it next writes it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.process.group import MARKER_VAR, sweep_marked, terminate_group, terminate_groups
    from runner.process.lines import DEFAULT_MAX_LINE_BYTES, LineSplitter
    from runner.process.spawn import (
        LineHandler,
        ProcessOutcome,
        StepProcess,
        environment_problem,
        run_process,
    )
    from runner.process.watchdog import set_watchdog_grace, start_watchdog

_MODULES = {
    "DEFAULT_MAX_LINE_BYTES": "lines",
    "MARKER_VAR": "group",
    "LineHandler": "spawn",
    "LineSplitter": "lines",
    "ProcessOutcome": "spawn",
    "StepProcess": "spawn",
    "environment_problem": "spawn",
    "run_process": "spawn",
    "set_watchdog_grace": "watchdog",
    "start_watchdog": "watchdog",
    "sweep_marked": "group",
    "terminate_group": "group",
    "terminate_groups": "group",
}
__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "MARKER_VAR",
    "LineHandler",
    "LineSplitter",
    "ProcessOutcome",
    "StepProcess",
    "environment_problem",
    "run_process",
    "set_watchdog_grace",
    "start_watchdog",
    "sweep_marked",
    "terminate_group",
    "terminate_groups",
]


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later lookups are plain
    return value
