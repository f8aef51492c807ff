"""LineSplitter: bytes in, decoded lines out, bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runner.process.lines import LineSplitter


def test_lines_split_across_chunks_and_crlf() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"one\r\ntw") == ["one"]
    assert splitter.feed(b"o\nthree") == ["two"]
    assert splitter.feed(b"") == []
    assert splitter.flush() == ["three"]
    assert splitter.flush() == []


def test_a_multibyte_character_split_between_reads_is_kept_whole() -> None:
    splitter = LineSplitter()
    data = "héllo ✓\n".encode()
    cut = data.index("✓".encode()) + 1
    assert splitter.feed(data[:cut]) == []
    assert splitter.feed(data[cut:]) == ["héllo ✓"]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"ok \xff\xfe bytes\n\x00nul\n") == ["ok \ufffd\ufffd bytes", "\x00nul"]


def test_a_long_line_is_cut_at_the_limit() -> None:
    splitter = LineSplitter(max_line_bytes=10)
    assert splitter.feed(b"a" * 25 + b"\nshort\n") == ["a" * 10, "a" * 10, "a" * 5, "short"]


def test_a_line_without_newline_never_grows_past_the_limit() -> None:
    splitter = LineSplitter(max_line_bytes=1000)
    out: list[str] = []
    for _ in range(100):
        out.extend(splitter.feed(b"x" * 999))
        assert len(splitter._pending) <= 1000
    out.extend(splitter.flush())
    assert "".join(out) == "x" * 99_900
    assert all(len(line) <= 1000 for line in out)


def test_cuts_respect_utf8_boundaries() -> None:
    splitter = LineSplitter(max_line_bytes=5)
    lines = splitter.feed("ééééé\n".encode())  # 10 bytes
    assert lines == ["éé", "éé", "é"]


@given(st.lists(st.binary(max_size=50), max_size=20), st.integers(min_value=4, max_value=64))
def test_splitting_never_loses_or_reorders_ascii_bytes(chunks: list[bytes], limit: int) -> None:
    data = b"".join(chunks)
    ascii_data = bytes(b & 0x7F for b in data).replace(b"\r", b"")
    splitter = LineSplitter(max_line_bytes=limit)
    out: list[str] = []
    position = 0
    for chunk in chunks:
        size = len(chunk)
        out.extend(splitter.feed(ascii_data[position : position + size]))
        position += size
    out.extend(splitter.flush())
    assert "".join(out) == ascii_data.replace(b"\n", b"").decode()
    assert all(len(line) <= limit for line in out)


def test_a_line_of_invalid_bytes_is_cut_by_its_decoded_size() -> None:
    """Each invalid byte becomes U+FFFD, three bytes: 90 of them are 270 bytes."""
    splitter = LineSplitter(max_line_bytes=100)
    lines = splitter.feed(b"\xff" * 90 + b"\n") + splitter.feed(b"\xfe" * 90) + splitter.flush()
    assert "".join(lines) == "\ufffd" * 180
    assert all(len(line.encode()) <= 100 for line in lines)
