"""The files a step writes to talk back: $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_STATE, $GITHUB_PATH.

OUTPUT/ENV/STATE hold `name=value` lines or heredocs:

    name<<DELIMITER
    line one
    line two
    DELIMITER

exactly as the GitHub runner reads them (a missing delimiter is an error).
"""

from __future__ import annotations

from pathlib import Path

from runner.errors import RunError


def read_key_values(path: Path) -> dict[str, str]:
    """The pairs in a `$GITHUB_OUTPUT`-style file; {} if the file is absent or empty."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}
    return parse_key_values(text, source=path.name)


def parse_key_values(text: str, *, source: str = "file") -> dict[str, str]:
    result: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if not line.strip():
            continue
        eq = line.find("=")
        heredoc = line.find("<<")
        if heredoc > 0 and (eq < 0 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name.strip() or not delimiter:
                raise RunError(f"{source}: invalid heredoc line: {line!r}")
            body: list[str] = []
            while True:
                if i >= len(lines):
                    raise RunError(
                        f"{source}: matching delimiter not found: {delimiter!r} (for {name!r})"
                    )
                current = lines[i].rstrip("\r")
                i += 1
                if current == delimiter:
                    break
                body.append(current)
            result[name] = "\n".join(body)
        elif eq > 0:
            result[line[:eq]] = line[eq + 1 :]
        else:
            raise RunError(f"{source}: invalid line (expected name=value or name<<DELIMITER): {line!r}")
    return result


def read_paths(path: Path) -> list[str]:
    """The directories a step added with `echo dir >> $GITHUB_PATH`, in order."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]
