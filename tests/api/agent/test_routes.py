"""Agent Protocol (seed 004) against a real daemon: threads, assistants, commands and the
thread event stream (frames, errors, runs one after another, resuming with `since`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import trio

from runner.config import AuthSettings, EnvironmentSettings, StreamSettings
from tests.sse_client import Frame, parse_events, read_frames

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from tests.api.conftest import Daemon, DaemonFactory

ALL_CHANNELS = [
    "values",
    "updates",
    "messages",
    "tools",
    "lifecycle",
    "input",
    "checkpoints",
    "tasks",
    "custom",
]
# build hands an output to test.
TWO_JOBS = """
    name: Two jobs
    on: [push, workflow_dispatch]
    jobs:
      build:
        runs-on: ubuntu-latest
        outputs:
          version: ${{ steps.v.outputs.version }}
        steps:
          - id: v
            name: Version
            run: echo "building"; echo "version=1.2.3" >> "$GITHUB_OUTPUT"
      test:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - name: Test
            run: echo "testing ${{ needs.build.outputs.version }}"
"""
# deploy waits for an approval of environment production.
GATED = """
    name: Gated
    on:
      workflow_dispatch:
        inputs:
          target:
            type: string
            default: staging
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - name: Build
            run: echo "build for ${{ inputs.target }}"
      deploy:
        needs: build
        environment: production
        runs-on: ubuntu-latest
        steps:
          - name: Ship
            run: echo shipping; echo done
