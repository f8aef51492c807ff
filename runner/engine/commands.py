"""Workflow commands: `::name key=value,...::message` lines on a step's stdout.

Parsing is pure; what a command does is the step's business (see
steps/output.py). Escaping follows the runner: in the message `%25 %0D %0A`
stand for `% \\r \\n`; in property values also `%3A %2C` for `: ,`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The commands the runner knows; others are printed as plain text, as GitHub does.
KNOWN = frozenset(
    {
        "add-mask",
        "group",
        "endgroup",
        "debug",
        "notice",
        "warning",
        "error",
        "set-output",
        "save-state",
        "stop-commands",
        "echo",
        "add-matcher",
        "remove-matcher",
        "add-path",
        "set-env",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    message: str = ""


def parse_command(line: str) -> Command | None:
    """The command on `line`, or None when the line is not one.

    Leading whitespace is allowed, as the runner trims it.
    """
    text = line.lstrip()
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    head = text[2:end]
    message = _unescape_data(text[end + 2 :])
    name, _, props = head.partition(" ")
    if not name:
        return None
    properties: dict[str, str] = {}
    for pair in props.split(","):
        key, sep, value = pair.partition("=")
        if sep and key.strip():
            properties[key.strip()] = _unescape_property(value)
    return Command(name=name, properties=properties, message=message)


def _unescape_data(text: str) -> str:
    if "%" not in text:
        return text
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    if "%" not in text:
        return text
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )
