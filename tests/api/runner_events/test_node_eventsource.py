"""The npm `eventsource` client reconnects to /api/events with Last-Event-ID, missing nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import trio

from tests.api.runner_events.test_stream import collect, start_run
from tests.requires import NODE, NODE_DIR, requires_node_eventsource

if TYPE_CHECKING:
    from tests.api.conftest import Daemon


@requires_node_eventsource
async def test_eventsource_reconnects_with_last_event_id_and_misses_nothing(daemon: Daemon) -> None:
    daemon.write_workflow(
        "lines.yml",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: for i in $(seq 1 200); do echo "line $i"; done
    """,
    )
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "lines")
        expected = [
            (name, frame_id, data)
            for name, frame_id, data in await collect(client, {"runId": run_id, "lastEventId": "0"})
            if name != "ping"
        ]
    url = f"{daemon.url}/api/events?runId={run_id}&lastEventId=0"
    with trio.fail_after(40):
        result = await trio.run_process(
            [NODE, str(NODE_DIR / "follow_events.mjs"), url, "3000", "run.completed"],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    summary = lines.pop()
    got = [(e["event"], e["id"], json.loads(e["data"])) for e in lines if e["event"] != "ping"]
    assert summary["connections"] == 2  # it was cut, and came back once
    resumed_from = summary["lastIds"][1]
    assert resumed_from in [frame_id for _, frame_id, _ in got[:-1]]  # not from scratch
    assert got == expected  # every event once, in order, across the cut
