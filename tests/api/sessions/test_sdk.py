"""The official `anthropic` SDK (client.beta.sessions...) against a real daemon: every object
and event is read into its proper class, with the SDK's strict response validation on."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import trio

from runner.api.sessions.objects import primary_thread_id
from tests.api.executions.test_stream import approve, ci_daemon, start_ci
from tests.api.sessions.test_routes import finished_ci, thread_of

if TYPE_CHECKING:
    from tests.api.conftest import Daemon, DaemonFactory

anthropic = pytest.importorskip("anthropic")

# type -> the class the SDK must build for it (an unknown or misshapen event would fall
# back to another member of the union, or fail strict validation).
CLASSES = {
    "session.status_running": "BetaManagedAgentsSessionStatusRunningEvent",
    "session.status_idle": "BetaManagedAgentsSessionStatusIdleEvent",
    "session.status_terminated": "BetaManagedAgentsSessionStatusTerminatedEvent",
    "session.error": "BetaManagedAgentsSessionErrorEvent",
    "session.thread_created": "BetaManagedAgentsSessionThreadCreatedEvent",
    "session.thread_status_running": "BetaManagedAgentsSessionThreadStatusRunningEvent",
    "session.thread_status_idle": "BetaManagedAgentsSessionThreadStatusIdleEvent",
    "session.thread_status_terminated": "BetaManagedAgentsSessionThreadStatusTerminatedEvent",
    "agent.message": "BetaManagedAgentsAgentMessageEvent",
    "agent.tool_use": "BetaManagedAgentsAgentToolUseEvent",
    "agent.tool_result": "BetaManagedAgentsAgentToolResultEvent",
    "agent.thread_message_sent": "BetaManagedAgentsAgentThreadMessageSentEvent",
    "agent.thread_message_received": "BetaManagedAgentsAgentThreadMessageReceivedEvent",
}


def sdk(daemon: Daemon, api_key: str | None = None) -> Any:
    return anthropic.Anthropic(
        base_url=daemon.url,
        api_key=api_key or daemon.address.token,
        max_retries=0,
        timeout=20,
        _strict_response_validation=True,
    )


def check_classes(events: list[Any]) -> None:
    for event in events:
        assert type(event).__name__ == CLASSES[event.type], event


async def test_sdk_reads_threads_events_and_pages(daemon_factory: DaemonFactory) -> None:
    daemon, run_id = await finished_ci(daemon_factory)
    session = f"sess_{run_id}"

    def read() -> dict[str, Any]:
        with sdk(daemon) as client:
            return read_with(client)

    def read_with(client: Any) -> dict[str, Any]:
        listed = list(client.beta.sessions.threads.list(session))
        streamed = {}
        for thread in listed:
            with client.beta.sessions.threads.events.stream(
                thread.id, session_id=session
            ) as stream:
                streamed[thread.id] = list(stream)
        deploy = thread_of(run_id, "deploy")
        paged = list(client.beta.sessions.threads.events.list(deploy, session_id=session, limit=3))
        first_page = client.beta.sessions.threads.events.list(deploy, session_id=session, limit=3)
        with client.beta.sessions.events.stream(session) as stream:
            everything = list(stream)
        return {
            "listed": listed,
            "streamed": streamed,
            "paged": paged,
            "first_page": first_page,
            "everything": everything,
            "one": client.beta.sessions.threads.retrieve(deploy, session_id=session),
            "session": client.beta.sessions.retrieve(session),
            "sessions": list(client.beta.sessions.list()),
            "idle": list(client.beta.sessions.threads.list(session, statuses=["idle"])),
        }

    with trio.fail_after(30):
        got = await trio.to_thread.run_sync(read)

    listed = got["listed"]
    assert [type(t).__name__ for t in listed] == ["BetaManagedAgentsSessionThread"] * 8
    assert listed[0].id == primary_thread_id(run_id)
    assert listed[0].parent_thread_id is None
    assert type(listed[0].agent).__name__ == "BetaManagedAgentsSessionThreadAgent"
    assert {type(t.agent).__name__ for t in listed[1:]} == {"BetaManagedAgentsInlineAgent"}
    assert {t.status for t in listed} == {"terminated"}
    assert got["idle"] == []
    assert got["one"] == next(t for t in listed if t.id == thread_of(run_id, "deploy"))

    every_type: set[str] = set()
    for thread_id, events in got["streamed"].items():
        check_classes(events)
        every_type.update(e.type for e in events)
        assert all(
            e.session_thread_id == thread_id
            or e.type
            in (
                "session.thread_created",
                "session.thread_status_running",
                "session.thread_status_idle",
                "session.thread_status_terminated",
                "agent.tool_use",
                "agent.tool_result",
            )
            for e in events
        )
    assert every_type == set(CLASSES)  # the run exercises every mapped type
    check_classes(got["everything"])
    assert len({e.id for e in got["everything"]}) == len(got["everything"])

    deploy_events = got["streamed"][thread_of(run_id, "deploy")]
    assert [e.id for e in got["paged"]] == [e.id for e in deploy_events]  # all pages, in order
    check_classes(got["paged"])
    first_page = got["first_page"]
    assert len(first_page.data) == 3
    assert first_page.next_page == first_page.data[-1].id
    idle = next(e for e in deploy_events if e.type == "session.thread_status_idle")
    assert type(idle.stop_reason).__name__ == "BetaManagedAgentsSessionRequiresAction"
    assert idle.stop_reason.event_ids == [
        next(e.id for e in deploy_events if e.type == "agent.tool_use")
    ]
    received = next(e for e in deploy_events if e.type == "agent.thread_message_received")
    assert type(received.content[0]).__name__ == "BetaManagedAgentsTextBlock"
    assert received.content[0].text == '{"version":"1.2.3"}'

    assert type(got["session"]).__name__ == "BetaManagedAgentsSession"
    assert got["session"].id == session
    assert got["session"].status == "terminated"
    assert [s.id for s in got["sessions"]] == [session]


async def test_sdk_follows_a_live_thread_through_an_approval(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon)
    session, deploy = f"sess_{run_id}", thread_of(run_id, "deploy")
    token = trio.lowlevel.current_trio_token()

    def follow() -> list[Any]:
        events = []
        with sdk(daemon) as client:
            # deploy's thread exists once deploy is queued (after build and package): a
            # client asks for it until it is there, as for any thread not yet spawned.
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.beta.sessions.threads.retrieve(deploy, session_id=session)
                    break
                except anthropic.NotFoundError:
                    assert time.monotonic() < deadline, "deploy was never queued"
                    time.sleep(0.01)
            stream = client.beta.sessions.threads.events.stream(deploy, session_id=session)
            with stream:
                for event in stream:
                    events.append(event)
                    if (
                        event.type == "session.thread_status_idle"
                        and event.stop_reason.type == "requires_action"
                    ):
                        trio.from_thread.run(approve_deploy, trio_token=token)
        return events

    async def approve_deploy() -> None:
        async with daemon.client() as http:
            await approve(http, daemon, run_id, "deploy")

    with trio.fail_after(30):
        events = await trio.to_thread.run_sync(follow)
    check_classes(events)
    kinds = [e.type for e in events if e.type != "agent.message"]
    assert kinds[:6] == [
        "session.thread_status_running",
        "agent.thread_message_received",
        "agent.tool_use",
        "session.thread_status_idle",
        "agent.tool_result",
        "session.thread_status_running",
    ]
    assert kinds[-4:] == [
        "session.thread_status_idle",
        "session.thread_status_terminated",
        "agent.thread_message_sent",
        "agent.thread_message_sent",
    ]


async def test_sdk_errors(daemon_factory: DaemonFactory) -> None:
    daemon, run_id = await finished_ci(daemon_factory)
    session = f"sess_{run_id}"

    def attempts() -> list[Any]:
        errors = []
        with sdk(daemon, api_key="wrong") as stranger, sdk(daemon) as client:
            for call in (
                lambda: stranger.beta.sessions.retrieve(session),
                lambda: client.beta.sessions.retrieve("sess_nope"),
                lambda: client.beta.sessions.threads.events.stream("sthr_nope", session_id=session),
                lambda: client.beta.sessions.threads.events.stream(
                    primary_thread_id(run_id),
                    session_id=session,
                    extra_headers={"Last-Event-ID": "sevt_999999_0"},
                ),
            ):
                try:
                    call()
                except anthropic.APIStatusError as exc:
                    errors.append(exc)
        return errors

    with trio.fail_after(30):
        errors = await trio.to_thread.run_sync(attempts)
    assert [type(e).__name__ for e in errors] == [
        "AuthenticationError",
        "NotFoundError",
        "NotFoundError",
        "BadRequestError",
    ]
    assert [e.body["error"]["type"] for e in errors] == [
        "authentication_error",
        "not_found_error",
        "not_found_error",
        "invalid_request_error",
    ]