"""
OTHER_TOKEN = "another-token-of-this-daemon"
Envelope = dict[str, Any]


async def agent_daemon(daemon_factory: DaemonFactory, **overrides: Any) -> Daemon:
    overrides.setdefault(
        "streams", StreamSettings(agent_heartbeat_seconds=0.2, agent_idle_close_seconds=30)
    )
    daemon = await daemon_factory(
        environments={"production": EnvironmentSettings(approval=True)},
        auth=AuthSettings(tokens=(OTHER_TOKEN,)),
        **overrides,
    )
    daemon.write_workflow("two.yml", TWO_JOBS)
    daemon.write_workflow("gated.yml", GATED)
    return daemon


async def command(
    client: httpx.AsyncClient,
    daemon: Daemon,
    thread: str,
    method: str,
    params: dict[str, Any],
    command_id: int = 1,
) -> Envelope:
    response = await client.post(
        f"/threads/{thread}/commands",
        json={"id": command_id, "method": method, "params": params},
        headers=daemon.auth,
    )
    assert response.status_code == 200, response.text
    body: Envelope = response.json()
    return body


async def start(client: httpx.AsyncClient, daemon: Daemon, thread: str, workflow: str) -> Envelope:
    reply = await command(client, daemon, thread, "run.start", {"assistant_id": workflow})
    assert reply["type"] == "success", reply
    return reply


def root_end(envelope: Envelope) -> bool:
    params = envelope["params"]
    return (
        envelope["method"] == "lifecycle"
        and params["namespace"] == []
        and params["data"]["event"] in ("completed", "failed")
    )


async def read(
    client: httpx.AsyncClient,
    daemon: Daemon,
    thread: str,
    *,
    until: Callable[[Envelope], bool] = root_end,
    body: dict[str, Any] | None = None,
    on_open: Callable[[], Any] | None = None,
    runs: int = 1,
) -> list[Envelope]:
    """Envelopes of the thread's stream until `until` has held `runs` times (or the
    server ends the stream); the SSE `event:` and `id:` are checked on the way."""
    left = runs

    def enough(frame: Frame) -> bool:
        nonlocal left
        if until(frame.data):
            left -= 1
        return left == 0

    frames = await read_frames(
        client,
        "POST",
        f"/threads/{thread}/stream/events",
        json=body or {"channels": ALL_CHANNELS},
        headers=daemon.auth,
        on_open=on_open,
        until=enough,
    )
    for event, frame_id, envelope in frames:
        assert event == envelope["method"]
        assert frame_id == str(envelope["seq"])
    return [frame.data for frame in frames]


def outline(envelopes: list[Envelope]) -> list[tuple[str, list[str], str]]:
    """(method, namespace, what) per envelope, log lines and snapshots left out."""
    out = []
    for e in envelopes:
        data, ns = e["params"]["data"], e["params"]["namespace"]
        if e["method"] == "lifecycle":
            out.append(("lifecycle", ns, data["event"]))
        elif e["method"] == "tasks":
            out.append(("tasks", ns, f"{data['name']} {'result' if 'result' in data else 'start'}"))
        elif e["method"] == "updates":
            out.append(("updates", ns, json.dumps(data, sort_keys=True)))
        elif e["method"] == "input.requested":
            out.append(("input.requested", ns, data["interrupt_id"].rsplit(":", 2)[1]))
    return out


TWO_JOBS_OUTLINE = [
    ("lifecycle", [], "running"),
    ("tasks", [], "build start"),
    ("lifecycle", ["build"], "started"),
    ("tasks", ["build"], "Version start"),
    ("tasks", ["build"], "Version result"),
    ("updates", [], '{"node": "build", "values": {"version": "1.2.3"}}'),
    ("tasks", [], "build result"),
    ("lifecycle", ["build"], "completed"),
    ("tasks", [], "test start"),
    ("lifecycle", ["test"], "started"),
    ("tasks", ["test"], "Test start"),
    ("tasks", ["test"], "Test result"),
    ("updates", [], '{"node": "test", "values": {}}'),
    ("tasks", [], "test result"),
    ("lifecycle", ["test"], "completed"),
    ("lifecycle", [], "completed"),
]


def logs(envelopes: list[Envelope], job: str) -> list[str]:
    return [
        e["params"]["data"]["payload"]["line"]
        for e in envelopes
        if e["method"] == "custom" and e["params"]["namespace"] == [job]
        if e["params"]["data"]["name"] == "log"
    ]


def check_seqs(envelopes: list[Envelope]) -> None:
    seqs = [e["seq"] for e in envelopes]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert len({e["event_id"] for e in envelopes}) == len(envelopes)


# -- the stream ------------------------------------------------------------------------
async def test_frames_of_a_two_job_run(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)
    async with daemon.client() as client:
        created = await client.post(
            "/threads", json={"thread_id": "t-frames", "metadata": {"k": "v"}}, headers=daemon.auth
        )
        assert created.status_code == 200, created.text
        reply: Envelope = {}
        text = ""
        with trio.fail_after(20):
            async with client.stream(
                "POST",
                "/threads/t-frames/stream/events",
                json={"channels": ["lifecycle", "custom:log", "updates"]},
                headers=daemon.auth,
            ) as response:
                assert response.status_code == 200
                assert response.headers["content-type"] == "text/event-stream"
                assert response.headers["cache-control"] == "no-cache"
                reply = await start(client, daemon, "t-frames", "two")
                finished = '{"event":"completed","graph_name":"Two jobs"}'
                async for chunk in response.aiter_text():
                    text += chunk
                    if finished in text and text.endswith("\n\n"):
                        break
    assert set(reply) == {"type", "id", "result", "meta"}
    assert reply["id"] == 1
    run_id = reply["result"]["run_id"]
    through = reply["meta"]["applied_through_seq"]
    assert text.startswith(": open\n\n")
    envelopes = []
    for sse in parse_events(text):
        envelope = sse.json()
        assert "\n" not in sse.data  # one data: line
        assert sse.event == envelope["method"]
        assert sse.id == str(envelope["seq"])
        assert list(envelope) == ["type", "seq", "event_id", "method", "params"]
        assert list(envelope["params"]) == ["data", "namespace", "timestamp"]
        assert envelope["type"] == "event"
        assert envelope["seq"] > through
        envelopes.append(envelope)
    check_seqs(envelopes)
    assert [o for o in outline(envelopes) if o[0] == "lifecycle"] == [
        o for o in TWO_JOBS_OUTLINE if o[0] == "lifecycle"
    ]
    assert [o for o in outline(envelopes) if o[0] == "updates"] == [
        o for o in TWO_JOBS_OUTLINE if o[0] == "updates"
    ]
    assert "building" in logs(envelopes, "build")
    assert "testing 1.2.3" in logs(envelopes, "test")
    assert {e["method"] for e in envelopes} == {"lifecycle", "custom", "updates"}
    async with daemon.client() as client:
        thread = (await client.get("/threads/t-frames", headers=daemon.auth)).json()
    assert thread["metadata"] == {"k": "v"}
    assert thread["values"]["id"] == run_id
    assert thread["status"] == "idle"


async def test_the_stream_stays_open_across_runs_and_replays_oldest_first(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await agent_daemon(daemon_factory)
    async with daemon.client() as client:
        replies: list[Envelope] = []
        ends = 0

        async def start_a_run() -> None:
            replies.append(await start(client, daemon, "t-runs", "two"))

        async def the_next_once_the_first_ends(frame: Frame) -> None:
            nonlocal ends
            if root_end(frame.data):
                ends += 1
                if ends == 1:
                    await start_a_run()

        frames = await read_frames(
            client,
            "POST",
            "/threads/t-runs/stream/events",
            json={"channels": ALL_CHANNELS},
            headers=daemon.auth,
            on_open=start_a_run,
            on_frame=the_next_once_the_first_ends,
            until=lambda _: ends == 2,
        )
        live = [frame.data for frame in frames]
        history = await read(client, daemon, "t-runs", runs=2)
    assert history == live
    check_seqs(live)
    first, second = (r["result"]["run_id"] for r in replies)
    ends = [i for i, e in enumerate(live) if root_end(e)]
    assert outline(live[: ends[0] + 1]) == TWO_JOBS_OUTLINE
    assert outline(live[ends[0] + 1 :]) == TWO_JOBS_OUTLINE
    values = [e["params"]["data"]["id"] for e in live if e["method"] == "values"]
    assert values == [first, first, second, second]
    assert (
        live[ends[0]]["seq"] <= replies[1]["meta"]["applied_through_seq"] < live[ends[0] + 1]["seq"]
    )


async def test_resume_with_since_after_a_dropped_connection_mid_run(
    daemon_factory: DaemonFactory,
) -> None:
    """The client drops while the run waits for an approval, the run goes on (approved)
    while it is away, and it comes back with `since`: nothing missed, nothing twice."""
    daemon = await agent_daemon(daemon_factory)
    async with daemon.client() as client:
        reply: Envelope = {}

        async def run_start() -> None:
            nonlocal reply
            reply = await command(
                client, daemon, "t-resume", "run.start", {"assistant_id": "gated", "input": {}}
            )

        before = await read(
            client,
            daemon,
            "t-resume",
            on_open=run_start,
            until=lambda e: e["method"] == "input.requested",
        )
        interrupt = before[-1]["params"]["data"]["interrupt_id"]
        answer = await command(
            client,
            daemon,
            "t-resume",
            "input.respond",
            {"interrupt_id": interrupt, "namespace": ["deploy"], "response": True},
            command_id=2,
        )
        assert answer == {"type": "success", "id": 2, "result": {}}
        after = await read(
            client, daemon, "t-resume", body={"channels": ALL_CHANNELS, "since": before[-1]["seq"]}
        )
        everything = await read(client, daemon, "t-resume")
    assert reply["type"] == "success"
    assert before + after == everything
    check_seqs(everything)
    assert outline(everything) == [
        ("lifecycle", [], "running"),
        ("tasks", [], "build start"),
        ("lifecycle", ["build"], "started"),
        ("tasks", ["build"], "Build start"),
        ("tasks", ["build"], "Build result"),
        ("updates", [], '{"node": "build", "values": {}}'),
        ("tasks", [], "build result"),
        ("lifecycle", ["build"], "completed"),
        ("tasks", [], "deploy start"),
        ("lifecycle", ["deploy"], "started"),
        ("lifecycle", [], "interrupted"),
        ("input.requested", ["deploy"], "deploy"),
        ("lifecycle", [], "running"),
        ("tasks", ["deploy"], "Ship start"),
        ("tasks", ["deploy"], "Ship result"),
        ("updates", [], '{"node": "deploy", "values": {}}'),
        ("tasks", [], "deploy result"),
        ("lifecycle", ["deploy"], "completed"),
        ("lifecycle", [], "completed"),
    ]
    assert logs(everything, "build")[-1] == "build for staging"
    assert logs(everything, "deploy")[-2:] == ["shipping", "done"]
    # The Last-Event-ID header resumes the same way (for clients that send it).
    async with daemon.client() as client:
        resumed = await read_with_header(client, daemon, "t-resume", before[-1]["seq"])
    assert resumed == after


async def read_with_header(
    client: httpx.AsyncClient, daemon: Daemon, thread: str, last: int
) -> list[Envelope]:
    frames = await read_frames(
        client,
        "POST",
        f"/threads/{thread}/stream/events",
        json={"channels": ALL_CHANNELS},
        headers={**daemon.auth, "Last-Event-ID": str(last)},
        until=lambda frame: root_end(frame.data),
    )
    return [frame.data for frame in frames]


async def test_filters_namespaces_and_depth(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)
    async with daemon.client() as client:
        await start(client, daemon, "t-filter", "two")
        deep = await read(
            client,
            daemon,
            "t-filter",
            body={"channels": ["lifecycle", "tasks"], "namespaces": [["test"]], "depth": 0},
        )
        root_only = await read(
            client, daemon, "t-filter", body={"channels": ["lifecycle", "tasks"], "depth": 0}
        )
        logs_only = await read(
            client, daemon, "t-filter", body={"channels": ["custom:log", "lifecycle"]}
        )
    assert {tuple(e["params"]["namespace"]) for e in deep} == {(), ("test",)}
    assert {tuple(e["params"]["namespace"]) for e in root_only} == {()}
    assert {e["params"]["data"].get("name") for e in logs_only if e["method"] == "custom"} == {
        "log"
    }


async def test_threads_do_not_see_each_others_runs(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)
    async with daemon.client() as client:
        mine: Envelope = {}

        async def both() -> None:
            nonlocal mine
            await start(client, daemon, "t-other", "two")
            mine = await start(client, daemon, "t-mine", "two")

        seen = await read(client, daemon, "t-mine", on_open=both)
    run_ids = {e["params"]["data"]["id"] for e in seen if e["method"] == "values"}
    assert run_ids == {mine["result"]["run_id"]}


async def test_heartbeats_then_the_idle_stream_closes(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(
        daemon_factory,
        streams=StreamSettings(agent_heartbeat_seconds=0.05, agent_idle_close_seconds=0.4),
    )
    async with daemon.client() as client:
        await start(client, daemon, "t-idle", "two")
        text = ""
        with trio.fail_after(20):
            async with client.stream(
                "POST",
                "/threads/t-idle/stream/events",
                json={"channels": ["lifecycle"]},
                headers=daemon.auth,
            ) as response:
                async for chunk in response.aiter_text():
                    text += chunk  # until the server ends the stream
    assert ": heartbeat\n\n" in text  # a comment: raw text shows it, a parser skips it
    assert [sse.event for sse in parse_events(text)] == ["lifecycle"] * 6
    assert text.rstrip().endswith(": heartbeat")


# -- errors ------------------------------------------------------------------------------
def assert_validation_error(response: httpx.Response) -> list[dict[str, Any]]:
    """Seed 004's HTTPValidationError: {"detail": [{"loc": [...], "msg", "type"}]}."""
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}, body
    assert isinstance(body["detail"], list), body
    assert body["detail"], body
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}, item
        assert all(isinstance(part, str | int) for part in item["loc"]), item
        assert item["loc"][0] in ("body", "path", "query", "header"), item
        assert isinstance(item["msg"], str), item
        assert isinstance(item["type"], str), item
    detail: list[dict[str, Any]] = body["detail"]
    return detail


