"""Does a crowd of bad clients slow the engine? (run by hand; prints a table)

    python bench/clients.py [--lines 1000000] [--churn 1000] [--stalled 50] [--reps 5]
    python bench/clients.py --workload tests [--seconds 10] ...

Times the same run on a real daemon — by default one job of 50 quick steps and a step
logging --lines lines, which keeps the daemon's event loop busy; with `--workload tests`
a job whose steps compute like a test suite does (one core, ~--seconds in all, a few
hundred lines each), which leaves the daemon mostly waiting — in four phases:

* alone;
* while --churn clients connect to /api/events and drop (each reads its first bytes and
  hangs up), spread evenly over the time the run takes alone, one after another;
* while --stalled clients following step.log stop reading during the run (they read
  their first bytes, then never again: they cost what any subscriber costs until their
  socket buffers fill);
* beside --stalled clients that stopped reading before the run (a previous run filled
  their socket buffers): what a stuck client costs once it is stuck;
* beside one busy process at the lowest priority (nice 19), which is no client at all:
  what any other work on the machine costs the run — the floor under the phases above,
  whose clients must run somewhere too.

Phases take turns, rep by rep, so the machine's drift hits them alike. For each phase:
the median run time, its ratio to alone (target: within 10%), CPU seconds per run of the
daemon's HTTP process and of its engine process (the engine's event loop, and its other
threads: the store's writer), and their RSS afterwards. These machines are noisy: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.stream import Daemon, open_stream

if TYPE_CHECKING:
    from collections.abc import Callable

QUICK_STEPS = 50
_TICK = os.sysconf("SC_CLK_TCK")


def workflow(lines: int) -> str:
    steps = "".join(f"      - run: echo step {i}\n" for i in range(QUICK_STEPS))
    return (
        f"on: push\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
        f"      - run: yes \"$(printf 'x%.0s' $(seq 1 79))\" | head -n {lines}\n"
    )


def tests_workflow(seconds: float) -> str:
    """Ten steps, each ~seconds/10 of CPU in one process and 500 lines of output, written
    one line at a time."""
    rounds = max(1, round(seconds * 600_000 / 10))  # ~600k sha256 rounds a second here
    step = (
        "      - env:\n"
        "          PYTHONUNBUFFERED: '1'  # a line per write, as a test runner's progress\n"
        "        run: |\n"
        '          python3 -c "import hashlib\n'
        "          h = b'x'\n"
        f"          for i in range({rounds}):\n"
        "              h = hashlib.sha256(h * 16).digest()\n"
        "              if i % "
        + str(max(1, rounds // 500))
        + " == 0: print('test', i, 'ok', h.hex())\"\n"
    )
    return f"on: push\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps:\n{step * 10}"


def timed_run(daemon: Daemon) -> float:
    run = daemon.wait(daemon.start("load"))
    assert run["conclusion"] == "success", run
    return float(run["duration_ms"]) / 1000


def thread_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the process's main thread, and of all its other threads
    (the process's total, which keeps the time of threads that have ended, minus the
    main thread's)."""

    def seconds(stat: Path) -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK

    main = seconds(Path(f"/proc/{pid}/task/{pid}/stat"))
    return main, seconds(Path(f"/proc/{pid}/stat")) - main


def daemon_cpu(daemon: Daemon) -> tuple[float, float, float]:
    """CPU seconds so far: the HTTP process (all its threads, when the engine has its own
    process), the engine's event loop, the engine's other threads."""
    engine = daemon.engine_pid
    if engine is None:
        loop, others = thread_cpu(daemon.proc.pid)
        return 0.0, loop, others
    http = sum(thread_cpu(daemon.proc.pid))
    return (http, *thread_cpu(engine))


CHURNED: list[int] = []  # connections made while the run ran, per churn phase


def with_churn(daemon: Daemon, clients: int, alone: float) -> float:
    async def main() -> float:
        done = trio.Event()
        durations: list[float] = []
        made = 0

        async def churn() -> None:
            # `clients` connections spread evenly over the alone-run's duration (each one
            # after the last: a slow daemon gets fewer).
            nonlocal made
            interval = alone / clients
            for _ in range(clients):
                if done.is_set():
                    return
                started = trio.current_time()
                stream = await open_stream(daemon.port, "")
                await stream.receive_some(4096)
                await stream.aclose()
                made += 1
                await trio.sleep_until(started + interval)

        async def run() -> None:
            durations.append(await trio.to_thread.run_sync(timed_run, daemon))
            done.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(churn)
            nursery.start_soon(run)
        CHURNED.append(made)
        return durations[0]

    return trio.run(main)


