"""A step's log over REST (`GET /api/runs/{id}/jobs/{job}/steps/{n}/log`) is streamed
from the store page by page: many readers of a big log cost the daemon a bounded amount
of memory each, and every reader gets exactly the bytes the step printed, beside readers
that hang up halfway."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import trio

from tests.api.runs.test_routes import wait_for_run

if TYPE_CHECKING:
    from tests.api.conftest import Daemon
    from tests.real_daemon import Project

LINES = 320_000  # ~40 MB: line i is its number, some non-ASCII text, a tab and i % 200 x's
READERS = 5

PRINT_LINES = """
on: push
jobs:
  big:
    runs-on: ubuntu-latest
    steps:
      - run: |
          python3 -c "
          import sys
          write = sys.stdout.write
          for i in range({lines}):
              write(f'{{i:07d}} ünïcödé ✓ \\t' + 'x' * (i % 200) + '\\n')
          "
"""


def printed(lines: int) -> bytes:
    """What the step of PRINT_LINES writes to its stdout."""
    return "".join(f"{i:07d} ünïcödé ✓ \t" + "x" * (i % 200) + "\n" for i in range(lines)).encode()


def check_log(body: bytes, expected: bytes) -> None:
    """The log is the step's header group (its script), then exactly what it printed."""
    header, _, rest = body.partition(b"##[endgroup]\n")
    assert header.startswith(b"##[group]Run python3"), body[:200]
    assert rest == expected


class Digest:
    """What a reader received, kept as its first bytes and a hash (not 40 MB a reader)."""

    def __init__(self) -> None:
        self.head = b""
        self.hash = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        if len(self.head) < 4096:
            self.head += chunk[:4096]
        self.hash.update(chunk)

    def check(self, expected: bytes) -> None:
        header, found, _ = self.head.partition(b"##[endgroup]\n")
        assert found, self.head[:200]
        assert header.startswith(b"##[group]Run python3"), self.head[:200]
        whole = hashlib.sha256(header + found)
        whole.update(expected)
        assert self.hash.hexdigest() == whole.hexdigest()


def rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


def test_readers_of_a_big_log_cost_the_daemon_little_and_get_every_byte(
    project: Project,
) -> None:
    daemon = project.serve()
    project.workflow("big", PRINT_LINES.format(lines=LINES))
    run_id = project.post("/api/runs", {"workflow": "big"}).json()["runId"]
    assert project.wait_run(run_id, timeout=120)["conclusion"] == "success"
    expected = printed(LINES)
    url = f"{project.url}/api/runs/{run_id}/jobs/big/steps/1/log"

    Path(f"/proc/{daemon.pid}/clear_refs").write_text("5")  # restart the peak (VmHWM) here
    before = rss_mb(daemon.pid, "VmRSS")
    bodies: dict[int, Digest] = {}
    hung_up = threading.Event()

    def read(reader: int) -> None:
        with httpx.stream("GET", url, timeout=60) as response:
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            digest = Digest()
            for chunk in response.iter_bytes():
                digest.update(chunk)
            bodies[reader] = digest

    def hang_up_halfway() -> None:
        with httpx.stream("GET", url, timeout=60) as response:
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > len(expected) // 2:
                    break
        hung_up.set()

    threads = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
    threads.append(threading.Thread(target=hang_up_halfway))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    peak = rss_mb(daemon.pid, "VmHWM")

    assert hung_up.is_set()
    assert sorted(bodies) == list(range(READERS))
    for digest in bodies.values():
        digest.check(expected)
    # Reading the whole log into memory cost several times its size per reader (6 readers
    # of 25 MB: +500 MB); a page at a time costs a few MB each, whatever the log's size.
    log_mb = len(expected) / 2**20
    assert peak - before < log_mb, (before, peak, log_mb)
    # The daemon serves on, and a reader after the hang-up gets the log whole.
    check_log(httpx.get(url, timeout=60).content, expected)
    assert daemon.poll() is None


async def test_a_reader_that_hangs_up_leaves_no_stream_behind(daemon: Daemon) -> None:
    """Its response generator is closed (the write watch forgets it) and the next reader
    gets the log whole."""
    daemon.write_workflow("big.yml", PRINT_LINES.format(lines=40_000))
    expected = printed(40_000)
    async with daemon.client() as client:
        started = await client.post("/api/runs", json={"workflow": "big"}, headers=daemon.auth)
        run_id = started.json()["runId"]
        url = f"/api/runs/{run_id}/jobs/big/steps/1/log"
        await wait_for_run(client, run_id)
        with trio.fail_after(20):
            async with client.stream("GET", url) as response:
                async for _ in response.aiter_bytes():
                    assert daemon.services.watch.statistics().open == 1
                    break
            while True:  # the server notices the hang-up on its next write
                if daemon.services.watch.statistics().open == 0:
                    break
                await trio.sleep(0.01)
        check_log((await client.get(url)).content, expected)
        assert daemon.services.watch.statistics().open == 0