async def test_stream_errors(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)
    url = "/threads/t-err/stream/events"
    async with daemon.client() as client:
        await client.post("/threads", json={"thread_id": "t-err"}, headers=daemon.auth)

        async def status(body: Any, headers: dict[str, str] | None = None, path: str = url) -> int:
            response = await client.post(
                path,
                content=body if isinstance(body, bytes) else json.dumps(body),
                headers=headers if headers is not None else daemon.auth,
            )
            if response.status_code == 422:  # the seed's HTTPValidationError, exactly
                assert_validation_error(response)
            elif response.status_code != 200:
                assert response.headers["content-type"] == "application/json"
                assert set(response.json()) == {"error", "detail"}
            return response.status_code

        assert await status({"channels": []}) == 400
        assert await status({"channels": ["values", "logs"]}) == 400
        assert await status({"channels": ["custom:"]}) == 400
        assert await status(b"{not json") == 422
        assert await status([1]) == 422
        assert await status({}) == 422
        assert await status({"channels": "values"}) == 422
        assert await status({"channels": [1]}) == 422
        assert await status({"channels": ["values"], "depth": -1}) == 422
        assert await status({"channels": ["values"], "since": "5"}) == 422
        assert await status({"channels": ["values"], "since": True}) == 422
        assert await status({"channels": ["values"], "namespaces": ["a"]}) == 422
        assert await status({"channels": ["values"]}, headers={}) == 401
        other = {"x-api-key": OTHER_TOKEN}
        assert await status({"channels": ["values"]}, headers=other) == 404
        assert await status({"channels": ["values"]}, path="/threads/bad%20id/stream/events") == 422
        refused = await client.post(
            url, json={"channels": ["values"], "depth": -1}, headers=daemon.auth
        )
        assert assert_validation_error(refused) == [
            {
                "loc": ["body", "depth"],
                "msg": "expected a non-negative integer or null",
                "type": "value_error",
            }
        ]
        assert (await client.get("/threads/t-err", headers=other)).status_code == 404
        assert (await client.get("/threads/t-err/state", headers=other)).status_code == 404
        reply = await client.post(
            "/threads/t-err/commands",
            json={"id": 1, "method": "run.start", "params": {"assistant_id": "two"}},
            headers=other,
        )
        assert reply.status_code == 404


