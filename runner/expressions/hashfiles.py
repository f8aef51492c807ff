"""``hashFiles()``: GitHub's algorithm, exactly.

GitHub's runner hands the patterns to a small Node script built on
@actions/glob and hashes what it yields. Reproduced here:

* each argument is a pattern (one per line if it holds newlines); blank lines
  and ``#`` comments are skipped; a leading ``!`` excludes; a first argument
  ``--follow-symbolic-links`` makes the walk follow symlinks (off by default);
* patterns are rooted at the workspace (``./x`` and ``x`` alike, ``~`` is the
  home directory); ``.`` (other than leading) and ``..`` segments are errors;
* ``*``, ``?`` and ``[...]`` match within a path segment, ``**`` any number of
  segments, dot files included; a trailing ``/`` matches directories only;
  every pattern also matches everything below what it matches;
* patterns apply in order, the last one matching a path deciding;
* the tree is walked depth first from each pattern's literal prefix, directory
  entries in byte order (Node's readdir sorts them), so file order is fixed;
* only regular files strictly inside the workspace count; the result is
  sha256 over the concatenated raw sha256 digests of their contents, in hex,
  or "" when no file matched.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from enum import IntFlag

from runner.errors import ExpressionError

_FOLLOW_OPTION = "--follow-symbolic-links"


class _Match(IntFlag):
    NONE = 0
    DIRECTORY = 1
    FILE = 2
    ALL = 3


@dataclass(frozen=True, slots=True)
class _Globstar:
    """A ``**`` segment."""


_GLOBSTAR = _Globstar()
# A segment is a literal name, a compiled glob, or ``**``.
_Segment = str | re.Pattern[str] | _Globstar


@dataclass(frozen=True, slots=True, kw_only=True)
class _Pattern:
    negate: bool
    segments: tuple[_Segment, ...]  # absolute: the first segment is below "/"
    directories_only: bool

    @property
    def search_path(self) -> tuple[str, ...]:
        """The literal segments before the first wildcard: where the walk starts."""
        literal: list[str] = []
        for segment in self.segments:
            if not isinstance(segment, str):
                break
            literal.append(segment)
        return tuple(literal)

    def match(self, path: tuple[str, ...]) -> _Match:
        states = _advance(self.segments, path)
        if len(self.segments) in states:
            return _Match.DIRECTORY if self.directories_only else _Match.ALL
        return _Match.NONE

    def partial_match(self, path: tuple[str, ...]) -> bool:
        """Whether something below ``path`` could still match."""
        return bool(_advance(self.segments, path))


def _segment_matches(segment: _Segment, name: str) -> bool:
    if isinstance(segment, str):
        return segment == name
    if isinstance(segment, re.Pattern):
        return segment.fullmatch(name) is not None
    return True


def _advance(segments: tuple[_Segment, ...], path: tuple[str, ...]) -> set[int]:
    """Pattern positions reachable after consuming ``path`` (an NFA walk, linear in size)."""
    states = _close(segments, {0})
    for name in path:
        following: set[int] = set()
        for state in states:
            if state < len(segments):
                segment = segments[state]
                if segment is _GLOBSTAR:
                    following.add(state)
                elif _segment_matches(segment, name):
                    following.add(state + 1)
        states = _close(segments, following)
        if not states:
            break
    return states


def _close(segments: tuple[_Segment, ...], states: set[int]) -> set[int]:
    # ``**`` may match zero segments.
    closed = set(states)
    for state in sorted(states):
        while state < len(segments) and segments[state] is _GLOBSTAR:
            state += 1
            closed.add(state)
    return closed


def _compile_segment(text: str, pattern: str) -> _Segment:
    """A glob segment: ``\\`` escapes, ``*``, ``?`` and ``[...]`` classes; literal if none."""
    if text == "**":
        return _GLOBSTAR
    regex: list[str] = []
    literal: list[str] = []
    is_literal = True
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            i += 1
            regex.append(re.escape(text[i]))
            literal.append(text[i])
        elif char in "*?":
            is_literal = False
            regex.append("[^/]*" if char == "*" else "[^/]")
        elif char == "[" and (close := _class_end(text, i)) is not None:
            members = _unescape(text[i + 1 : close])
            if len(members) == 1:  # "[a]" is how a literal "a" is escaped
                regex.append(re.escape(members))
                literal.append(members)
            else:
                is_literal = False
                regex.append(_class_regex(members))
            i = close
        else:
            regex.append(re.escape(char))
            literal.append(char)
        i += 1
    if is_literal:
        return "".join(literal)
    try:
        return re.compile("".join(regex), re.DOTALL)
    except re.error:
        raise ExpressionError(f"hashFiles: invalid pattern '{pattern}'") from None


def _class_end(text: str, start: int) -> int | None:
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 2
            continue
        if text[i] == "]":
            return i if i > start + 1 else None
        i += 1
    return None


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _class_regex(members: str) -> str:
    negate = members[:1] in ("!", "^")
    if negate:
        members = members[1:]
    body = "".join("\\" + c if c in "\\]^[" else c for c in members)
    return f"[{'^' if negate else ''}{body}]"


def _parse_pattern(line: str, workspace: tuple[str, ...]) -> _Pattern:
    negate = False
    text = line
    while text.startswith("!"):
        negate = not negate
        text = text[1:].strip()
    if not text:
        raise ExpressionError(f"hashFiles: invalid pattern '{line}': it is empty")
    raw = [part for part in text.split("/") if part]
    if any(part == ".." or (part == "." and i > 0) for i, part in enumerate(raw)):
        raise ExpressionError(
            f"hashFiles: invalid pattern '{line}': relative pathing '.' and '..' is not allowed"
        )
    root: tuple[str, ...]
    if text.startswith("/"):
        root = ()
    elif raw and raw[0] == "~" and (text == "~" or text.startswith("~/")):
        root = _split(os.path.expanduser("~"))
        raw = raw[1:]
    else:
        root = workspace
        if raw and raw[0] == "." and (text == "." or text.startswith("./")):
            raw = raw[1:]
    segments = root + tuple(_compile_segment(part, line) for part in raw)
    return _Pattern(negate=negate, segments=segments, directories_only=text.endswith("/"))


def _split(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.split("/") if part)


def _join(path: tuple[str, ...]) -> str:
    return "/" + "/".join(path)


def _search_roots(patterns: list[_Pattern], workspace: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Where to walk: each include pattern's literal prefix, minus duplicates and descendants.

    Only files inside the workspace count, so a prefix above the workspace is
    walked from the workspace (the same files, in the same order) and a
    prefix elsewhere is not walked at all.
    """
    candidates: list[tuple[str, ...]] = []
    for pattern in patterns:
        if pattern.negate:
            continue
        path = pattern.search_path
        if path[: len(workspace)] == workspace:
            candidates.append(path)
        elif workspace[: len(path)] == path:
            candidates.append(workspace)
    unique = set(candidates)
    roots: list[tuple[str, ...]] = []
    for path in candidates:
        if path in roots or any(path[:n] in unique for n in range(len(path))):
            continue
        roots.append(path)
    return roots


