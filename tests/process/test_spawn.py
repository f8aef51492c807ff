"""run_process: a real subprocess, its output as lines, its end, its cancellation."""

from __future__ import annotations

import os
import signal
import sys

import pytest
import trio

from runner.process.group import group_alive
from runner.process.lines import DEFAULT_MAX_LINE_BYTES, LineSplitter
from runner.process.spawn import StepProcess, _Reader, run_process


class Collector:
    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.calls = 0
        self.seen = trio.Event()

    async def __call__(self, stream: str, lines: list[str]) -> None:
        self.calls += 1
        self.lines[stream].extend(lines)
        self.seen.set()


def _sh(script: str) -> StepProcess:
    return StepProcess(argv=["sh", "-c", script], cwd=os.getcwd(), env=dict(os.environ))


def _py(code: str) -> StepProcess:
    return StepProcess(argv=[sys.executable, "-c", code], cwd=os.getcwd(), env=dict(os.environ))


async def test_stdout_and_stderr_lines_and_the_exit_code() -> None:
    out = Collector()
    spawned: list[int] = []
    with trio.fail_after(10):
        outcome = await run_process(
            _sh("echo out; echo err >&2; printf 'last'; exit 3"), out, on_spawn=spawned.append
        )
    assert outcome.exit_code == 3
    assert outcome.signal is None
    assert spawned == [outcome.pgid]
    assert out.lines == {"stdout": ["out", "last"], "stderr": ["err"]}


async def test_a_signal_exit_is_negative() -> None:
    with trio.fail_after(10):
        outcome = await run_process(_sh("kill -TERM $$"), Collector())
    assert outcome.exit_code == -signal.SIGTERM
    assert outcome.signal == signal.SIGTERM


async def test_a_missing_program_raises_oserror() -> None:
    with pytest.raises(FileNotFoundError):
        await run_process(StepProcess(argv=["/nonexistent/prog"], cwd="/", env={}), Collector())


async def test_huge_lines_are_split_at_64_kib() -> None:
    out = Collector()
    with trio.fail_after(10):
        await run_process(_py("import sys; sys.stdout.write('a' * 200000 + '\\nend\\n')"), out)
    lines = out.lines["stdout"]
    assert [len(line) for line in lines] == [DEFAULT_MAX_LINE_BYTES] * 3 + [
        200000 - 3 * DEFAULT_MAX_LINE_BYTES,
        3,
    ]
    assert lines[-1] == "end"


async def test_binary_output_is_replaced_not_fatal() -> None:
    out = Collector()
    with trio.fail_after(10):
        outcome = await run_process(
            _py(
                "import os; os.write(1, bytes(b for b in range(256) if b != 10)"
                " + b'\\n' + b'\\xc3(\\n')"
            ),
            out,
        )
    assert outcome.exit_code == 0
    assert len(out.lines["stdout"]) == 2
    assert "\ufffd" in out.lines["stdout"][0]
    assert out.lines["stdout"][1] == "\ufffd("


async def test_ten_megabytes_without_a_newline_stay_bounded() -> None:
    out = Collector()
    with trio.fail_after(20):
        await run_process(_py("import sys; sys.stdout.write('x' * 10_000_000)"), out)
    lines = out.lines["stdout"]
    assert sum(len(line) for line in lines) == 10_000_000
    assert max(len(line) for line in lines) <= DEFAULT_MAX_LINE_BYTES


async def test_a_process_that_closes_stdout_early_is_still_followed() -> None:
    out = Collector()
    with trio.fail_after(10):
        outcome = await run_process(
            _sh("echo before; exec 1>&-; echo still-stderr >&2; sleep 0.1; echo done >&2; exit 5"),
            out,
        )
    assert outcome.exit_code == 5
    assert out.lines["stdout"] == ["before"]
    assert out.lines["stderr"] == ["still-stderr", "done"]


async def test_the_step_ends_when_the_leader_exits_even_if_a_child_holds_the_pipe() -> None:
    out = Collector()
    with trio.fail_after(5):
        outcome = await run_process(_sh("sleep 30 & echo $!; echo bye"), out)
    assert outcome.exit_code == 0
    assert int(out.lines["stdout"][0]) > 0
    assert out.lines["stdout"][1:] == ["bye"]
    assert group_alive(outcome.pgid)  # the job sweeps it, not the step
    os.killpg(outcome.pgid, signal.SIGKILL)


async def test_cancellation_terminates_the_group_and_keeps_its_last_words() -> None:
    out = Collector()
    pgid: list[int] = []
    # The child says it is up only after its exec: a signal that arrives between
    # a fork and its exec goes to the shell's trap, not to the program.
    script = (
        "trap 'echo bye; exit 1' TERM; sh -c 'echo child up; exec sleep 30' &"
        " while true; do sleep 0.05; done"
    )
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def go() -> None:
                await run_process(_sh(script), out, grace_s=5, on_spawn=pgid.append)

            nursery.start_soon(go)
            await out.seen.wait()
            nursery.cancel_scope.cancel()
    assert out.lines["stdout"] == ["child up", "bye"]
    assert not group_alive(pgid[0])


async def test_cancellation_escalates_to_sigkill_after_the_grace() -> None:
    out = Collector()
    pgid: list[int] = []
    script = "trap '' TERM; echo up; while true; do sleep 0.05; done"
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def go() -> None:
                await run_process(_sh(script), out, grace_s=0.2, on_spawn=pgid.append)

            nursery.start_soon(go)
            await out.seen.wait()
            nursery.cancel_scope.cancel()
    assert not group_alive(pgid[0])


async def test_a_trickle_of_lines_is_read_in_few_gulps(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """A writer putting out one line per write (a test runner's progress) costs one read,
    and one log event, per write unless the reader lingers once writes come in a trickle.
    On a pipe this process writes, in virtual time: each write 0.2 ms after the last."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    reads = Collector()
    reader = _Reader(read_end, "stdout", reads, LineSplitter())
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(reader.pump)
            for i in range(300):
                os.write(write_end, f"test {i} ok\n".encode())
                await trio.sleep(0.0002)
            os.close(write_end)
    finally:
        os.close(read_end)
    assert reads.lines["stdout"] == [f"test {i} ok" for i in range(300)]
    # Three reads of one line each make a trickle; each read after that waits 2 ms, in
    # which ten more lines come.
    assert reads.calls < 40, reads.calls
