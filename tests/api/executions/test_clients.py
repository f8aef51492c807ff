"""Seed 000's own clients against a real daemon: the npm `eventsource` package (run with
node) and the seed's curl | jq loop."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import trio

from tests.api.executions.test_stream import ci_daemon, start_ci, threads
from tests.requires import (
    BASH,
    NODE,
    NODE_DIR,
    requires_curl_jq,
    requires_node_eventsource,
)

if TYPE_CHECKING:
    from tests.api.conftest import DaemonFactory

# The seed's example, verbatim but for the URL.
SEED_CURL_JQ = """
curl -sN '{url}' \\
| while IFS= read -r line; do
case "$line" in
data:*) echo "${{line#data: }}" | jq . ;;
esac
done
"""


@requires_node_eventsource
async def test_eventsource_reconnects_with_last_event_id_misses_nothing_and_stops_on_204(
    daemon_factory: DaemonFactory,
) -> None:
    command = [NODE, str(NODE_DIR / "follow_threads.mjs")]
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon, approve=True)
        expected = await threads(client, run_id)
    url = f"{daemon.url}/api/executions/{run_id}/threads/stream"
    with trio.fail_after(30):
        result = await trio.run_process(
            [*command, url, "2500"], capture_stdout=True, capture_stderr=True, check=False
        )
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    summary = lines.pop()
    got = [(e["event"], e["id"], json.loads(e["data"])) for e in lines]
    # Cut, reconnected once with Last-Event-ID, then the finished stream ended, the client
    # came back once more, got 204 and stopped.
    assert summary["connections"] == 3
    assert summary["statuses"] == [200, 200, 204]
    assert summary["readyState"] == 2
    resumed_from, last_seen = summary["lastIds"][1], summary["lastIds"][2]
    assert resumed_from not in (None, "0")  # resumed, not replayed from scratch
    assert last_seen == expected[-1][1]
    events = [f for f in got if f[0] != "connected"]
    assert events == expected[1:]  # every event once, in order, across the cut
    connected = [f for f in got if f[0] == "connected"]
    assert [f[1] for f in connected] == ["0", resumed_from]


@requires_curl_jq
async def test_the_seeds_curl_jq_example(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon, approve=True)
        # One thread keeps the frame count (a jq process each) small.
        expected = [
            data for _, _, data in await threads(client, run_id, params={"threadIds": "lint"})
        ]
    url = f"{daemon.url}/api/executions/{run_id}/threads/stream?threadIds=lint"
    script = SEED_CURL_JQ.format(url=url)
    with trio.fail_after(30):
        result = await trio.run_process(
            [BASH, "-c", script], capture_stdout=True, capture_stderr=True, check=False
        )
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    assert text.startswith("{\n  ")  # jq pretty-printed each payload
    decoder, position, documents = json.JSONDecoder(), 0, []
    while position < len(text.rstrip()):
        document: Any
        document, end = decoder.raw_decode(text, position)
        documents.append(document)
        position = end + 1
    assert documents == expected
    assert documents[0] == {"executionId": run_id, "threadIds": ["lint"]}
    assert documents[-1]["type"] == "gateway_thread_failed"
