"""Workflow commands: `::name key=value,...::message` lines on a step's stdout.

Parsing is pure; what a command does is the step's business (see
steps/output.py). Escaping follows the runner: in the message `%25 %0D %0A`
stand for `% \\r \\n`; in property values also `%3A %2C` for `: ,`.

The runner also reads the older form `##[name key=value;key=value]message`
anywhere in a line, for the commands it knows (setup-node and setup-python still
print `##[add-matcher]path`), with its own escapes: `%3B %0D %0A %5D %AZP25` for
`; \\r \\n ] %`.
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
        return _parse_legacy(line)
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


def _parse_legacy(line: str) -> Command | None:
    """`##[name key=value;...]message`, where the runner finds it: anywhere in the
    line, and only for a command it knows."""
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name, _, props = line[start + 3 : end].partition(" ")
    if name not in KNOWN:
        return None
    properties: dict[str, str] = {}
    for pair in props.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key and value:
            properties[key] = _unescape_legacy(value)
    return Command(name=name, properties=properties, message=_unescape_legacy(line[end + 1 :]))


def _unescape_legacy(text: str) -> str:
    if "%" not in text:
        return text
    for token, escaped in ((";", "%3B"), ("\r", "%0D"), ("\n", "%0A"), ("]", "%5D")):
        text = text.replace(escaped, token)
    return text.replace("%AZP25", "%")


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