def with_stalled(daemon: Daemon, clients: int, *, stuck_before: bool) -> float:
    async def main() -> float:
        streams = []
        for _ in range(clients):
            stream = await open_stream(daemon.port, "types=step.log")
            await stream.receive_some(4096)
            streams.append(stream)  # never read again
        if stuck_before:
            await trio.to_thread.run_sync(timed_run, daemon)  # fills their buffers
        duration = await trio.to_thread.run_sync(timed_run, daemon)
        for stream in streams:
            await stream.aclose()
        return duration

    return trio.run(main)


def beside_busy_process(daemon: Daemon) -> float:
    busy = subprocess.Popen(
        [sys.executable, "-c", "import os\nos.nice(19)\nwhile True: pass"],
    )
    try:
        time.sleep(0.2)  # under way
        return timed_run(daemon)
    finally:
        busy.kill()  # ours, by its PID
        busy.wait()


def settled_health(daemon: Daemon) -> dict:  # type: ignore[type-arg]
    """/api/health once the clients just closed are gone (up to 5 s: a daemon notices a
    closed connection within milliseconds, but not before it answers this)."""
    deadline = time.monotonic() + 5
    while True:
        health: dict = daemon.http.get("/api/health").json()  # type: ignore[type-arg]
        if not health.get("subscribers") or time.monotonic() > deadline:
            return health
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=["log", "tests"], default="log")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--churn", type=int, default=1000)
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    rss: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        daemon = Daemon(Path(tmp), config="retention_runs = 1000\n")
        try:
            load = workflow(args.lines) if args.workload == "log" else tests_workflow(args.seconds)
            (daemon.root / "workflows" / "load.yml").write_text(load)
            timed_run(daemon)  # warm up
            alone = statistics.median(timed_run(daemon) for _ in range(3))
            phases: dict[str, Callable[[], float]] = {
                "alone": lambda: timed_run(daemon),
                f"{args.churn} clients connecting and dropping": lambda: with_churn(
                    daemon, args.churn, alone
                ),
                f"{args.stalled} clients stop reading during it": lambda: with_stalled(
                    daemon, args.stalled, stuck_before=False
                ),
                f"{args.stalled} clients stuck before it": lambda: with_stalled(
                    daemon, args.stalled, stuck_before=True
                ),
                "a busy process (nice 19) beside it": lambda: beside_busy_process(daemon),
            }
            for _ in range(args.reps):
                for name, phase in phases.items():
                    before = daemon_cpu(daemon)
                    times[name].append(phase())
                    after = daemon_cpu(daemon)
                    runs = 2 if "before" in name else 1
                    cpu[name].append(
                        tuple((a - b) / runs for a, b in zip(after, before, strict=True))
                    )
                    engine = daemon.engine_pid
                    rss[name] = (daemon.rss_kib(), daemon.rss_kib(engine) if engine else 0)
            health = settled_health(daemon)
        finally:
            daemon.stop()
    base = statistics.median(times["alone"])
    print(
        f"{'phase':<40} {'run (median)':>13} {'vs alone':>9} {'HTTP CPU/run':>13} "
        f"{'engine CPU/run: loop + others':>30} {'RSS: HTTP + engine':>19}"
    )
    for name, values in times.items():
        median = statistics.median(values)
        http, loop, others = (statistics.median(c[i] for c in cpu[name]) for i in range(3))
        memory = f"{rss[name][0] / 1024:.0f} + {rss[name][1] / 1024:.0f} MB"
        print(
            f"{name:<40} {median:>12.3f}s {median / base:>8.2f}x {http:>11.2f} s "
            f"{f'{loop:.2f} s + {others:.2f} s':>30} {memory:>19}"
        )
    print(
        f"\n(median of {args.reps}, phases interleaved; "
        f"{os.cpu_count()} CPUs) "
        f"connections made during a churned run: {statistics.median(CHURNED):.0f}; "
        f"streams cut by the write timeout: {health.get('streams_cut')}; "
        f"subscribers left: {health.get('subscribers')}; target: each client phase <= 1.10x (the busy process: the floor any other work sets)"
    )


if __name__ == "__main__":
    main()