async def test_disabled_in_stax_toml_is_503(daemon_factory: DaemonFactory) -> None:
    daemon = await daemon_factory(agent_protocol=False)
    async with daemon.client() as client:
        for method, path in (
            ("POST", "/threads/t/stream/events"),
            ("POST", "/threads/t/commands"),
            ("POST", "/threads"),
            ("GET", "/threads/t"),
            ("POST", "/assistants/search"),
            ("GET", "/assistants/x"),
        ):
            body = {"channels": ["values"]} if method == "POST" else None
            response = await client.request(method, path, json=body, headers=daemon.auth)
            assert response.status_code == 503, (path, response.text)
            assert "agent_protocol" in response.json()["detail"]


async def test_commands_and_their_errors(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)
    async with daemon.client() as client:

        async def send(payload: Any) -> Envelope:
            response = await client.post(
                "/threads/t-cmd/commands", json=payload, headers=daemon.auth
            )
            assert response.status_code == 200, response.text
            body: Envelope = response.json()
            if body["type"] == "error":
                assert set(body) == {"type", "id", "error", "message"}
            return body

        def run_start(**params: Any) -> dict[str, Any]:
            return {"id": 3, "method": "run.start", "params": params}

        cases: list[tuple[Any, Any, str]] = [
            (run_start(assistant_id="nope"), 3, "invalid_argument"),
            (run_start(assistant_id="../etc/passwd"), 3, "invalid_argument"),
            (run_start(), 3, "invalid_argument"),
            (run_start(assistant_id="gated", input=[1]), 3, "invalid_argument"),
            (run_start(assistant_id="gated", input={"nope": 1}), 3, "invalid_argument"),
            ({"id": 4, "method": "run.stop", "params": {}}, 4, "unknown_command"),
            ({"id": 5, "method": "state.get", "params": {}}, 5, "not_supported"),
            ({"method": "run.start", "params": {}}, None, "invalid_argument"),
            ({"id": "1", "method": "run.start"}, None, "invalid_argument"),
            ({"id": 6, "params": {}}, 6, "invalid_argument"),
            ({"id": 7, "method": "run.start", "params": []}, 7, "invalid_argument"),
            (
                {
                    "id": 8,
                    "method": "input.respond",
                    "params": {"interrupt_id": "x", "response": True},
                },
                8,
                "no_such_interrupt",
            ),
            (
                {"id": 9, "method": "input.respond", "params": {"response": True}},
                9,
                "invalid_argument",
            ),
        ]
        for payload, command_id, code in cases:
            reply = await send(payload)
            assert (reply["type"], reply["id"], reply["error"]) == ("error", command_id, code), (
                payload,
                reply,
            )
        assert (
            "no assistant (workflow) named 'nope'"
            in (await send(run_start(assistant_id="nope")))["message"]
        )
        assert (
            "unknown input 'nope'"
            in (await send(run_start(assistant_id="gated", input={"nope": 1})))["message"]
        )
        # A run that waits for its approval keeps the thread busy.
        started = await send(run_start(assistant_id="gated", input={"target": "prod"}))
        assert started["type"] == "success", started
        busy = await send(run_start(assistant_id="two"))
        assert busy["error"] == "invalid_argument"
        assert started["result"]["run_id"] in busy["message"]
        run_id = started["result"]["run_id"]
        interrupt = f"{run_id}:deploy:approval"
        events = await read(
            client, daemon, "t-cmd", until=lambda e: e["method"] == "input.requested"
        )
        assert events[-1]["params"]["data"]["interrupt_id"] == interrupt
        respond = {"id": 10, "method": "input.respond"}
        bad = await send({**respond, "params": {"interrupt_id": interrupt, "response": "yes"}})
        assert bad["error"] == "invalid_argument"
        wrong_ns = {"interrupt_id": interrupt, "namespace": ["build"], "response": True}
        assert (await send({**respond, "params": wrong_ns}))["error"] == "no_such_namespace"
        rejected = await send(
            {
                **respond,
                "params": {
                    "responses": [{"interrupt_id": interrupt, "response": {"approved": False}}]
                },
            }
        )
        assert rejected == {"type": "success", "id": 10, "result": {}}
        again = await send({**respond, "params": {"interrupt_id": interrupt, "response": True}})
        assert again["error"] == "no_such_interrupt"
        events = await read(client, daemon, "t-cmd")
        end = events[-1]["params"]["data"]
        assert end["event"] == "failed"
        assert "rejected" in end["error"]
        malformed = await client.post("/threads/t-cmd/commands", content=b"[", headers=daemon.auth)
        assert assert_validation_error(malformed)[0]["type"] == "json_invalid"


