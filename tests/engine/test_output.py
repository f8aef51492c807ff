"""A step's output through the whole engine: big, binary, endless, or cut short."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runner.events.types import EventType
from runner.process.lines import DEFAULT_MAX_LINE_BYTES

if TYPE_CHECKING:
    from tests.engine.conftest import Runner


async def test_huge_binary_and_unterminated_output_is_logged_safely(run_steps: Runner) -> None:
    result = await run_steps(
        """
        - name: huge line
          shell: python
          run: print("x" * 150000)
        - name: binary
          shell: python
          run: |
            import os
            os.write(1, b"bin \\xff\\xfe\\x00 end\\n")
        - name: no newline
          run: printf 'last words'
        - name: ten megabytes in one line
          shell: python
          run: |
            import sys
            sys.stdout.write("y" * 10_000_000)
    """,
        limit_s=30,
    )
    assert result.conclusion == "success"
    huge = result.output("j", 1)
    assert [len(line) for line in huge] == [
        DEFAULT_MAX_LINE_BYTES,
        DEFAULT_MAX_LINE_BYTES,
        150000 - 2 * DEFAULT_MAX_LINE_BYTES,
    ]
    assert result.output("j", 2) == ["bin \ufffd\ufffd\x00 end"]
    assert result.output("j", 3) == ["last words"]
    ten = result.output("j", 4)
    assert sum(map(len, ten)) == 10_000_000
    assert max(map(len, ten)) <= DEFAULT_MAX_LINE_BYTES


async def test_lines_travel_in_chunks(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: seq 1 20000
    """)
    assert result.output("j", 1) == [str(i) for i in range(1, 20001)]
    chunks = [e for e in result.of_type(EventType.STEP_LOG) if e.step_number == 1]
    assert len(chunks) < 200  # many lines per event, not one event per line


async def test_stdout_and_stderr_are_tagged(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo to-out
            echo to-err >&2
    """)
    streams = {
        line: e.data["stream"]
        for e in result.of_type(EventType.STEP_LOG)
        for line in e.data["lines"]
    }  # type: ignore[union-attr]
    assert streams["to-out"] == "stdout"
    assert streams["to-err"] == "stderr"


async def test_a_step_that_closes_stdout_early_still_finishes(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo before
            exec 1>&-
            echo "on stderr" >&2
            exit 2
    """)
    # Two pipes: their relative order is not defined, each one's own order is.
    assert sorted(result.output("j", 1)) == sorted(
        ["before", "on stderr", "##[error]Process completed with exit code 2."]
    )


async def test_a_line_at_a_time_arrives_whole_and_in_order(run_steps: Runner) -> None:
    """A process writing one line per write, as a test runner's progress does: the reader
    lingers on such a trickle to gather lines into few events (how few is timing, tested
    in virtual time in tests/process/test_spawn.py); the lines arrive whole and in order."""
    result = await run_steps(
        """
        - shell: python
          run: |
            import os, time
            for i in range(300):
                os.write(1, f"test {i} ok\\n".encode())
                time.sleep(0.0002)
    """
    )
    assert result.output("j", 1) == [f"test {i} ok" for i in range(300)]
