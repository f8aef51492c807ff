"""Step processes: spawn in a fresh process group, split output into lines, kill the group."""

from runner.process.group import MARKER_VAR, sweep_marked, terminate_group, terminate_groups
from runner.process.lines import DEFAULT_MAX_LINE_BYTES, LineSplitter
from runner.process.spawn import (
    LineHandler,
    ProcessOutcome,
    StepProcess,
    environment_problem,
    run_process,
)
from runner.process.watchdog import set_watchdog_grace, start_watchdog, start_watchdog_process

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
    "start_watchdog_process",
    "sweep_marked",
    "terminate_group",
    "terminate_groups",
]
