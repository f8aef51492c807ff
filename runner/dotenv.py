"""dotenv files (`.secrets`, `--env-file`, `--var-file`): KEY=VALUE lines.

The format act and docker use: `#` comments, optional `export `, values
optionally in single quotes (literal) or double quotes (with \\n, \\t, \\\\,
\\" escapes, and spanning lines). Errors name the file and line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from runner.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "$": "$"}


def read_dotenv(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_dotenv(text, source=str(path))


def parse_dotenv(text: str, *, source: str = "<dotenv>") -> dict[str, str]:
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        number = i + 1
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            raise ConfigError(f"{source}:{number}: expected KEY=VALUE, got {line[:40]!r}")
        rest = rest.strip()
        if rest.startswith('"'):
            body = rest[1:]
            while not _closes(body):
                if i >= len(lines):
                    raise ConfigError(f"{source}:{number}: unterminated double quote")
                body += "\n" + lines[i]
                i += 1
            values[key] = _unescape(body[: _closing_index(body)])
        elif rest.startswith("'"):
            end = rest.find("'", 1)
            if end < 0:
                raise ConfigError(f"{source}:{number}: unterminated single quote")
            values[key] = rest[1:end]
        else:
            values[key] = re.sub(r"\s+#.*$", "", rest)
    return values


def parse_assignment(text: str, *, what: str, separator: str = "=") -> tuple[str, str]:
    """`K=V` from a command-line flag; ConfigError when there is no separator or key."""
    key, sep, value = text.partition(separator)
    if not sep or not key.strip():
        raise ConfigError(f"{what}: expected KEY{separator}VALUE, got {text!r}")
    return key.strip(), value


def _closing_index(body: str) -> int:
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == '"':
            return i
        i += 1
    return -1


def _closes(body: str) -> bool:
    return _closing_index(body) >= 0


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