def _match_all(patterns: list[_Pattern], path: tuple[str, ...]) -> _Match:
    result = _Match.NONE
    for pattern in patterns:
        if pattern.negate:
            result &= ~pattern.match(path)
        else:
            result |= pattern.match(path)
    return result


def _walk(patterns: list[_Pattern], root: tuple[str, ...], *, follow: bool) -> list[str]:
    """Matching paths below ``root`` in @actions/glob's order (depth first, sorted entries)."""
    found: list[str] = []
    stack: list[tuple[tuple[str, ...], int]] = [(root, 1)]
    chain: list[str] = []  # real paths of the directories being walked, to stop symlink cycles
    while stack:
        path, level = stack.pop()
        match = _match_all(patterns, path)
        if not match and not any(not p.negate and p.partial_match(path) for p in patterns):
            continue
        full = _join(path)
        try:
            info = os.stat(full) if follow else os.lstat(full)
        except OSError:
            continue  # vanished, or a broken symlink while following
        if stat.S_ISDIR(info.st_mode):
            if follow:
                real = os.path.realpath(full)
                del chain[level - 1 :]
                if real in chain:
                    continue
                chain.append(real)
            if match & _Match.DIRECTORY:
                found.append(full)
            try:
                names = os.listdir(full)
            except OSError:
                continue
            names.sort(key=os.fsencode)
            stack.extend(((*path, name), level + 1) for name in reversed(names))
        elif match & _Match.FILE:
            found.append(full)
    return found


def hash_files(workspace: str, arguments: list[str]) -> str:
    """hashFiles(*arguments) evaluated in ``workspace``: a hex digest, or "" when nothing matched."""
    follow = False
    if arguments and arguments[0].startswith("--"):
        if arguments[0].lower() != _FOLLOW_OPTION:
            raise ExpressionError(
                f"hashFiles: invalid glob option {arguments[0]}, "
                f"available option: '{_FOLLOW_OPTION}'"
            )
        follow = True
        arguments = arguments[1:]
    root = _split(os.path.realpath(workspace))
    lines = (line.strip() for line in "\n".join(arguments).split("\n"))
    patterns: list[_Pattern] = []
    for line in lines:
        if not line or line.startswith("#"):
            continue
        pattern = _parse_pattern(line, root)
        patterns.append(pattern)
        # Implicit descendants: a pattern matches everything below what it matches.
        if pattern.directories_only or pattern.segments[-1:] != (_GLOBSTAR,):
            patterns.append(
                _Pattern(
                    negate=pattern.negate,
                    segments=(*pattern.segments, _GLOBSTAR),
                    directories_only=False,
                )
            )
    total = hashlib.sha256()
    count = 0
    prefix = _join(root) + "/"
    for start in _search_roots(patterns, root):
        for path in _walk(patterns, start, follow=follow):
            if not path.startswith(prefix):
                continue
            try:
                if os.path.isdir(path):
                    continue
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").digest()
            except OSError as exc:
                raise ExpressionError(
                    f"hashFiles: cannot hash '{path}': {exc.strerror or exc}"
                ) from None
            total.update(digest)
            count += 1
    return total.hexdigest() if count else ""
