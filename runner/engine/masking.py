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
_VERY_MANY = 64  # values: RE2 replaces even when some are short
_RECENT_MAX = 256  # values looked for with `in` before the regexes are built again
# RE2's memory for one masker's regex (its default, 8 MiB, holds the DFA of about 2,000
# values; past its bound RE2 still answers, more slowly)
_RE2_MAX_MEM = 64 << 20
# The markers a log line may start with (`##[group]Build`), as in GitHub's raw logs.
LOG_MARKERS = frozenset({"group", "endgroup", "error", "warning", "notice", "debug", "command"})


class Masker:
    """The set of values to hide, and the regexes that find any of them.

    Each value brings its encoded forms (secret_forms.py), so a secret has several
    spellings to find, starting with all kinds of characters: Python's regex tries an
    alternation's branches one by one at each such position (on a real log, five times
    slower with one secret's forms than with the value alone), while RE2 (google-re2)
    finds any of them in one pass; but each call into RE2 costs some 20 us before it
    reads a character, and its replacing slows with each match. So:

    * RE2 tells whether a long text (a chunk of lines) holds anything to hide, the
      usual answer being no; Python's regex searches short texts (a line, a name);
    * Python's regex replaces, except when the values are many (and none is short, or
      they are very many): then RE2 searches and replaces everything, its matches being
      few, and Python's regex, slow there, is not even compiled;
    * Python's regex does it all where RE2 cannot: a text holding a lone surrogate,
      which has no UTF-8, or no google-re2 installed.

    bench/masking.py measures each case. Compiling takes long once the values are many
    (Python's regex: 100-800 ms for a few thousand; RE2 a tenth of that), and a step may
    add thousands of masks one line after another. So values added since the last
    compile are looked for with `in`, up to _RECENT_MAX of them; the regexes are built
    again only past that. A text that holds one of them is masked wherever any value
    is, the spans of the regexes' matches and of each of those values' places merged.
    """

    __slots__ = (
        "_longest_in_a_line",
        "_ordered",
        "_python",
        "_re2",
        "_re2_replaces",
        "_recent",
        "_stale",
        "_values",
    )

    def __init__(self, values: list[str] | tuple[str, ...] = ()) -> None:
        self._values: set[str] = set()
        self._ordered: list[str] = []  # the values the regexes hold, longest first
        self._python: re.Pattern[str] | None = None  # compiled when first needed
        self._re2: Any = None  # RE2's alternation, when it can take the values
        self._re2_replaces = False
        self._recent: list[str] = []  # values added since, which the regexes lack
        self._stale = False  # values added that `_recent` does not hold: build again
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
        if not candidates:
            return
        self._values |= candidates
        if not self._ordered or len(self._recent) + len(candidates) > _RECENT_MAX:
            self._stale = True
        else:
            self._recent.extend(candidates)

    def __bool__(self) -> bool:
        return bool(self._values)

    def mask(self, text: str) -> str:
        return self._replaced(text) if self._holds_any(text) else text

    def mask_line(self, line: str) -> str:
        """Mask a log line, keeping a leading `##[group]`-style marker whole: the marker
        is the log's structure (renderers fold and colour by it), not text."""
        if not self._holds_any(line):
            return line
        if line.startswith("##["):
            end = line.find("]", 3)
            if end > 0 and line[3:end] in LOG_MARKERS:
                return line[: end + 1] + self._replaced(line[end + 1 :])
        return self._replaced(line)

    def mask_lines(self, lines: list[str]) -> list[str]:
        """Mask a chunk of lines with one search over the joined text (RE2's), the usual
        case being that it holds nothing to hide, then one replacing pass."""
        joined = "\n".join(lines)
        if not self._holds_any(joined):
            return lines
        if "##[" not in joined:
            masked = self._replaced(joined).split("\n")
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
        if self._stale or self._recent:
            self._build()  # the cut must know every value
        if not self._ordered:
            return furthest
        longest = self._longest_in_a_line
        cut = max(furthest - (longest - 1), furthest // 2, 1)
        # The matches `mask` makes: leftmost first, so scanned from the line's start.
        for match in self._python_regex().finditer(text, 0, cut + longest):
            if match.end() <= cut:
                continue
            if match.start() < cut:  # the cut would split it: cut before it instead
                if match.start() > 0:
                    return match.start()
                return match.end() if match.end() <= furthest else furthest
            break
        return cut

    # -- the regexes ------------------------------------------------------------
    def _build(self) -> None:
        # Longest first, so a secret that contains another is hidden whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._ordered = ordered
        self._python = None
        self._re2 = _re2_finder(ordered)
        many = len(ordered) > _RE2_REPLACES_PAST
        self._re2_replaces = self._re2 is not None and (
            (many and len(ordered[-1]) >= _SHORT) or len(ordered) > _VERY_MANY
        )
        self._longest_in_a_line = max(
            (len(v) for v in ordered if "\n" not in v and "\r" not in v), default=0
        )
        self._stale = False
        self._recent.clear()

    def _python_regex(self) -> re.Pattern[str]:
        if self._python is None:
            self._python = re.compile("|".join(re.escape(v) for v in self._ordered))
        return self._python

    def _holds_any(self, text: str) -> bool:
        """Whether `text` holds a value to hide (the regexes then hold every value)."""
        if self._stale:
            self._build()
        if self._recent and any(value in text for value in self._recent):
            return True
        if not self._ordered:
            return False
        if self._re2 is not None and (self._re2_replaces or len(text) >= _RE2_FROM):
            try:
                return self._re2.search(text) is not None
            except UnicodeEncodeError:  # a lone surrogate: RE2 takes UTF-8 only
                pass
        return self._python_regex().search(text) is not None

    def _replaced(self, text: str) -> str:
        """`text` with what it holds to hide masked. (RE2 and Python's regex agree on
        what an alternation matches: the leftmost match, of the first value listed, the
        longest.) When it holds a value the regexes lack, every place of it is masked,
        and every match of the regexes, overlapping or not."""
        recent = [value for value in self._recent if value in text]
        if recent:
            return _spans_masked(text, [*self._matches(text), *_occurrences(text, recent)])
        if self._re2_replaces:
            try:
                return str(self._re2.sub(MASK, text))
            except UnicodeEncodeError:
                pass
        return self._python_regex().sub(MASK, text)

    def _matches(self, text: str) -> list[tuple[int, int]]:
        """Where the regexes match in `text`, as (start, end)."""
        if not self._ordered:
            return []
        if self._re2_replaces:
            try:
                return [(m.start(), m.end()) for m in self._re2.finditer(text)]
            except UnicodeEncodeError:
                pass
        return [m.span() for m in self._python_regex().finditer(text)]


def _occurrences(text: str, values: list[str]) -> list[tuple[int, int]]:
    """Every place of each of `values` in `text`, overlapping ones included."""
    spans = []
    for value in values:
        start = text.find(value)
        while start >= 0:
            spans.append((start, start + len(value)))
            start = text.find(value, start + 1)
    return spans


def _spans_masked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span replaced by MASK; overlapping spans are masked as one."""
    out: list[str] = []
    position = 0
    current: tuple[int, int] | None = None
    for start, end in sorted(spans):
        if current is not None and start < current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            out.append(text[position : current[0]])
            out.append(MASK)
            position = current[1]
        current = (start, end)
    if current is not None:
        out.append(text[position : current[0]])
        out.append(MASK)
        position = current[1]
    out.append(text[position:])
    return "".join(out)


def _re2_finder(values: list[str]) -> Any:
    """RE2's alternation of `values`, or None where RE2 is missing or cannot take them (a
    lone surrogate, or more than its memory bound holds): Python's regex then searches
    alone. Imported here, once there is something to mask: a run without secrets does
    not pay for the import."""
    try:
        import re2
    except ImportError:
        return None
    options = re2.Options()
    options.max_mem = _RE2_MAX_MEM
    options.log_errors = False  # (it would write to the daemon's stderr)
    try:
        return re2.compile("|".join(re2.escape(v) for v in values), options)
    except (UnicodeEncodeError, re2.error):
        return None
