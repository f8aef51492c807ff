"""How much a step costs in stax, against bash spawning the same processes.

    python bench/steps.py [--reps 5] [--quick]

Prints one table:

* per-step cost of `stax run` (the real CLI, in a scratch directory, output
  to /dev/null) on a 100-step job and on 20 one-step jobs, against a bash
  script that runs `bash -c true` as many times; the ratio is the target
  (issue 2: at most 1.6x);
* the same workflows through the engine in this process (no interpreter
  start, no store): what the engine itself adds per step;
* the wall time of `stax run` on a one-step workflow (median of --reps);
* a step printing 1,000,000 lines of 80 bytes, captured, masked (a secret
  is set, so the masking pass runs) and handed to an in-memory sink that
  counts lines: lines per second (target: 500,000/s), against the same
  command writing to /dev/null.

The machine is noisy: compare ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import os
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
# whatever this shell says, and no colour.
_CLI_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "NO_COLOR": "1",
}


def cli_run(path: Path, cwd: Path) -> float:
    """Wall seconds of `stax run --local PATH` as a user runs it (output discarded)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "runner", "run", "--local", str(path)],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        env=_CLI_ENV,
    )
    return time.perf_counter() - started


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


def paired(
    measure: Callable[[], float], baseline: Callable[[], float], reps: int
) -> tuple[float, float]:
    """Median of `measure` and median ratio to `baseline`, each pair measured back to back
    (the machine's load drifts; a ratio within one pair is what compares)."""
    values, ratios = [], []
    for _ in range(reps):
        value, base = measure(), baseline()
        values.append(value)
        ratios.append(value / base)
    return median(values), median(ratios)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions (median is shown)")
    parser.add_argument("--quick", action="store_true", help="skip the CLI measurements")
    args = parser.parse_args()
    reps = args.reps
    rows: list[tuple[str, str, str]] = []

    with tempfile.TemporaryDirectory(prefix="stax-bench-") as scratch:
        work = Path(scratch)
        for name, text in (
            ("steps100.yml", steps_workflow(100)),
            ("jobs20.yml", jobs_workflow(20)),
            ("one.yml", steps_workflow(1)),
        ):
            (work / name).write_text(text)

        def bash_per_spawn(count: int) -> Callable[[], float]:
            return lambda: bash_baseline(count) / count

        rows.append(("bash -c true, per spawn (100 in a row)", ms(bash_per_spawn(100)()), ""))

        if not args.quick:
            cli_run(work / "one.yml", work)  # warm up: writes the .pyc files once
            one = median([cli_run(work / "one.yml", work) for _ in range(reps)])
            rows.append(
                ("stax run, one-step workflow (wall)", f"{one * 1e3:.0f} ms", "target < 300 ms")
            )
            for label, name, count in (
                ("100 steps: per step", "steps100.yml", 100),
                ("20 jobs: per job", "jobs20.yml", 20),
            ):
                value, ratio = paired(
                    lambda name=name, count=count: (
                        (cli_run(work / name, work) - cli_run(work / "one.yml", work)) / (count - 1)
                    ),
                    bash_per_spawn(count),
                    reps,
                )
                rows.append(
                    (
                        f"stax run, {label} (beyond the first)",
                        ms(value),
                        f"{ratio:.2f}x bash (target <= 1.6x)",
                    )
                )

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
            value, ratio = paired(engine(text, count), bash_per_spawn(count), reps)
            rows.append((f"engine in-process, {label}", ms(value), f"{ratio:.2f}x bash"))

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

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>18}  note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>18}  {note}")
    print(f"\n(median of {reps}; {os.cpu_count()} CPUs; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
