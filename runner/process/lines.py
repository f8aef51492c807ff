"""Bytes from a pipe in, decoded lines out.

A chunk from one read can end in the middle of a line, or in the middle of a
multi-byte character; neither may be decoded yet. So the splitter decodes
only up to the chunk's last newline, in one call (decoding line by line costs
a Python call per line, which is most of the budget at a million lines a
second), and keeps the tail for the next chunk. A line that grows past
`max_line_bytes` without a newline is cut there (on a UTF-8 character
boundary), so a process writing 10 MB without a newline never makes stax
buffer 10 MB.
"""

from __future__ import annotations

DEFAULT_MAX_LINE_BYTES = 64 * 1024


class LineSplitter:
    """Split a byte stream into text lines: `\\n` ends a line, a trailing `\\r` is dropped,
    invalid UTF-8 is replaced, and no line is longer than `max_line_bytes` bytes."""

    __slots__ = ("_max", "_pending")

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._max = max_line_bytes
        self._pending = b""

    def feed(self, chunk: bytes) -> list[str]:
        """Return the lines completed by `chunk` (possibly none)."""
        data = self._pending + chunk if self._pending else chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._pending = data
            return self._cut_long_pending()
        self._pending = data[end + 1 :]
        text = data[:end].decode("utf-8", errors="replace")
        lines = text.split("\n")
        if "\r" in text:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        if end > self._max and max(map(len, lines)) > self._max // 4:
            # Only here can a line be over the cap (a char is at most 4 bytes).
            lines = [piece for line in lines for piece in self._cut(line)]
        if len(self._pending) > self._max:
            lines.extend(self._cut_long_pending())
        return lines

    def flush(self) -> list[str]:
        """Return what is left after the stream ended (a last line without a newline)."""
        data, self._pending = self._pending, b""
        if not data:
            return []
        text = data.decode("utf-8", errors="replace")
        return [text[:-1] if text.endswith("\r") else text]

    def _cut_long_pending(self) -> list[str]:
        out: list[str] = []
        while len(self._pending) > self._max:
            cut = _utf8_boundary(self._pending, self._max)
            out.append(self._pending[:cut].decode("utf-8", errors="replace"))
            self._pending = self._pending[cut:]
        return out

    def _cut(self, line: str) -> list[str]:
        encoded = line.encode("utf-8", errors="surrogatepass")
        if len(encoded) <= self._max:
            return [line]
        pieces = []
        while len(encoded) > self._max:
            cut = _utf8_boundary(encoded, self._max)
            pieces.append(encoded[:cut].decode("utf-8", errors="replace"))
            encoded = encoded[cut:]
        pieces.append(encoded.decode("utf-8", errors="replace"))
        return pieces


def _utf8_boundary(data: bytes, limit: int) -> int:
    """The largest index <= limit that does not split a UTF-8 character."""
    cut = limit
    # Continuation bytes look like 0b10xxxxxx; back off at most 3 of them.
    while cut > limit - 3 and cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut
