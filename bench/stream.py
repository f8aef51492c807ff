"""Benchmark the daemon's event stream (run by hand; prints a table).

    python bench/stream.py [--lines 1000000] [--clients 1,10,100]

Measures, against a real `stax serve` on loopback:
  fan-out     wire events/s delivered to N concurrent /api/events clients while a run
              logs --lines lines (aggregate over all clients)
  persist     log lines persisted per second by that run with no client attached
  latency     log line -> client latency p50/p99 under light load (a line every 20 ms)
  replay      events/s replayed to one client from Last-Event-ID 0 (the whole store)
  idle RSS    daemon RSS growth per idle subscriber, with 1,000 of them

Clients are raw sockets counting frames with bytes.count, so the client side costs
little next to the daemon. Both share this machine's cores: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import trio

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Daemon:
    """A `stax serve` in `root` on a free port; `config` is the rest of its stax.toml."""

    def __init__(self, root: Path, *, config: str = "retention_runs = 1000\n") -> None:
        self.root = root
        self.port = free_port()
        (root / "stax.toml").write_text(f"port = {self.port}\n{config}")
        (root / "workflows").mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "serve"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/api/health", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        self.token = (root / ".stax" / "token").read_text().strip()
        # One client, kept alive: a new httpx client per poll costs ~20 ms of CPU (its TLS
        # context), which would compete with the daemon being measured.
        self.http = httpx.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.token}

    def workflow(self, name: str, script: str) -> None:
        body = textwrap.indent(textwrap.dedent(script).strip(), " " * 14)
        (self.root / "workflows" / f"{name}.yml").write_text(
            f"on: push\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: |\n{body}\n"
        )

    def start(self, name: str) -> str:
        response = self.http.post(
            "/api/runs", json={"workflow": name}, headers={"Authorization": f"Bearer {self.token}"}
        )
        response.raise_for_status()
        return str(response.json()["runId"])

    def wait(self, run_id: str) -> dict:  # type: ignore[type-arg]
        while True:
            run = self.http.get(f"/api/runs/{run_id}").json()
            if run.get("status") == "completed":
                return run  # type: ignore[no-any-return]
            time.sleep(0.05)

    def rss_kib(self, pid: int | None = None) -> int:
        """The daemon's RSS (or that of `pid`, its engine process, say)."""
        for line in Path(f"/proc/{pid or self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    @property
    def engine_pid(self) -> int | None:
        """The daemon's engine process (None until it has started)."""
        pid = self.proc.pid
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            if b"runner.daemon.engine_host" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
        return None

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def open_stream(
    port: int, query: str, *, path: str = "/api/events", token: str | None = None
) -> trio.SocketStream:
    """A raw GET of an SSE route (`path?query`), headers sent, nothing read yet."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    target = f"{path}?{query}" if query else path
    await stream.send_all(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return stream


async def count_until(stream: trio.SocketStream, marker: bytes, target: int) -> float:
    """Read until `marker` has been seen `target` times; return when that happened."""
    seen, tail = 0, b""
    while seen < target:
        chunk = await stream.receive_some(1 << 20)
        if not chunk:
            break
        data = tail + chunk
        seen += data.count(marker) - tail.count(marker)
        tail = data[-64:]
    return time.monotonic()


def noisy_script(lines: int) -> str:
    # `yes` writes at pipe speed: the producer must not be what is measured.
    return f"yes \"$(printf 'x%.0s' $(seq 1 79))\" | head -n {lines}"


def fan_out(daemon: Daemon, clients: int, lines: int) -> float:
    async def main() -> float:
        streams = [await open_stream(daemon.port, "types=step.log") for _ in range(clients)]
        for s in streams:
            await s.receive_some(4096)  # the ping: subscribed
        started = time.monotonic()
        ends: list[float] = []
        async with trio.open_nursery() as nursery:

            async def one(s: trio.SocketStream) -> None:
                ends.append(await count_until(s, b"event: step.log", lines))
                await s.aclose()

            for s in streams:
                nursery.start_soon(one, s)
            await trio.to_thread.run_sync(daemon.start, "noisy")
        return clients * lines / (max(ends) - started)

    return trio.run(main)


def persist_rate(daemon: Daemon, lines: int) -> float:
    run = daemon.wait(daemon.start("noisy"))
    return lines / (float(run["duration_ms"]) / 1000)


def latency(daemon: Daemon, count: int = 200) -> tuple[float, float]:
    daemon.workflow(
        "ticks",
        f"""
        python3 -c "
        import time, sys
        for i in range({count}):
            print('tick', time.time(), flush=True)
            time.sleep(0.02)
        "
    """,
    )

    async def main() -> list[float]:
        stream = await open_stream(daemon.port, "types=step.log")
        await stream.receive_some(4096)
        delays: list[float] = []
        await trio.to_thread.run_sync(daemon.start, "ticks")
        buffer = b""
        while len(delays) < count:
            buffer += await stream.receive_some(1 << 16)
            now = time.time()
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                for line in frame.split(b"\n"):
                    if line.startswith(b"data: ") and b"tick " in line:
                        sent = float(json.loads(line[6:])["line"].split()[1])
                        delays.append((now - sent) * 1000)
        await stream.aclose()
        return delays

    delays = sorted(trio.run(main))
    return statistics.median(delays), delays[int(len(delays) * 0.99) - 1]


def replay(daemon: Daemon, total_events: int) -> float:
    async def main() -> float:
        started = time.monotonic()
        stream = await open_stream(daemon.port, "lastEventId=0")
        end = await count_until(stream, b"\nid: ", total_events)
        await stream.aclose()
        return total_events / (end - started)

    return trio.run(main)


def idle_rss(daemon: Daemon, subscribers: int = 1000) -> float:
    async def main() -> float:
        before = daemon.rss_kib()
        streams = []
        for _ in range(subscribers):
            stream = await open_stream(daemon.port, "")
            await stream.receive_some(4096)
            streams.append(stream)
        await trio.sleep(1)
        after = daemon.rss_kib()
        for stream in streams:
            await stream.aclose()
        return (after - before) / subscribers

    return trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--clients", default="1,10,100")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        daemon = Daemon(Path(tmp), config="retention_runs = 1000\n")
        try:
            daemon.workflow("noisy", noisy_script(args.lines))
            # First, on a fresh daemon: later runs leave freed memory that RSS can't see.
            per = idle_rss(daemon)
            rss_row = ("RSS per idle subscriber (1,000)", f"{per:.1f} KiB", "<= 50 KiB")
            rate = persist_rate(daemon, args.lines)
            rows.append(("persist, no client", f"{rate:,.0f} lines/s", ">= 500,000"))
            for clients in (int(c) for c in args.clients.split(",")):
                rate = fan_out(daemon, clients, args.lines)
                rows.append(
                    (f"fan-out to {clients} client(s)", f"{rate:,.0f} events/s", ">= 300,000 total")
                )
            p50, p99 = latency(daemon)
            rows.append(("latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms", "p99 <= 50 ms"))
            rate = replay(daemon, args.lines)  # the store holds several runs of --lines
            rows.append(
                (
                    f"replay from 0 ({args.lines:,} lines in store)",
                    f"{rate:,.0f} events/s",
                    ">= 300,000",
                )
            )
            rows.append(rss_row)
        finally:
            daemon.stop()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>22}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")
    print(f"\n{os.cpu_count()} CPUs; python {sys.version.split()[0]}; lines={args.lines:,}")


if __name__ == "__main__":
    main()
