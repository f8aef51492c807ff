"""Slow and fickle subscribers never slow the engine, never leak, never miss an event."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import trio

from runner.config import StreamSettings
from tests.api.test_events_stream import start_run
from tests.api.test_rest import wait_for_run

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Daemon, DaemonFactory

LINES = 100_000
NOISY = f"""
    on: push
    jobs:
      noisy:
        runs-on: ubuntu-latest
        steps:
          - run: python3 -c "import sys; sys.stdout.write(''.join(f'line {{i}}\\\\n' for i in range({LINES})))"
"""


async def _timed_run(client: httpx.AsyncClient, daemon: Daemon) -> tuple[str, float]:
    started = time.monotonic()
    run_id = await start_run(client, daemon, "noisy")
    run = await wait_for_run(client, run_id)
    assert run["conclusion"] == "success"
    return run_id, time.monotonic() - started


async def test_a_subscriber_reading_slowly_neither_slows_the_run_nor_misses_events(
    daemon_factory: DaemonFactory,
) -> None:
    # A small per-subscriber buffer, so the stalled reader overflows it quickly.
    daemon = await daemon_factory(streams=StreamSettings(subscriber_buffer=2))
    daemon.write_workflow("noisy.yml", NOISY)
    async with daemon.client() as client:
        _, alone = await _timed_run(client, daemon)
        alone = max(alone, 0.2)

        received: list[str] = []
        first_run_done = trio.Event()
        run_ids: list[str] = []
        raw = bytearray()

        async def slow_reader() -> None:
            # Reads a little, then stalls, like a client reading ~1 event/s: the kernel
            # buffers fill, the daemon's per-subscriber buffer overflows, the bus drops it.
            async with client.stream("GET", "/api/events", params={"types": "step.log"}) as r:
                stream = r.aiter_bytes()
                raw.extend(await stream.__anext__())
                connected.set()
                await first_run_done.wait()
                async for chunk in stream:
                    raw.extend(chunk)
                    if b"line 99999\\n" in raw:
                        break

        connected = trio.Event()
        with trio.fail_after(90):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(slow_reader)
                await connected.wait()  # subscribed; from now on it reads nothing
                run_id, with_slow = await _timed_run(client, daemon)
                run_ids.append(run_id)
                # Stalled for longer than the daemon waits for a busy reader to take
                # something (a reader merely slow is waited for, not dropped).
                await trio.sleep(2.5)
                first_run_done.set()  # now it drains everything, caught up from the store

    # The run was not held up by its stalled subscriber (generous bound: noisy machine).
    assert with_slow < alone * 3 + 2, (alone, with_slow)
    for block in raw.decode().split("\n\n"):
        if block.startswith("id:") and "event: step.log" in block:
            data = json.loads(block.split("data: ", 1)[1])
            if data["runId"] == run_ids[0] and data["line"].startswith("line "):
                received.append(data["line"])
    assert received == [f"line {i}\n" for i in range(LINES)]
    stats = daemon.services.bus.statistics()
    assert stats.lagged >= 1  # it really fell behind and caught up from the store


async def test_a_thousand_connect_disconnect_cycles_leave_nothing_behind(daemon: Daemon) -> None:
    bus = daemon.services.bus
    async with daemon.client() as client:
        async with client.stream("GET", "/api/events") as response:  # warm the connection
            async for _chunk in response.aiter_bytes():
                break
        await _settle(bus)
        before = count_tasks()
        for _ in range(1000):
            async with client.stream("GET", "/api/events") as response:
                async for _chunk in response.aiter_bytes():
                    break  # got the ping: the subscription exists; now drop it
        await _settle(bus)
        after = count_tasks()
    assert bus.statistics().subscribers == 0
    assert after <= before, (before, after)


async def _settle(bus: object) -> None:
    with trio.fail_after(5):
        # Polling is the only way: the bus has no "last subscriber left" event.
        while bus.statistics().subscribers:  # type: ignore[attr-defined]  # noqa: ASYNC110
            await trio.sleep(0.01)
    await trio.sleep(0.1)  # connection tasks finish closing


def count_tasks() -> int:
    """Every live task in this trio run."""

    def walk(task: trio.lowlevel.Task) -> int:
        return 1 + sum(
            walk(child) for nursery in task.child_nurseries for child in nursery.child_tasks
        )

    return walk(trio.lowlevel.current_root_task())


async def test_a_client_that_stops_reading_is_cut_off_after_the_write_timeout(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await daemon_factory(streams=StreamSettings(write_timeout_seconds=0.5))
    daemon.write_workflow("noisy.yml", NOISY)
    async with daemon.client() as client:
        run_id, _ = await _timed_run(client, daemon)
    watch = daemon.services.watch
    # A raw client with a tiny receive buffer asks for the whole history, then never reads.
    sock = trio.socket.socket()
    sock.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_RCVBUF, 4096)
    await sock.connect(("127.0.0.1", daemon.address.port))
    stream = trio.SocketStream(sock)
    await stream.send_all(
        f"GET /api/events?runId={run_id}&lastEventId=0 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{daemon.address.port}\r\n\r\n".encode()
    )
    with trio.fail_after(15):
        while watch.statistics().cut == 0:  # noqa: ASYNC110 (no event to wait on)
            await trio.sleep(0.05)
        # The daemon closed its side: draining now ends in EOF, not an endless stream.
        while await stream.receive_some(1 << 20):
            pass
    await stream.aclose()
    assert watch.statistics().open == 0
