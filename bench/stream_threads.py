"""Benchmark the thread streams (run by hand; prints a table).

    python bench/stream_threads.py [--lines 200000] [--clients 1,50]

Against a real `stax serve` on loopback, for each stream and client count: a run logs
--lines lines while N clients follow it; the table shows the wire events/s delivered,
all clients together, from the first connection to the last client's last line.

    /api/events                               step.log           (seed 003, the reference)
    /api/executions/{run}/threads/stream      thread_output      (seed 000)
    /v1/sessions/{sess}/threads/{sthr}/stream agent.message      (seed 001, one thread)
    /v1/sessions/{sess}/events/stream         agent.message      (seed 001, the session)

Clients are raw sockets counting frames with bytes.count (a marker never straddles an
HTTP chunk: each chunk holds whole frames), so the client side costs little next to the
daemon. Both share this machine's cores: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.api.session_objects import job_thread_id  # noqa: E402

STREAMS = {
    "api/events": ("/api/events?runId={run}&lastEventId=0", b"event: step.log"),
    "executions": ("/api/executions/{run}/threads/stream", b"event: thread_output"),
    "session thread": ("/v1/sessions/sess_{run}/threads/{thread}/stream", b"event: agent.message"),
    "session": ("/v1/sessions/sess_{run}/events/stream", b"event: agent.message"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Daemon:
    def __init__(self, root: Path, lines: int) -> None:
        self.port = free_port()
        (root / "stax.toml").write_text(f"port = {self.port}\nretention_runs = 1000\n")
        (root / "workflows").mkdir()
        # `yes` writes at pipe speed: the producer must not be what is measured.
        (root / "workflows" / "noisy.yml").write_text(
            "on: push\njobs:\n  main:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - run: yes \"$(printf 'x%.0s' $(seq 1 79))\" | head -n {lines}\n"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "serve"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{self.url}/api/health", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.token = (root / ".stax" / "token").read_text().strip()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        response = httpx.post(
            f"{self.url}/api/runs",
            json={"workflow": "noisy"},
            timeout=30,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        response.raise_for_status()
        return str(response.json()["runId"])

    def wait(self, run_id: str) -> None:
        while (
            httpx.get(f"{self.url}/api/runs/{run_id}", timeout=30).json().get("status")
            != "completed"
        ):
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def follow(daemon: Daemon, path: str, marker: bytes, target: int) -> float:
    """Open the stream, count `marker` until `target`; return when that happened."""
    stream = await trio.open_tcp_stream("127.0.0.1", daemon.port)
    await stream.send_all(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{daemon.port}\r\n"
        f"Accept: text/event-stream\r\nAuthorization: Bearer {daemon.token}\r\n\r\n".encode()
    )
    seen, tail = 0, b""
    while seen < target:
        chunk = await stream.receive_some(1 << 20)
        if not chunk:
            break
        data = tail + chunk
        seen += data.count(marker) - tail.count(marker)
        tail = data[-64:]
    await stream.aclose()
    if seen < target:
        raise RuntimeError(f"{path}: stream ended after {seen} of {target} frames")
    return time.monotonic()


def fan_out(daemon: Daemon, kind: str, clients: int, lines: int) -> float:
    template, marker = STREAMS[kind]

    async def main() -> float:
        run_id = await trio.to_thread.run_sync(daemon.start)
        path = template.format(run=run_id, thread=job_thread_id(run_id, "main"))
        started = time.monotonic()
        ends: list[float] = []
        async with trio.open_nursery() as nursery:

            async def one() -> None:
                ends.append(await follow(daemon, path, marker, lines))

            for _ in range(clients):
                nursery.start_soon(one)
        await trio.to_thread.run_sync(daemon.wait, run_id)
        return clients * lines / (max(ends) - started)

    return trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--clients", default="1,50")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        daemon = Daemon(Path(tmp), args.lines)
        try:
            rows = [
                (kind, [fan_out(daemon, kind, n, args.lines) for n in counts]) for kind in STREAMS
            ]
        finally:
            daemon.stop()
    print(f"wire events/s delivered, all clients together ({args.lines:,} lines per run)")
    print(
        f"{'stream':<16}" + "".join(f"{f'{n} client' + ('s' if n > 1 else ''):>16}" for n in counts)
    )
    for kind, rates in rows:
        print(f"{kind:<16}" + "".join(f"{rate:>16,.0f}" for rate in rates))


if __name__ == "__main__":
    main()
