"""Naming skill executions: trace ids, channels, and the event a skill run is triggered by.

A trace id is `<run id>-<12 hex digits>`: the run that holds the execution's
events is part of its name, so an execution is found in the store (after a
restart too) without a table of its own.
"""

from __future__ import annotations

import re
import secrets

# How an execution was started.
CHANNELS: tuple[str, ...] = ("http", "http-stream", "cli", "workflow")
# The event (`github.event_name`) of a run that executes one skill for a caller.
EXECUTION_EVENT = "skill"
# The workflow name of such a run is this prefix plus the skill id.
WORKFLOW_PREFIX = "skill:"
# The header `stax skill run` sends to a daemon so the execution is recorded as "cli".
CHANNEL_HEADER = "X-Stax-Channel"

_TRACE = re.compile(r"([0-9a-f]{8})-[0-9a-f]{12}")


def new_trace_id(run_id: str) -> str:
    return f"{run_id}-{secrets.token_hex(6)}"


def run_id_of_trace(trace_id: str) -> str | None:
    """The run holding trace `trace_id`, or None when it is not a trace id."""
    match = _TRACE.fullmatch(trace_id)
    return match.group(1) if match else None
