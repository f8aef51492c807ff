"""Bytes from a pipe in, decoded lines out.

A chunk from one read can end in the middle of a line, or in the middle of a
multi-byte character; neither may be decoded yet. So the splitter decodes
only up to the chunk's last newline, in one call (decoding line by line costs
a Python call per line, which is most of the budget at a million lines a
second), and keeps the tail for the next chunk. A line that grows past
`max_line_bytes` without a newline is cut there (on a UTF-8 character
boundary), so a process writing 10 MB without a newline never makes stax
buffer 10 MB. Whoever masks the lines may move a cut earlier (`safe_cut`), so
that no hidden value is split between two pieces and escapes its mask.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator

# (the line's text, the furthest cut) -> the cut to make, 0 < cut <= furthest
SafeCut = Callable[[str, int], int]

DEFAULT_MAX_LINE_BYTES = 64 * 1024


class LineSplitter:
    """Split a byte stream into text lines: `\\n` ends a line, a trailing `\\r` is dropped,
    invalid UTF-8 is replaced, and no line is longer than `max_line_bytes` bytes."""

    __slots__ = ("_max", "_pending", "_safe_cut")

    def __init__(
        self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, safe_cut: SafeCut | None = None
    ) -> None:
        self._max = max_line_bytes
        self._safe_cut = safe_cut
        self._pending = b""

    def feed(self, chunk: bytes) -> list[str]:
        """Return the lines completed by `chunk` (possibly none)."""
        return [line for batch in self.batches(chunk) for line in batch]

    def batches(self, chunk: bytes) -> Iterator[list[str]]:
        """The lines completed by `chunk`, in order, in batches (usually one). A line over
        the cap is cut only once the batches before it have been taken — and handled: an
        `::add-mask::` among them is in force when `safe_cut` places the cut. Take them
        all before feeding the next chunk."""
        data = self._pending + chunk if self._pending else chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._pending = data
        else:
            self._pending = data[end + 1 :]
            text = data[:end].decode("utf-8", errors="replace")
            lines = text.split("\n")
            if "\r" in text:
                lines = [line[:-1] if line.endswith("\r") else line for line in lines]
            # Only here can a line be over the cap: a character is at most 4 bytes, and
            # a byte decodes to at most 3 (an invalid one becomes U+FFFD).
            if end * 3 > self._max and max(map(len, lines)) > self._max // 4:
                yield from self._cut_lines(lines)
            else:
                yield lines
        if len(self._pending) > self._max:
            yield self._cut_long_pending()

    def flush(self) -> list[str]:
        """Return what is left after the stream ended (a last line without a newline)."""
        data, self._pending = self._pending, b""
        if not data:
            return []
        text = data.decode("utf-8", errors="replace")
        pieces, rest = self._pieces(text[:-1] if text.endswith("\r") else text)
        return [*pieces, rest]

    def _cut_lines(self, lines: list[str]) -> Iterator[list[str]]:
        batch: list[str] = []
        for line in lines:
            if _utf8_length(line) <= self._max:
                batch.append(line)
                continue
            if batch:
                yield batch
            pieces, rest = self._pieces(line)
            batch = [*pieces, rest]
        if batch:
            yield batch

    def _cut_long_pending(self) -> list[str]:
        if len(self._pending) <= self._max:
            return []
        # Not final: a character the read left unfinished stays bytes, for the next chunk.
        text, whole = codecs.utf_8_decode(self._pending, "replace", False)
        pieces, rest = self._pieces(text)
        self._pending = rest.encode() + self._pending[whole:]
        return pieces

    def _pieces(self, text: str) -> tuple[list[str], str]:
        """Cut pieces of at most `max_line_bytes` off `text` until the rest fits."""
        pieces = []
        while _utf8_length(text) > self._max:
            furthest = _characters_within(text, self._max)
            cut = furthest if self._safe_cut is None else self._safe_cut(text, furthest)
            if not 0 < cut <= furthest:
                cut = furthest
            pieces.append(text[:cut])
            text = text[cut:]
        return pieces, text


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", errors="surrogatepass"))


def _characters_within(text: str, limit: int) -> int:
    """How many of `text`'s leading characters fit in `limit` bytes of UTF-8."""
    if text.isascii():
        return limit
    encoded = text.encode("utf-8", errors="surrogatepass")
    return len(encoded[: _utf8_boundary(encoded, limit)].decode("utf-8", errors="surrogatepass"))


def _utf8_boundary(data: bytes, limit: int) -> int:
    """The largest index <= limit that does not split a UTF-8 character."""
    cut = limit
    # Continuation bytes look like 0b10xxxxxx; back off at most 3 of them.
    while cut > limit - 3 and cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut
