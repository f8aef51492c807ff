"""Slow and fickle subscribers never slow the engine, never leak, never miss an event."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio
import trio.testing

from runner.config import StreamSettings
from tests.api.runner_events.test_stream import start_run
from tests.api.runs.test_routes import wait_for_run
from tests.sse_client import parse_events

if TYPE_CHECKING:
    import httpx

    from runner.events.bus import Bus
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


async def _run(client: httpx.AsyncClient, daemon: Daemon) -> str:
    run_id = await start_run(client, daemon, "noisy")
    run = await wait_for_run(client, run_id)
    assert run["conclusion"] == "success"
    return run_id


async def test_a_stalled_subscriber_neither_holds_up_the_run_nor_misses_events(
    daemon_factory: DaemonFactory,
) -> None:
    """The run completes while its subscriber reads nothing; the bus drops that subscriber,
    which then catches up from the store with every line once. (What a stalled reader
    costs a run in time is measured by bench/clients.py's "stalled" phases.)"""
    # A small per-subscriber buffer, so the stalled reader overflows it quickly.
    daemon = await daemon_factory(streams=StreamSettings(subscriber_buffer=2))
    daemon.write_workflow("noisy.yml", NOISY)
    bus = daemon.services.bus
    async with daemon.client() as client:
        connected = trio.Event()
        run_done_and_reader_dropped = trio.Event()
        raw = bytearray()

        async def stalled_reader() -> None:
            # Reads its first bytes, then nothing until the run is over: the kernel's
            # buffers fill, its buffer on the bus overflows, the bus drops it.
            async with client.stream("GET", "/api/events", params={"types": "step.log"}) as r:
                stream = r.aiter_bytes()
                raw.extend(await stream.__anext__())
                connected.set()
                await run_done_and_reader_dropped.wait()
                async for chunk in stream:
                    raw.extend(chunk)
                    if b"line 99999\\n" in raw:
                        break

        with trio.fail_after(90):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(stalled_reader)
                await connected.wait()  # subscribed; from now on it reads nothing
                run_id = await _run(client, daemon)
                # The daemon waits a while for a reader short of room before dropping it
                # (a reader merely slow is waited for); this one never takes anything.
                while bus.statistics().lagged == 0:  # noqa: ASYNC110 (no event to wait on)
                    await trio.sleep(0.01)
                run_done_and_reader_dropped.set()  # now it drains, caught up from the store

    logged = [
        sse.json()
        for sse in parse_events(raw.decode())
        if sse.event == "step.log" and sse.json()["runId"] == run_id
    ]
    received = [data["line"] for data in logged if data["line"].startswith("line ")]
    assert received == [f"line {i}\n" for i in range(LINES)]


async def test_a_thousand_connect_disconnect_cycles_leave_nothing_behind(daemon: Daemon) -> None:
    bus = daemon.services.bus
    async with daemon.client() as client:
        async with client.stream("GET", "/api/events") as response:  # warm the connection
            async for _chunk in response.aiter_bytes():
                break
        before = await _settled(bus, tasks_at_most=None)
        for _ in range(1000):
            async with client.stream("GET", "/api/events") as response:
                async for _chunk in response.aiter_bytes():
                    break  # got the ping: the subscription exists; now drop it
        # Every subscription and every connection task ends (a leak never does).
        await _settled(bus, tasks_at_most=before)


async def _settled(bus: Bus, *, tasks_at_most: int | None) -> int:
    """Wait until the bus has no subscriber and (given a bound) the daemon's connection
    tasks are down to it; the number of live tasks then."""

    def settled() -> bool:
        if bus.statistics().subscribers:
            return False
        return tasks_at_most is None or count_tasks() <= tasks_at_most

    # Polling is the only way: neither the bus nor Hypercorn signals "all gone".
    with trio.move_on_after(10):
        while not settled():  # noqa: ASYNC110
            await trio.sleep(0.01)
        await trio.testing.wait_all_tasks_blocked()
    tasks = count_tasks()
    assert bus.statistics().subscribers == 0
    assert tasks_at_most is None or tasks <= tasks_at_most, (tasks, tasks_at_most)
    return tasks


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
        run_id = await _run(client, daemon)
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
