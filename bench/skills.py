"""Skill executions over HTTP (run by hand; prints a table).

    python bench/skills.py [--n 200] [--clients 10]

Against a real `stax serve` on loopback with a one-step skill (`run: echo`):
  /execute sequential     one client, one execution after another: executions/s, p50/p99
  /execute concurrent     --clients clients at once, --n executions in all: executions/s
  /execute/stream         one client, sequential: time to `skill_start` and to `done`
  stream overhead         p50 of /execute/stream to `done` minus p50 of /execute

Each execution is a whole run (store, events, a shell process), so the numbers are
those of a one-step run started over HTTP plus the skill's bookkeeping. The rate limit
is raised out of the way. Client and daemon share this machine's cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.stream import Daemon

SKILL = """
    id: bench.echo
    inputs:
      text: {type: string, default: hi}
    steps:
      - id: echo
        run: echo "said=$TEXT" >> "$GITHUB_OUTPUT"
        env: {TEXT: "${{ inputs.text }}"}
    outputs:
      said: ${{ steps.echo.outputs.said }}
"""
BODY = {"inputs": {"text": "hello"}}
PATH = "/v1/skills/bench.echo/execute"


def start_daemon(root: Path) -> Daemon:
    (root / "skills").mkdir()
    (root / "skills" / "echo.yml").write_text(textwrap.dedent(SKILL))
    return Daemon(
        root,
        config='retention_runs = 100000\nskills_dirs = ["skills"]\n'
        "[rate_limit]\nrequests = 1000000\nwindow_seconds = 1\n",
    )


def sequential(daemon: Daemon, n: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=daemon.url, headers=daemon.headers, timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            response = client.post(PATH, json=BODY)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            assert response.json()["status"] == "completed"
    return latencies


def concurrent(daemon: Daemon, n: int, clients: int) -> float:
    async def main() -> float:
        remaining = n

        async def client_loop() -> None:
            nonlocal remaining
            async with httpx.AsyncClient(
                base_url=daemon.url, headers=daemon.headers, timeout=60
            ) as client:
                while remaining > 0:
                    remaining -= 1
                    response = await client.post(PATH, json=BODY)
                    assert response.status_code == 200, response.text

        started = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for _ in range(clients):
                nursery.start_soon(client_loop)
        return n / (time.perf_counter() - started)

    return trio.run(main)


def streamed(daemon: Daemon, n: int) -> tuple[list[float], list[float]]:
    first, done = [], []
    with httpx.Client(base_url=daemon.url, headers=daemon.headers, timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            with client.stream("POST", f"{PATH}/stream", json=BODY) as response:
                got_first = None
                for line in response.iter_lines():  # to the end of the body (after done)
                    if got_first is None and line.startswith("data: "):
                        got_first = time.perf_counter() - started
            done.append(time.perf_counter() - started)
            first.append(got_first or 0.0)
    return first, done


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def p99(values: list[float]) -> float:
    return sorted(values)[max(int(len(values) * 0.99) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="executions per measurement")
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        daemon = start_daemon(Path(tmp))
        try:
            sequential(daemon, 20)  # warm up (imports, caches, the first run numbers)
            plain = sequential(daemon, args.n)
            rate = concurrent(daemon, args.n, args.clients)
            first, done = streamed(daemon, args.n)
        finally:
            daemon.stop()
    plain_p50, done_p50 = statistics.median(plain), statistics.median(done)
    rows = [
        (
            "/execute sequential",
            f"{len(plain) / sum(plain):.1f} exec/s",
            ms(plain_p50),
            ms(p99(plain)),
        ),
        (f"/execute {args.clients} clients", f"{rate:.1f} exec/s", "", ""),
        ("/execute/stream to skill_start", "", ms(statistics.median(first)), ms(p99(first))),
        (
            "/execute/stream to done",
            f"{len(done) / sum(done):.1f} exec/s",
            ms(done_p50),
            ms(p99(done)),
        ),
        ("stream overhead (p50 done - p50 execute)", "", ms(done_p50 - plain_p50), ""),
    ]
    widths = [
        max(len(row[i]) for row in [("measure", "rate", "p50", "p99"), *rows]) for i in range(4)
    ]
    for row in [("measure", "rate", "p50", "p99"), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
