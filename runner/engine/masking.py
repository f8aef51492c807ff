"""Secrets and `::add-mask::` values become `***` in everything stax writes or emits.

Masking happens once, where text enters stax (a step's output lines, an
annotation, an output value), before the event exists, so no store, stream,
terminal or dashboard ever holds the clear value. A multi-line secret is
masked line by line too, because output reaches us one line at a time.
Only text from users is masked (the fields reporter.py names), never an
event's keys, ids or enum values.
"""

from __future__ import annotations

import re

MASK = "***"
# The markers a log line may start with (`##[group]Build`), as in GitHub's raw logs.
LOG_MARKERS = frozenset({"group", "endgroup", "error", "warning", "notice", "debug", "command"})


class Masker:
    """The set of values to hide, and the one regex that finds any of them."""

    __slots__ = ("_longest_in_a_line", "_pattern", "_values")

    def __init__(self, values: list[str] | tuple[str, ...] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._longest_in_a_line = 0  # the longest value a single line can hold
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Hide `value` (and each of its lines) from now on. Blank values are ignored:
        masking "" or " " would shred every line."""
        candidates = {value, *value.splitlines()}
        added = False
        for candidate in candidates:
            stripped = candidate.strip()
            if stripped and candidate not in self._values:
                self._values.add(candidate)
                if stripped != candidate:
                    self._values.add(stripped)
                added = True
        if added:
            # Longest first, so a secret that contains another is hidden whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            self._longest_in_a_line = max(
                (len(v) for v in ordered if "\n" not in v and "\r" not in v), default=0
            )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def mask_line(self, line: str) -> str:
        """Mask a log line, keeping a leading `##[group]`-style marker whole: the marker
        is the log's structure (renderers fold and colour by it), not text."""
        if self._pattern is None:
            return line
        if line.startswith("##["):
            end = line.find("]", 3)
            if end > 0 and line[3:end] in LOG_MARKERS:
                return line[: end + 1] + self._pattern.sub(MASK, line[end + 1 :])
        return self._pattern.sub(MASK, line)

    def mask_lines(self, lines: list[str]) -> list[str]:
        """Mask a chunk of lines (`mask_line` each) with one regex pass over the joined
        text where it can."""
        if self._pattern is None:
            return lines
        joined = "\n".join(lines)
        if self._pattern.search(joined) is None:
            return lines
        if "##[" not in joined:
            masked = self._pattern.sub(MASK, joined).split("\n")
            if len(masked) == len(lines):
                return masked
        # A marker to keep, or a value spanning a newline: line by line.
        return [self.mask_line(line) for line in lines]

    def safe_cut(self, text: str, furthest: int) -> int:
        """Where to cut a line too long to keep whole (process.LineSplitter's `safe_cut`),
        at or before `furthest`: never inside a value `mask` would hide, and far enough
        back that a value starting before the cut ends within `text` — its whole is here
        to be seen, even when the rest of the line has not arrived. (The cut moves back
        at most half a piece: a value longer than that may still be cut.)"""
        if self._pattern is None:
            return furthest
        longest = self._longest_in_a_line
        cut = max(furthest - (longest - 1), furthest // 2, 1)
        # The matches `mask` makes: leftmost first, so scanned from the line's start.
        for match in self._pattern.finditer(text, 0, cut + longest):
            if match.end() <= cut:
                continue
            if match.start() < cut:  # the cut would split it: cut before it instead
                if match.start() > 0:
                    return match.start()
                return match.end() if match.end() <= furthest else furthest
            break
        return cut
