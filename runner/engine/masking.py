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
from typing import Any

from runner.engine.secret_forms import secret_forms

MASK = "***"
_RE2_FROM = 512  # characters: shorter texts are searched by Python's regex
_RE2_REPLACES_PAST = 8  # values
_SHORT = 4  # characters: a value this short matches often
# The markers a log line may start with (`##[group]Build`), as in GitHub's raw logs.
LOG_MARKERS = frozenset({"group", "endgroup", "error", "warning", "notice", "debug", "command"})


class Masker:
    """The set of values to hide, and the one regex that finds any of them.

    Each value brings its encoded forms (secret_forms.py), so a secret has several
    spellings to find, starting with all kinds of characters: Python's regex tries an
    alternation's branches one by one at each such position (on a real log, five times
    slower with one secret's forms than with the value alone), while RE2 (google-re2)
    finds any of them in one pass; but each call into RE2 costs some 20 us before it
    reads a character, and its replacing slows with each match. So:

    * RE2 tells whether a long text (a chunk of lines) holds anything to hide, the
      usual answer being no; Python's regex searches short texts (a line, a name);
    * Python's regex replaces, except when the values are many and none is short:
      then RE2 does (its matches are then few, and Python's regex would be slow);
    * Python's regex does it all where RE2 cannot: a text holding a lone surrogate,
      which has no UTF-8, or no google-re2 installed.

    bench/masking.py measures each case. The regexes are compiled when next needed,
    not on every `add` (a step may add thousands of masks in a row).
    """

    __slots__ = (
        "_compiled",
        "_dirty",
        "_finder",
        "_longest_in_a_line",
        "_replacer",
        "_values",
    )

    def __init__(self, values: list[str] | tuple[str, ...] = ()) -> None:
        self._values: set[str] = set()
        self._dirty = False
        self._compiled: re.Pattern[str] | None = None
        self._finder: Any = None  # RE2's pattern, when it can take these values
        self._replacer: Any = None  # the same, when it is to replace too
        self._longest_in_a_line = 0  # the longest value a single line can hold
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Hide `value`, each of its lines, and their encoded forms, from now on. Blank
        values are ignored: masking "" or " " would shred every line."""
        candidates: set[str] = set()
        for candidate in {value, *value.splitlines()}:
            stripped = candidate.strip()
            if stripped:
                candidates.update(secret_forms(candidate), secret_forms(stripped))
        candidates -= self._values
        if candidates:
            self._values |= candidates
            self._dirty = True

    @property
    def _pattern(self) -> re.Pattern[str] | None:
        if self._dirty:
            self._compile()
        return self._compiled

    def _compile(self) -> None:
        # Longest first, so a secret that contains another is hidden whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._compiled = re.compile("|".join(re.escape(v) for v in ordered))
        self._finder = _re2_finder(ordered)
        many_long = len(ordered) > _RE2_REPLACES_PAST and len(ordered[-1]) >= _SHORT
        self._replacer = self._finder if many_long else None
        self._longest_in_a_line = max(
            (len(v) for v in ordered if "\n" not in v and "\r" not in v), default=0
        )
        self._dirty = False

    def _holds_any(self, text: str, pattern: re.Pattern[str]) -> bool:
        """Whether `text` holds a value to hide (call after `_pattern`, which compiles)."""
        if self._finder is not None and len(text) >= _RE2_FROM:
            try:
                return self._finder.search(text) is not None
            except UnicodeEncodeError:  # a lone surrogate: RE2 takes UTF-8 only
                pass
        return pattern.search(text) is not None

    def __bool__(self) -> bool:
        return bool(self._values)

    def mask(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not self._holds_any(text, pattern):
            return text
        return pattern.sub(MASK, text)

    def mask_line(self, line: str) -> str:
        """Mask a log line, keeping a leading `##[group]`-style marker whole: the marker
        is the log's structure (renderers fold and colour by it), not text."""
        pattern = self._pattern
        if pattern is None or not self._holds_any(line, pattern):
            return line
        if line.startswith("##["):
            end = line.find("]", 3)
            if end > 0 and line[3:end] in LOG_MARKERS:
                return line[: end + 1] + pattern.sub(MASK, line[end + 1 :])
        return pattern.sub(MASK, line)

    def mask_lines(self, lines: list[str]) -> list[str]:
        """Mask a chunk of lines with one search over the joined text (RE2's), the usual
        case being that it holds nothing to hide, then one replacing pass."""
        pattern = self._pattern
        if pattern is None:
            return lines
        joined = "\n".join(lines)
        if not self._holds_any(joined, pattern):
            return lines
        if "##[" not in joined:
            masked = self._replaced(joined, pattern).split("\n")
            if len(masked) == len(lines):
                return masked
        # A marker to keep, or a value spanning a newline: line by line.
        return [self.mask_line(line) for line in lines]

    def _replaced(self, text: str, pattern: re.Pattern[str]) -> str:
        """`text` with what it holds to hide masked. (RE2 and Python's regex agree on
        what an alternation matches: the leftmost match, of the first value listed, the
        longest.)"""
        if self._replacer is not None:
            try:
                return str(self._replacer.sub(MASK, text))
            except UnicodeEncodeError:
                pass
        return pattern.sub(MASK, text)

    def safe_cut(self, text: str, furthest: int) -> int:
        """Where to cut a line too long to keep whole (process.LineSplitter's `safe_cut`),
        at or before `furthest`: never inside a value `mask` would hide, and far enough
        back that a value starting before the cut ends within `text` — its whole is here
        to be seen, even when the rest of the line has not arrived. (The cut moves back
        at most half a piece: a value longer than that may still be cut.)"""
        pattern = self._pattern
        if pattern is None:
            return furthest
        longest = self._longest_in_a_line
        cut = max(furthest - (longest - 1), furthest // 2, 1)
        # The matches `mask` makes: leftmost first, so scanned from the line's start.
        for match in pattern.finditer(text, 0, cut + longest):
            if match.end() <= cut:
                continue
            if match.start() < cut:  # the cut would split it: cut before it instead
                if match.start() > 0:
                    return match.start()
                return match.end() if match.end() <= furthest else furthest
            break
        return cut


def _re2_finder(values: list[str]) -> Any:
    """RE2's alternation of `values`, or None where RE2 is missing or cannot take them (a
    lone surrogate, or more than its memory bound holds): Python's regex then searches
    alone. Imported here, once there is something to mask: a run without secrets does
    not pay for the import."""
    try:
        import re2
    except ImportError:
        return None
    try:
        return re2.compile("|".join(re2.escape(v) for v in values))
    except (UnicodeEncodeError, re2.error):
        return None
