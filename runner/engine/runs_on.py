"""`runs-on`: which labels this machine serves.

A job runs here unless one of its labels is one stax.toml maps to "skip",
or (unmapped) names another OS (macos-*, windows-*): such a job is skipped
with a notice saying how to map the label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.expressions import to_string

if TYPE_CHECKING:
    from runner.config import Settings
    from runner.expressions import JSONValue


def runs_on_labels(runs_on: JSONValue) -> list[str]:
    """The labels of `runs-on` (a label, a list of them, or {group, labels})."""
    if isinstance(runs_on, str):
        return [runs_on]
    if isinstance(runs_on, list):
        return [to_string(v) for v in runs_on]
    if isinstance(runs_on, dict):
        raw = runs_on.get("labels")
        if isinstance(raw, str):
            return [raw]
        if isinstance(raw, list):
            return [to_string(v) for v in raw]
    return []


def foreign_runner_notice(runs_on: JSONValue, settings: Settings) -> str | None:
    """A notice when the job's labels cannot run on this machine, else None."""
    foreign = [label for label in runs_on_labels(runs_on) if settings.label_target(label) == "skip"]
    if not foreign:
        return None
    return (
        f"runs-on: {', '.join(foreign)} cannot run on this machine; skipped "
        "(map the label in stax.toml [labels] to run it here)"
    )


def required_labels(runs_on: JSONValue, settings: Settings) -> list[str]:
    """The labels a machine must offer by name to take the job: all of its labels but
    those every machine serves (ubuntu-latest, self-hosted ..., or mapped to "host"),
    lowercased (GitHub's labels are case-insensitive), each once, in order."""
    labels: list[str] = []
    for label in runs_on_labels(runs_on):
        lowered = label.lower()
        if not settings.label_is_generic(label) and lowered not in labels:
            labels.append(lowered)
    return labels
