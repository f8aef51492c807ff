"""Problem matchers: tool messages in a step's output turned into annotations.

`::add-matcher::FILE` (setup-python, setup-node and setup-go each add theirs)
registers the matchers of a JSON file for the rest of the job; `::remove-matcher
owner=NAME::` takes one away. Each line a step prints (the commands excepted) is
then offered to every matcher, as the GitHub runner does:

    {"problemMatcher": [{"owner": "tsc", "severity": "warning",   # default: error
                         "pattern": [{"regexp": "^(.+)\\((\\d+),(\\d+)\\): (.*)$",
                                      "file": 1, "line": 2, "column": 3, "message": 4}]}]}

A matcher of several patterns matches consecutive lines, one pattern each, and
reports once its last pattern matched, with the groups of every pattern; a last
pattern with `"loop": true` goes on reporting for each further line it matches,
keeping what the earlier patterns found (eslint's stylish format: the file on
one line, then its problems). A line that breaks the sequence starts it over.
The log keeps every line: matching only adds annotations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.expressions import JSONValue

_GROUPS = ("file", "line", "column", "severity", "code", "message", "fromPath")
_PROPERTY = {"line": "line", "column": "col", "code": "title"}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Pattern:
    regexp: re.Pattern[str]
    groups: dict[str, int]  # "file" -> its group number
    loop: bool


@dataclass(slots=True, kw_only=True)
class _Matcher:
    owner: str
    severity: str
    patterns: tuple[_Pattern, ...]
    _next: int = 0  # the pattern the next line must match (multi-line matchers)
    _found: dict[str, str] = field(default_factory=dict)  # groups of the patterns so far

    def match(self, line: str) -> dict[str, str] | None:
        """What `line` completes (the groups by name), or None."""
        if len(self.patterns) == 1:
            return _groups(self.patterns[0], line)
        if self._next > 0:
            pattern = self.patterns[self._next]
            found = _groups(pattern, line)
            if found is not None:
                return self._advance(pattern, found)
            self._next, self._found = 0, {}
        found = _groups(self.patterns[0], line)
        if found is not None:
            self._next, self._found = 1, found
        return None

    def _advance(self, pattern: _Pattern, found: dict[str, str]) -> dict[str, str] | None:
        if self._next < len(self.patterns) - 1:
            self._found.update(found)
            self._next += 1
            return None
        issue = {**self._found, **found}
        if not pattern.loop:
            self._next, self._found = 0, {}
        return issue


def _groups(pattern: _Pattern, line: str) -> dict[str, str] | None:
    match = pattern.regexp.search(line)
    if match is None:
        return None
    values = {name: match.group(number) for name, number in pattern.groups.items()}
    return {name: value for name, value in values.items() if value is not None}


class MatcherError(ValueError):
    """A matcher file that cannot be read or is not one."""


@dataclass(slots=True)
class ProblemMatchers:
    """The matchers of one job, in the order they were added (a newer one with the same
    owner replaces the older)."""

    workspace: Path = field(default_factory=Path)  # relative files are read from here
    _matchers: dict[str, _Matcher] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self._matchers)

    def add(self, path: str) -> list[str]:
        """Register the matchers of the JSON file at `path` (relative to the workspace);
        their owners. Raises MatcherError saying what is wrong."""
        file = self.workspace / path
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise MatcherError(f"cannot read the problem matcher file {path}: {exc}") from None
        entries = document.get("problemMatcher") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise MatcherError(f'{path}: no "problemMatcher" list')
        owners = []
        for entry in entries:
            matcher = _matcher(entry, path)
            self._matchers.pop(matcher.owner, None)
            self._matchers[matcher.owner] = matcher
            owners.append(matcher.owner)
        return owners

    def remove(self, owner: str) -> None:
        self._matchers.pop(owner, None)

    def match(self, line: str) -> list[tuple[str, str, dict[str, JSONValue]]]:
        """(level, message, properties) of each annotation `line` completes."""
        found = []
        for matcher in self._matchers.values():
            issue = matcher.match(line)
            if issue is None or not issue.get("message"):
                continue
            level = issue.get("severity", matcher.severity).strip().lower()
            level = level if level in ("warning", "notice") else "error"
            found.append((level, issue["message"], self._properties(issue)))
        return found

    def _properties(self, issue: Mapping[str, str]) -> dict[str, JSONValue]:
        properties: dict[str, JSONValue] = {}
        if file := issue.get("file"):
            base = Path(issue.get("fromPath", "")).parent if issue.get("fromPath") else Path()
            where = self.workspace / base / file
            properties["file"] = (
                str(where.relative_to(self.workspace))
                if where.is_relative_to(self.workspace)
                else file
            )
        for name, key in _PROPERTY.items():
            value = issue.get(name, "").strip()
            if not value:
                continue
            properties[key] = value if name == "code" else _number(value)
        return {k: v for k, v in properties.items() if v is not None}


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


def _matcher(entry: object, path: str) -> _Matcher:
    if not isinstance(entry, dict) or not isinstance(entry.get("owner"), str):
        raise MatcherError(f'{path}: each problem matcher needs an "owner"')
    owner = entry["owner"]
    raw = entry.get("pattern")
    raw_patterns = raw if isinstance(raw, list) else [raw]
    patterns = []
    for item in raw_patterns:
        if not isinstance(item, dict) or not isinstance(item.get("regexp"), str):
            raise MatcherError(f'{path}: matcher {owner}: each pattern needs a "regexp"')
        try:
            regexp = re.compile(item["regexp"])
        except re.error as exc:
            raise MatcherError(f"{path}: matcher {owner}: bad regexp: {exc}") from None
        groups = {name: item[name] for name in _GROUPS if isinstance(item.get(name), int)}
        patterns.append(_Pattern(regexp=regexp, groups=groups, loop=item.get("loop") is True))
    if not patterns:
        raise MatcherError(f"{path}: matcher {owner} has no pattern")
    severity = entry.get("severity")
    return _Matcher(
        owner=owner,
        severity=severity if isinstance(severity, str) else "error",
        patterns=tuple(patterns),
    )
