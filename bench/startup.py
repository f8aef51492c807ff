"""Where the wall time of a one-step `stax run` goes: interpreter, imports, the run.

    python bench/startup.py [--reps 7]

Prints two tables.

* Whole processes, each the median of --reps, measured in turns (one of each per
  round, so the machine's drifting load falls on all alike): the interpreter alone
  (with and without `site`), the interpreter importing trio, importing what a local
  `stax run` imports, `stax --version`, and `stax run --local` of a one-step
  workflow (`run: true`), cold (STAX_WARM=0: every import paid) and warm (a fork
  of the warm process, runner/cli/warm_start.py: how a user's later runs go). The
  warm one has the target (<= 150 ms).
* `-X importtime` of the cold run, the fastest of --reps: import time by package
  (self time summed, ms), so the cost of each dependency and of each of stax's
  subpackages shows.

With --instructions, instead: each case once under valgrind's callgrind, which
counts the instructions the process executes (its own, not its children's; for
the warm case, the client's alone: its run is the warm process's fork).
That count does not move with the machine's load, which wall times here do by
a factor of several; it takes a minute or two.

Processes run as a user runs them: bytecode cached, output to /dev/null, in a
scratch directory with the workflow and no stax.toml.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.warm import warm_stax  # noqa: E402

ONE_STEP = "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n"
TARGET_MS = 150
WARM_CASE = "stax run --local one-step.yml (warm)"

# As a user runs it: bytecode cached, this checkout importable, no colour; cold
# unless the case is the warm one.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(REPO),
    "NO_COLOR": "1",
    "STAX_WARM": "0",
}
# What a local run imports, in layers: each case imports one more.
_LAYERS = (
    "trio",
    "yaml, sqlite3",
    "runner.expressions, runner.model, runner.config",
    "runner.engine",
    "runner.cli.run, runner.events.store",
)


def _imports(layers: int) -> str:
    return "import " + ", ".join(_LAYERS[:layers])


def wall(command: list[str], cwd: Path, env: dict[str, str] = ENV) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env=env, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def import_times(command: list[str], cwd: Path, reps: int) -> dict[str, float]:
    """Self import time (ms) of each module, the lowest of `reps` runs of `command`."""
    best: dict[str, float] = {}
    for _ in range(reps):
        done = subprocess.run(
            [command[0], "-X", "importtime", *command[1:]],
            cwd=cwd,
            env=ENV,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in done.stderr.splitlines():
            found = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
            if found:
                name, self_us = found[2], int(found[1])
                best[name] = min(best.get(name, float("inf")), self_us / 1000)
    return best


def instructions(command: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Instructions `command`'s process executes, counted by callgrind."""
    with tempfile.TemporaryDirectory(prefix="stax-callgrind-") as out:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/%p.out", *command],
            cwd=cwd,
            env=env,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    # The first report is the process's own (a child forked later, the step
    # watchdog, reports when it ends).
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found[1])


def print_instructions(
    cases: dict[str, list[str]], envs: dict[str, dict[str, str]], work: Path
) -> None:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): no instruction counts")
        return
    width = max(map(len, cases))
    print(f"{'process':<{width}}  {'instructions':>15}")
    print("-" * (width + 20))
    for name, command in cases.items():
        print(f"{name:<{width}}  {instructions(command, work, envs[name]):>15,}")


def package_of(module: str) -> str:
    """`runner.engine.job` -> `runner.engine`; `trio._core._run` -> `trio`; a private
    stdlib helper (`_ssl`) counts with its module (`ssl`)."""
    parts = module.split(".")
    if parts[0] == "runner" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0].lstrip("_") or parts[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="repetitions (median is shown)")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions with valgrind instead"
    )
    args = parser.parse_args()
    python = sys.executable
    stax = [python, "-m", "runner"]
    cases = {
        "python -S -c pass (no site)": [python, "-S", "-c", "pass"],
        "python -c pass (interpreter + site)": [python, "-c", "pass"],
        "python -c 'import trio'": [python, "-c", "import trio"],
        "  + yaml, sqlite3": [python, "-c", _imports(2)],
        "  + runner.expressions, runner.model, runner.config": [python, "-c", _imports(3)],
        "  + runner.engine": [python, "-c", _imports(4)],
        "  + runner.cli.run, runner.events.store (all a local run imports)": [
            python,
            "-c",
            _imports(5),
        ],
        "stax --version": [*stax, "--version"],
        "stax run --local one-step.yml (cold)": [*stax, "run", "--local", "one-step.yml"],
        WARM_CASE: [*stax, "run", "--local", "one-step.yml"],
    }
    with tempfile.TemporaryDirectory(prefix="stax-startup-") as scratch:
        work = Path(scratch)
        (work / "one-step.yml").write_text(ONE_STEP)
        for command in cases.values():
            wall(command, work)  # warm up: .pyc files written, pages cached
        with warm_stax(ENV, work / "run", cases[WARM_CASE], work) as warm_env:
            envs = {name: warm_env if name == WARM_CASE else ENV for name in cases}
            if args.instructions:
                print_instructions(cases, envs, work)
                return
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.reps):
                for name, command in cases.items():
                    times[name].append(wall(command, work, envs[name]))
        cold = cases["stax run --local one-step.yml (cold)"]
        imports = import_times(cold, work, args.reps)

    width = max(map(len, cases))
    print(f"{'process':<{width}}  {'wall (median)':>13}  note")
    print("-" * (width + 40))
    for name, values in times.items():
        value = statistics.median(values) * 1e3
        note = ""
        if name == WARM_CASE:
            verdict = "met" if value <= TARGET_MS else "not met"
            note = f"target <= {TARGET_MS} ms: {verdict}"
        print(f"{name:<{width}}  {value:>10.1f} ms  {note}")

    by_package: dict[str, float] = {}
    for module, ms in imports.items():
        by_package[package_of(module)] = by_package.get(package_of(module), 0.0) + ms
    print(
        f"\nimport time of a cold `stax run --local` by package, self ms (total {sum(imports.values()):.1f})"
    )
    for package, ms in sorted(by_package.items(), key=lambda item: -item[1])[:25]:
        print(f"  {ms:7.1f}  {package}")
    print(f"\n(median of {args.reps}; {os.cpu_count()} CPUs; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
