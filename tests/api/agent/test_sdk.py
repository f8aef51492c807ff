"""The stock `langgraph-sdk` against a real daemon: `client.threads.stream(...)`, `run.start`,
a second run on the same thread, and a job's approval answered with `run.respond`.

The SDK's async client is built on asyncio (tasks, futures), so the sync client runs
in a worker thread (`trio.to_thread.run_sync`), as a user's script would run it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
import trio

from tests.api.agent.test_routes import (
    ALL_CHANNELS,
    TWO_JOBS_OUTLINE,
    agent_daemon,
    check_seqs,
    outline,
    read,
    root_end,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.api.conftest import Daemon, DaemonFactory

langgraph_sdk = pytest.importorskip("langgraph_sdk")


def sdk(daemon: Daemon) -> Any:
    return langgraph_sdk.get_sync_client(url=daemon.url, api_key=daemon.address.token, timeout=20)


async def in_thread(fn: Callable[[], Any]) -> Any:
    """Run blocking SDK code; a hang fails the test instead of hanging it."""
    with trio.fail_after(40):
        return await trio.to_thread.run_sync(fn, abandon_on_cancel=True)


async def test_sdk_streams_a_two_job_run_then_a_second_run_on_the_thread(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await agent_daemon(daemon_factory)

    def session() -> dict[str, Any]:
        with sdk(daemon) as client:
            return session_with(client)

    def session_with(client: Any) -> dict[str, Any]:
        found = client.assistants.search()
        one = client.assistants.get("two")
        with client.threads.stream(assistant_id="two") as thread:  # the SDK mints the id
            started = thread.run.start(input={})
            first = list(thread.subscribe(ALL_CHANNELS))  # ends at the root's end
            output = thread.output
            thread_id = thread.thread_id
        with client.threads.stream(thread_id, assistant_id="two") as thread:
            again = thread.run.start(input={})
            second = list(thread.subscribe(ALL_CHANNELS))
        return {
            "found": found,
            "one": one,
            "started": started,
            "first": first,
            "output": output,
            "thread": client.threads.get(thread_id),
            "state": client.threads.get_state(thread_id),
            "again": again,
            "second": second,
        }

    got = await in_thread(session)
    assert [a["assistant_id"] for a in got["found"]] == ["gated", "two"]
    assert got["one"]["graph_id"] == "two"
    first, second = got["first"], got["second"]
    run_1, run_2 = got["started"]["run_id"], got["again"]["run_id"]
    # Every event the SDK expects, in order: the run, each job's namespace, the end.
    assert outline(first) == TWO_JOBS_OUTLINE
    assert outline(second) == TWO_JOBS_OUTLINE
    assert root_end(first[-1])
    assert root_end(second[-1])
    check_seqs(first + second)
    assert [e["params"]["data"]["id"] for e in first if e["method"] == "values"] == [run_1] * 2
    assert [e["params"]["data"]["id"] for e in second if e["method"] == "values"] == [run_2] * 2
    assert {e["params"]["data"]["name"] for e in first if e["method"] == "custom"} == {
        "log",
        "status",
        "needs",
    }
    assert (got["output"]["id"], got["output"]["conclusion"]) == (run_1, "success")
    assert got["thread"]["values"]["id"] == run_2
    assert got["thread"]["status"] == "idle"
    assert (got["state"]["next"], got["state"]["tasks"]) == ([], [])
    # Both runs flow through the thread's one stream, oldest first.
    async with daemon.client() as client:
        history = await read(client, daemon, got["thread"]["thread_id"], runs=2)
    assert history == first + second


async def test_sdk_answers_a_waiting_job(daemon_factory: DaemonFactory) -> None:
    daemon = await agent_daemon(daemon_factory)

    def session() -> dict[str, Any]:
        with sdk(daemon) as client:
            return session_with(client)

    def session_with(client: Any) -> dict[str, Any]:
        with client.threads.stream(assistant_id="gated") as thread:
            started = thread.run.start(input={"target": "prod"})
            # The SDK ends its iterators when the run asks for input (thread.interrupted).
            before = list(thread.subscribe(ALL_CHANNELS))
            interrupted, interrupts = thread.interrupted, list(thread.interrupts)
            # The SDK subscribes lazily, on the first next(): to see every event of the
            # resumed run, the new subscription must exist before the answer is sent.
            controller = thread._controller
            registered = threading.Event()
            register = controller.register_subscription

            def registering(params: Any) -> Any:
                subscription = register(params)
                registered.set()
                return subscription

            controller.register_subscription = registering
            after: list[Any] = []
            reader = threading.Thread(target=lambda: after.extend(thread.subscribe(ALL_CHANNELS)))
            reader.start()
            assert registered.wait(20)
            answered = thread.run.respond(True)
            reader.join(20)
            output = thread.output
            return {
                "started": started,
                "before": before,
                "interrupted": interrupted,
                "interrupts": interrupts,
                "answered": answered,
                "after": after,
                "output": output,
                "still_interrupted": thread.interrupted,
                "thread_id": thread.thread_id,
            }

    got = await in_thread(session)
    run_id = got["started"]["run_id"]
    assert got["interrupted"] is True
    assert got["interrupts"] == [
        {
            "interrupt_id": f"{run_id}:deploy:approval",
            "value": {
                "run_id": run_id,
                "job_id": "deploy",
                "environment": "production",
                "reason": "Waiting for approval to deploy to environment 'production'",
            },
            "namespace": ["deploy"],
        }
    ]
    assert got["answered"] == {}
    assert (got["output"]["id"], got["output"]["conclusion"]) == (run_id, "success")
    assert got["still_interrupted"] is False
    async with daemon.client() as client:
        full = await read(client, daemon, got["thread_id"])
    asked = next(e for e in full if e["method"] == "input.requested")
    resumed = [e for e in full if e["seq"] > asked["seq"]]
    after = got["after"]
    assert outline(resumed) == [
        ("lifecycle", [], "running"),
        ("tasks", ["deploy"], "Ship start"),
        ("tasks", ["deploy"], "Ship result"),
        ("updates", [], '{"node": "deploy", "values": {}}'),
        ("tasks", [], "deploy result"),
        ("lifecycle", ["deploy"], "completed"),
        ("lifecycle", [], "completed"),
    ]
    # The SDK saw the log's own order: a first part until it paused at the request for
    # input (how much of it arrives before the pause is the SDK's race between its two
    # connections), then, once subscribed again, everything up to the root's end,
    # which holds every event the answer caused.
    before = got["before"]
    assert before == full[: len(before)]
    assert after == full[len(full) - len(after) :]
    assert len(before) <= len(full) - len(after) <= len(full) - len(resumed)
    check_seqs(before + after)