# -- threads and assistants --------------------------------------------------------------
async def test_threads_and_assistants(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)
    daemon.write_workflow("broken.yml", "on: push\njobs: 3\n")
    async with daemon.client() as client:
        made = await client.post(
            "/threads", json={"thread_id": "t-rest", "metadata": {"who": "me"}}, headers=daemon.auth
        )
        assert made.status_code == 200
        thread = made.json()
        assert (thread["thread_id"], thread["metadata"], thread["status"]) == (
            "t-rest",
            {"who": "me"},
            "idle",
        )
        assert thread["values"] == {}
        assert thread["interrupts"] == {}
        assert thread["created_at"].endswith("Z")
        again = await client.post("/threads", json={"thread_id": "t-rest"}, headers=daemon.auth)
        assert again.status_code == 409
        kept = await client.post(
            "/threads", json={"thread_id": "t-rest", "if_exists": "do_nothing"}, headers=daemon.auth
        )
        assert kept.json() == thread
        minted = (await client.post("/threads", headers=daemon.auth)).json()
        assert len(minted["thread_id"]) == 36
        assert (await client.get("/threads/t-rest", headers=daemon.auth)).json() == thread
        assert (await client.get("/threads/t-none", headers=daemon.auth)).status_code == 404
        assert (await client.get("/threads/t-rest")).status_code == 401
        bad = await client.post("/threads", json={"metadata": []}, headers=daemon.auth)
        assert assert_validation_error(bad) == [
            {"loc": ["body", "metadata"], "msg": "must be an object", "type": "dict_type"}
        ]

        state = (await client.get("/threads/t-rest/state", headers=daemon.auth)).json()
        assert (state["values"], state["next"], state["tasks"]) == ({}, [], [])
        run_id = (await start(client, daemon, "t-rest", "gated"))["result"]["run_id"]
        await read(client, daemon, "t-rest", until=lambda e: e["method"] == "input.requested")
        waiting = (await client.get("/threads/t-rest/state", headers=daemon.auth)).json()
        assert waiting["next"] == ["deploy"]
        assert [t["name"] for t in waiting["tasks"]] == ["deploy"]
        interrupt = {
            "id": f"{run_id}:deploy:approval",
            "value": {"run_id": run_id, "job_id": "deploy", "environment": "production"},
        }
        assert waiting["interrupts"] == [interrupt]
        busy = (await client.get("/threads/t-rest", headers=daemon.auth)).json()
        assert busy["status"] == "interrupted"
        assert busy["interrupts"] == {"deploy": [interrupt]}

        found = (await client.post("/assistants/search", json={}, headers=daemon.auth)).json()
        assert [a["assistant_id"] for a in found] == ["broken", "gated", "two"]
        two = found[2]
        assert (two["graph_id"], two["name"], two["version"]) == ("two", "Two jobs", 1)
        assert two["metadata"]["jobs"] == [
            {"id": "build", "name": "build", "needs": []},
            {"id": "test", "name": "test", "needs": ["build"]},
        ]
        assert found[0]["metadata"]["valid"] is False
        assert found[1]["metadata"]["inputs"][0]["name"] == "target"
        page = await client.post(
            "/assistants/search", json={"limit": 1, "offset": 1}, headers=daemon.auth
        )
        assert [a["assistant_id"] for a in page.json()] == ["gated"]
        assert page.headers["X-Pagination-Next"] == "2"
        named = await client.post("/assistants/search", json={"name": "JOBS"}, headers=daemon.auth)
        assert [a["assistant_id"] for a in named.json()] == ["two"]
        by_graph = await client.post(
            "/assistants/search", json={"graph_id": "gated"}, headers=daemon.auth
        )
        assert [a["assistant_id"] for a in by_graph.json()] == ["gated"]
        limit = await client.post("/assistants/search", json={"limit": 0}, headers=daemon.auth)
        assert [e["loc"] for e in assert_validation_error(limit)] == [["body", "limit"]]
        assert (await client.get("/assistants/two", headers=daemon.auth)).json() == two
        assert (await client.get("/assistants/nope", headers=daemon.auth)).status_code == 404
