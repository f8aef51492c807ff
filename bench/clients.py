"""Does a crowd of bad clients slow the engine? (run by hand; prints a table)

    python bench/clients.py [--lines 300000] [--churn 1000] [--stalled 50]

Times the same run — one job of 50 quick steps and a step logging --lines lines — on a
real daemon three ways: alone; while --churn clients connect to /api/events and drop
(each reads its first bytes and hangs up; --churn of them spread over the time the run
takes alone, one after another); and while
--stalled clients connect and then never read again. Target: within 10% of alone.
Also prints the daemon's RSS after each phase and how many stalled streams the write
watch cut.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.stream import Daemon, open_stream

QUICK_STEPS = 50


def workflow(lines: int) -> str:
    steps = "".join(f"      - run: echo step {i}\n" for i in range(QUICK_STEPS))
    return (
        f"on: push\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
        f"      - run: yes \"$(printf 'x%.0s' $(seq 1 79))\" | head -n {lines}\n"
    )


def timed_run(daemon: Daemon) -> float:
    run = daemon.wait(daemon.start("load"))
    assert run["conclusion"] == "success", run
    return float(run["duration_ms"]) / 1000


def with_churn(daemon: Daemon, clients: int, alone: float) -> float:
    async def main() -> float:
        done = trio.Event()
        durations: list[float] = []

        async def churn() -> None:
            # `clients` connections spread evenly over the alone-run's duration.
            interval = alone / clients
            for _ in range(clients):
                if done.is_set():
                    return
                started = trio.current_time()
                stream = await open_stream(daemon.port, "")
                await stream.receive_some(4096)
                await stream.aclose()
                await trio.sleep_until(started + interval)

        async def run() -> None:
            durations.append(await trio.to_thread.run_sync(timed_run, daemon))
            done.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(churn)
            nursery.start_soon(run)
        return durations[0]

    return trio.run(main)


def with_stalled(daemon: Daemon, clients: int) -> float:
    async def main() -> float:
        streams = []
        for _ in range(clients):
            stream = await open_stream(daemon.port, "types=step.log")
            await stream.receive_some(4096)
            streams.append(stream)  # never read again
        duration = await trio.to_thread.run_sync(timed_run, daemon)
        for stream in streams:
            await stream.aclose()
        return duration

    return trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--churn", type=int, default=1000)
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        daemon = Daemon(Path(tmp))
        try:
            (daemon.root / "workflows" / "load.yml").write_text(workflow(args.lines))
            timed_run(daemon)  # warm up
            alone = statistics.median(timed_run(daemon) for _ in range(args.reps))
            phases = {
                "alone": lambda: timed_run(daemon),
                f"{args.churn} clients connecting and dropping": lambda: with_churn(
                    daemon, args.churn, alone
                ),
                f"{args.stalled} clients that stop reading": lambda: with_stalled(
                    daemon, args.stalled
                ),
            }
            rows = []
            base = 0.0
            for name, phase in phases.items():
                times = [phase() for _ in range(args.reps)]
                median = statistics.median(times)
                base = base or median
                rows.append((name, median, median / base, daemon.rss_kib()))
            health = httpx.get(f"{daemon.url}/api/health", timeout=10).json()
        finally:
            daemon.stop()
    print(f"{'phase':<40} {'run (median)':>13} {'vs alone':>9} {'daemon RSS':>11}")
    for name, median, ratio, rss in rows:
        print(f"{name:<40} {median:>12.3f}s {ratio:>8.2f}x {rss / 1024:>9.1f} MB")
    print(
        f"\nstreams cut by the write timeout: {health.get('streams_cut')}; "
        f"subscribers left: {health.get('subscribers')}; target: every ratio <= 1.10"
    )


if __name__ == "__main__":
    main()
