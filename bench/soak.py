"""Soak the daemon (long, by hand): runs, cancels, approvals and client churn for minutes,
watching for leaks. Prints one row per interval and a verdict.

    python bench/soak.py [--minutes 10] [--interval 30]

Each interval it starts a mix of runs (a noisy one, a failing one, one it cancels, a
matrix), keeps ~20 clients following /api/events (some replaying from 0, some stalling,
some dropping), and records the daemon's RSS, open file descriptors, threads, bus
subscribers and open streams. At the end every run must have completed, each with one
run.started and one run.completed in the log, and the resource columns must be flat
(the last quarter's average within 25% of the second quarter's).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.stream import Daemon, noisy_script, open_stream

WORKFLOWS = {
    "noisy": noisy_script(50_000),
    "fails": "echo about to fail\nexit 3",
    "slow": "for i in $(seq 1 50); do echo tick $i; sleep 0.1; done",
}
MATRIX = """on: push
jobs:
  m:
    strategy:
      matrix:
        n: [1, 2, 3, 4]
    runs-on: ubuntu-latest
    steps:
      - run: echo "cell ${{ matrix.n }}"
"""


def sample(daemon: Daemon) -> dict[str, float]:
    """The daemon's figures: RSS, descriptors and threads summed over its HTTP process and
    its engine process."""
    pids = [daemon.proc.pid, *([daemon.engine_pid] if daemon.engine_pid else [])]
    health = httpx.get(f"{daemon.url}/api/health", timeout=10).json()
    threads = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        threads += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:")
        )
    return {
        "rss_mb": sum(daemon.rss_kib(pid) for pid in pids) / 1024,
        "fds": sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in pids),
        "threads": threads,
        "subscribers": health["subscribers"],
        "runs_active": health["runs_active"],
        "last_seq": health["last_seq"],
    }


BROKEN: list[str] = []  # streams the daemon broke off (it should end none of these)


async def clients(daemon: Daemon, stop: trio.Event, rng: random.Random) -> None:
    async def one() -> None:
        while not stop.is_set():
            query = rng.choice(["", "lastEventId=0", "types=run.completed", "types=step.log"])
            try:
                stream = await open_stream(daemon.port, query)
                with trio.move_on_after(rng.uniform(0.1, 5)):
                    if rng.random() < 0.2:
                        await trio.sleep_forever()  # stalls: never reads
                    while await stream.receive_some(65536):
                        pass
                await stream.aclose()
            except (trio.BrokenResourceError, OSError) as exc:
                BROKEN.append(str(exc))
                await trio.sleep(1)

    async with trio.open_nursery() as nursery:
        for _ in range(20):
            nursery.start_soon(one)
        await stop.wait()
        nursery.cancel_scope.cancel()


def interval_runs(daemon: Daemon, rng: random.Random) -> list[str]:
    ids = [daemon.start(name) for name in ("noisy", "fails", "matrix")]
    slow = daemon.start("slow")
    time.sleep(rng.uniform(0.2, 1.0))
    httpx.post(
        f"{daemon.url}/api/runs/{slow}/cancel",
        timeout=10,
        headers={"Authorization": f"Bearer {daemon.token}"},
    )
    return [*ids, slow]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=30)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        daemon = Daemon(Path(tmp))
        for name, script in WORKFLOWS.items():
            daemon.workflow(name, script)
        (daemon.root / "workflows" / "matrix.yml").write_text(MATRIX)
        rows: list[dict[str, float]] = []
        run_ids: list[str] = []

        async def drive() -> None:
            stop = trio.Event()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(clients, daemon, stop, rng)
                deadline = trio.current_time() + args.minutes * 60
                while trio.current_time() < deadline:
                    started = trio.current_time()
                    run_ids.extend(await trio.to_thread.run_sync(interval_runs, daemon, rng))
                    await trio.sleep_until(started + args.interval)
                    row = await trio.to_thread.run_sync(sample, daemon)
                    rows.append(row)
                    print(
                        " ".join(
                            f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in row.items()
                        ),
                        flush=True,
                    )
                stop.set()

        try:
            trio.run(drive)
            unfinished = [r for r in run_ids if daemon.wait(r)["status"] != "completed"]
            seqs = check_log(daemon)
        finally:
            daemon.stop()
    quarter = max(1, len(rows) // 4)
    verdict = []
    for key in ("rss_mb", "fds", "threads"):
        early = statistics.mean(r[key] for r in rows[quarter : 2 * quarter] or rows)
        late = statistics.mean(r[key] for r in rows[-quarter:])
        verdict.append(
            f"{key}: {early:.1f} -> {late:.1f} ({'flat' if late <= early * 1.25 + 2 else 'GROWING'})"
        )
    print(
        f"\nruns: {len(run_ids)}, unfinished: {len(unfinished)}; events checked: {seqs}; "
        f"client streams broken off: {len(BROKEN)} {BROKEN[:3]}"
    )
    print("; ".join(verdict))


def check_log(daemon: Daemon) -> int:
    """Every run in the store completed, with exactly one run.started and one
    run.completed; returns how many events the log holds."""
    db = sqlite3.connect(f"file:{daemon.root / '.stax' / 'stax.db'}?mode=ro", uri=True)
    try:
        bad = db.execute(
            "SELECT id FROM runs WHERE status != 'completed' OR id NOT IN ("
            " SELECT run_id FROM events WHERE type = 'run.completed' GROUP BY run_id"
            " HAVING COUNT(*) = 1) OR id NOT IN ("
            " SELECT run_id FROM events WHERE type = 'run.started' GROUP BY run_id"
            " HAVING COUNT(*) = 1)"
        ).fetchall()
        assert not bad, f"inconsistent runs: {bad[:5]}"
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    finally:
        db.close()


if __name__ == "__main__":
    main()
