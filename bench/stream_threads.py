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
import sys
import tempfile
import time
from pathlib import Path

import trio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.stream import Daemon, count_until, noisy_script, open_stream  # noqa: E402
from runner.api.sessions.objects import job_thread_id  # noqa: E402

STREAMS = {
    "api/events": ("/api/events?runId={run}&lastEventId=0", b"event: step.log"),
    "executions": ("/api/executions/{run}/threads/stream", b"event: thread_output"),
    "session thread": ("/v1/sessions/sess_{run}/threads/{thread}/stream", b"event: agent.message"),
    "session": ("/v1/sessions/sess_{run}/events/stream", b"event: agent.message"),
}


def wait_for_thread(daemon: Daemon, path: str) -> None:
    """A job's session thread exists once its job is queued: a run just started may not
    have committed that yet, and a stream of a thread that does not exist is a 404."""
    headers = {"Authorization": f"Bearer {daemon.token}"}
    deadline = time.monotonic() + 30
    while daemon.http.get(path, headers=headers).status_code == 404:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path}: no such thread")
        time.sleep(0.01)


def fan_out(daemon: Daemon, kind: str, clients: int, lines: int) -> float:
    template, marker = STREAMS[kind]

    async def main() -> float:
        run_id = await trio.to_thread.run_sync(daemon.start, "noisy")
        target = template.format(run=run_id, thread=job_thread_id(run_id, "main"))
        path, _, query = target.partition("?")
        if path.endswith("/stream") and "/threads/" in path and "/sessions/" in path:
            await trio.to_thread.run_sync(wait_for_thread, daemon, path.removesuffix("/stream"))
        started = time.monotonic()
        ends: list[float] = []
        async with trio.open_nursery() as nursery:

            async def one() -> None:
                stream = await open_stream(daemon.port, query, path=path, token=daemon.token)
                ends.append(await count_until(stream, marker, lines))
                await stream.aclose()

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
        daemon = Daemon(Path(tmp))
        daemon.workflow("noisy", noisy_script(args.lines))
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
