"""The session API (seed 001) against a real daemon: raw HTTP, event by event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import trio

from runner.api.sessions.objects import job_thread_id, primary_thread_id
from runner.config import AuthSettings
from tests.api.executions.test_stream import approve, ci_daemon, start_ci, threads
from tests.sse_client import Frame, read_frames

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Daemon, DaemonFactory


async def session_frames(
    client: httpx.AsyncClient,
    daemon: Daemon,
    path: str,
    *,
    params: Any = None,
    headers: dict[str, str] | None = None,
    limit: float = 20,
) -> list[Frame]:
    """Every frame of a session stream until the server ends it (after the run's end)."""
    return await read_frames(
        client,
        "GET",
        path,
        params=params,
        headers={**daemon.auth, **(headers or {})},
        limit=limit,
    )


async def finished_ci(daemon_factory: DaemonFactory, **overrides: Any) -> tuple[Daemon, str]:
    """A daemon with one finished CI run (approved with --approve)."""
    daemon = await ci_daemon(daemon_factory, **overrides)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon, approve=True)
        await threads(client, run_id)  # returns once the run has finished
    return daemon, run_id


def thread_of(run_id: str, job: str) -> str:
    return job_thread_id(run_id, job)


async def test_session_stream_event_by_event(daemon_factory: DaemonFactory) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client() as client:
        run_id = await start_ci(client, daemon)
        session, primary = f"sess_{run_id}", primary_thread_id(run_id)

        async def approve_when_asked(frame: Frame) -> None:
            if frame.data.get("stop_reason", {}).get("type") == "requires_action":
                await approve(client, daemon, run_id, "deploy")

        frames = await read_frames(
            client,
            "GET",
            f"/v1/sessions/{session}/events/stream",
            headers=daemon.auth,
            on_frame=approve_when_asked,
        )

    for event, frame_id, data in frames:
        assert data["type"] == event
        assert data["id"] == frame_id
        assert frame_id.startswith("sevt_")
        assert data["processed_at"].endswith("Z")
        assert data["session_thread_id"].startswith("sthr_")
    ids = [tuple(map(int, f[1][5:].split("_"))) for f in frames]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)

    def of(thread: str) -> list[str]:
        return [e for e, _, d in frames if d["session_thread_id"] == thread]

    assert of(primary) == [
        "session.status_running",
        "session.error",
        "session.status_idle",
        "session.status_terminated",
    ]
    deploy = thread_of(run_id, "deploy")
    assert [e for e in of(deploy) if e != "agent.message"] == [
        "session.thread_created",
        "session.thread_status_running",
        "agent.thread_message_received",
        "agent.tool_use",
        "session.thread_status_idle",
        "agent.tool_result",
        "session.thread_status_running",
        "agent.tool_use",
        "agent.tool_result",
        "session.thread_status_idle",
        "session.thread_status_terminated",
        # deploy hands over to verify's two instances when they start, after it ended.
        "agent.thread_message_sent",
        "agent.thread_message_sent",
    ]
    by_id = {d["id"]: d for _, _, d in frames}
    created = next(
        d
        for e, _, d in frames
        if e == "session.thread_created" and d["session_thread_id"] == deploy
    )
    assert created == {
        **created,
        "parent_thread_id": primary,
        "agent_name": "deploy",
        "agent_id": "deploy",
        "agent_version": 1,
        "role": "subagent",
        "created_by_tool_use_id": None,
    }
    idle = next(
        d for _, _, d in frames if d.get("stop_reason", {}).get("type") == "requires_action"
    )
    [asked] = idle["stop_reason"]["event_ids"]
    assert by_id[asked]["type"] == "agent.tool_use"
    assert by_id[asked]["input"] == {
        "environment": "production",
        "reason": "Waiting for approval to deploy to environment 'production'",
    }
    answer = next(d for _, _, d in frames if d.get("tool_use_id") == asked)
    assert answer["content"] == [{"type": "text", "text": "approved by api"}]
    assert answer["is_error"] is False
    # The hand-over: out on package's thread, in on deploy's.
    package = thread_of(run_id, "package")
    sent = next(
        d
        for e, _, d in frames
        if e == "agent.thread_message_sent" and d["to_session_thread_id"] == deploy
    )
    received = next(
        d
        for e, _, d in frames
        if e == "agent.thread_message_received" and d["to_session_thread_id"] == deploy
    )
    for message in (sent, received):
        assert message["from_session_thread_id"] == package
        assert message["content"] == [{"type": "text", "text": '{"version":"1.2.3"}'}]
    assert sent["session_thread_id"] == package
    assert sent["direction"] == "outbound"
    assert received["session_thread_id"] == deploy
    assert received["is_error"] is False
    # Steps are tool uses answered by tool results; their lines are messages.
    lint = thread_of(run_id, "lint")
    lint_events = [d for _, _, d in frames if d["session_thread_id"] == lint]
    use = next(d for d in lint_events if d["type"] == "agent.tool_use")
    result = next(d for d in lint_events if d["type"] == "agent.tool_result")
    assert use["name"] == "Check"
    assert use["input"] == {"step_number": 1}
    assert result["tool_use_id"] == use["id"]
    assert result["is_error"] is True
    assert result["conclusion"] == "failure"
    assert {"type": "text", "text": "bad style"} in [
        d["content"][0] for d in lint_events if d["type"] == "agent.message"
    ]
    terminated = lint_events[-1]
    assert terminated["type"] == "session.thread_status_terminated"
    assert terminated["conclusion"] == "failure"
    assert terminated["error"].startswith("step 1 (Check) failed")
    error = next(d for e, _, d in frames if e == "session.error")
    assert error["error"] == {
        "type": "unknown_error",
        "retry_status": {"type": "terminal"},
        "message": "run failure: failed jobs lint",
    }


async def test_thread_streams_split_the_session(daemon_factory: DaemonFactory) -> None:
    daemon, run_id = await finished_ci(daemon_factory)
    session, primary = f"sess_{run_id}", primary_thread_id(run_id)
    async with daemon.client() as client:
        every = await session_frames(client, daemon, f"/v1/sessions/{session}/events/stream")
        listed = (await client.get(f"/v1/sessions/{session}/threads", headers=daemon.auth)).json()
        per_thread = {
            t["id"]: await session_frames(
                client, daemon, f"/v1/sessions/{session}/threads/{t['id']}/stream"
            )
            for t in listed["data"]
        }
    # Each thread stream: its own events, plus (on the primary) child creation and the
    # children's status changes, cross-posted.
    for thread, frames in per_thread.items():
        own = [f for f in every if f[2]["session_thread_id"] == thread]
        if thread == primary:
            assert [f for f in frames if f[2]["session_thread_id"] == primary] == own
            crossed = [f for f in frames if f[2]["session_thread_id"] != primary]
            assert {f[0] for f in crossed} == {
                "session.thread_created",
                "session.thread_status_running",
                "session.thread_status_idle",
                "session.thread_status_terminated",
                "agent.tool_use",
                "agent.tool_result",
            }  # + the approval, cross-posted
        else:
            assert frames == [f for f in own if f[0] != "session.thread_created"]
    union = {f[1] for frames in per_thread.values() for f in frames}
    assert union == {f[1] for f in every}  # nothing is only on the session stream


async def test_resume_filters_and_accept(daemon_factory: DaemonFactory) -> None:
    daemon, run_id = await finished_ci(daemon_factory)
    session = f"sess_{run_id}"
    build = thread_of(run_id, "build.2")
    path = f"/v1/sessions/{session}/threads/{build}/stream"
    async with daemon.client() as client:
        every = await session_frames(client, daemon, path)
        middle = len(every) // 2
        rest = await session_frames(
            client, daemon, path, headers={"Last-Event-ID": every[middle][1]}
        )
        assert rest == every[middle + 1 :]
        # After the thread's, or the finished run's, last event: an empty stream that ends.
        whole = f"/v1/sessions/{session}/events/stream"
        last = (await session_frames(client, daemon, whole))[-1][1]
        for url, last_id in ((path, every[-1][1]), (whole, last)):
            with trio.fail_after(5):
                done = await client.get(url, headers={**daemon.auth, "Last-Event-ID": last_id})
            assert done.status_code == 200
            assert done.text == ": ping\n\n"
        # Filters: type=a,b and repeated types[]=.
        wanted = {"agent.tool_use", "agent.tool_result"}
        for params in (
            {"type": "agent.tool_use,agent.tool_result"},
            [("types[]", "agent.tool_use"), ("types[]", "agent.tool_result")],
        ):
            some = await session_frames(client, daemon, path, params=params)
            assert some == [f for f in every if f[0] in wanted]
        # The official SDK asks for application/json: it streams all the same.
        as_json = await session_frames(client, daemon, path, headers={"Accept": "application/json"})
        assert as_json == every
        # Errors: an id of another thread, an unknown one, a malformed one.
        other = await session_frames(client, daemon, f"/v1/sessions/{session}/events/stream")
        foreign = next(f[1] for f in other if f[2]["session_thread_id"] != build)
        for last_id in (foreign, "sevt_999999_0", f"{every[0][1][:-1]}99", "12", "sevt_"):
            bad = await client.get(path, headers={**daemon.auth, "Last-Event-ID": last_id})
            assert bad.status_code == 400, last_id
            assert bad.json()["type"] == "error"
            assert bad.json()["error"]["type"] == "invalid_request_error"
        bad = await client.get(path, params={"type": "Not A Type"}, headers=daemon.auth)
        assert bad.status_code == 400


async def test_lists_and_objects(daemon_factory: DaemonFactory) -> None:
    daemon, run_id = await finished_ci(daemon_factory)
    session, primary = f"sess_{run_id}", primary_thread_id(run_id)
    async with daemon.client(headers=daemon.auth) as client:
        sessions = (await client.get("/v1/sessions")).json()
        assert [s["id"] for s in sessions["data"]] == [session]
        assert sessions["next_page"] is None
        one = (await client.get(f"/v1/sessions/{session}")).json()
        assert one == sessions["data"][0]
        assert one["type"] == "session"
        assert one["status"] == "terminated"
        assert one["title"] == "CI"
        assert one["metadata"]["conclusion"] == "failure"
        listed = (await client.get(f"/v1/sessions/{session}/threads")).json()
        assert next(t["id"] for t in listed["data"]) == primary
        jobs = {t["job_id"]: t for t in listed["data"][1:]}
        assert set(jobs) == {
            "build.1",
            "build.2",
            "package",
            "deploy",
            "verify.1",
            "verify.2",
            "lint",
        }
        assert all(
            t["parent_thread_id"] == primary
            and t["status"] == "terminated"
            and t["agent"]["type"] == "inline"
            for t in jobs.values()
        )
        assert jobs["build.2"]["agent"]["name"] == "build (2)"
        thread = (await client.get(f"/v1/sessions/{session}/threads/{jobs['lint']['id']}")).json()
        assert thread == jobs["lint"]
        # Paging the threads, and an events page's cursor.
        page = (await client.get(f"/v1/sessions/{session}/threads", params={"limit": 3})).json()
        assert len(page["data"]) == 3
        assert page["next_page"] == page["data"][-1]["id"]
        events_path = f"/v1/sessions/{session}/threads/{jobs['deploy']['id']}/events"
        whole = (await client.get(events_path)).json()
        assert whole["next_page"] is None
        paged, cursor = [], None
        while True:
            params = {"limit": 4, **({"page": cursor} if cursor else {})}
            body = (await client.get(events_path, params=params)).json()
            paged.extend(body["data"])
            cursor = body["next_page"]
            if cursor is None:
                break
            assert len(body["data"]) == 4
        assert paged == whole["data"]
        for params in ({"limit": 0}, {"limit": "x"}, {"page": "sevt_1_0"}, {"page": "nope"}):
            assert (await client.get(events_path, params=params)).status_code == 400, params
        for bad in ({"statuses[]": "asleep"}, {"limit": 5000}):
            assert (
                await client.get(f"/v1/sessions/{session}/threads", params=bad)
            ).status_code == 400


async def test_statuses_filter_while_a_job_waits_for_approval(
    daemon_factory: DaemonFactory,
) -> None:
    daemon = await ci_daemon(daemon_factory)
    async with daemon.client(headers=daemon.auth) as client:
        run_id = await start_ci(client, daemon)
        session = f"sess_{run_id}"

        async def on_frame(frame: Frame) -> None:
            if frame.event != "thread_blocked":
                return
            url = f"/v1/sessions/{session}/threads"
            idle = (await client.get(url, params=[("statuses[]", "idle")])).json()["data"]
            assert [t["job_id"] for t in idle] == ["deploy"]
            running = (await client.get(url, params={"statuses[]": "running"})).json()["data"]
            assert [t["id"] for t in running] == [primary_thread_id(run_id)]
            both = (
                await client.get(url, params=[("statuses[]", "idle"), ("statuses[]", "running")])
            ).json()["data"]
            assert len(both) == 2
            live = (await client.get("/v1/sessions", params={"statuses[]": "running"})).json()[
                "data"
            ]
            assert [s["id"] for s in live] == [session]
            await approve(client, daemon, run_id, "deploy")

        await threads(client, run_id, params={"threadIds": "deploy"}, on_frame=on_frame)
        done = (await client.get("/v1/sessions", params={"statuses[]": "running"})).json()
        assert done["data"] == []


async def test_auth_and_not_found(daemon_factory: DaemonFactory) -> None:
    daemon, run_id = await finished_ci(daemon_factory, auth=AuthSettings(tokens=("pat-for-tools",)))
    session = f"sess_{run_id}"
    thread = primary_thread_id(run_id)
    paths = [
        "/v1/sessions",
        f"/v1/sessions/{session}",
        f"/v1/sessions/{session}/threads",
        f"/v1/sessions/{session}/threads/{thread}",
        f"/v1/sessions/{session}/threads/{thread}/events",
        f"/v1/sessions/{session}/threads/{thread}/stream",
        f"/v1/sessions/{session}/events/stream",
    ]
    async with daemon.client() as client:
        for path in paths:
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": "pat-for-tools"},
            ):
                denied = await client.get(path, headers=headers)
                assert denied.status_code == 401, (path, headers)
                assert denied.json() == {
                    "type": "error",
                    "error": {
                        "type": "authentication_error",
                        "message": denied.json()["error"]["message"],
                    },
                }
            for headers in (
                daemon.auth,
                {"Authorization": "Bearer pat-for-tools"},
                {"x-api-key": "pat-for-tools"},
            ):
                if path.endswith("stream"):
                    async with client.stream("GET", path, headers=headers) as ok:
                        assert ok.status_code == 200, path
                else:
                    assert (await client.get(path, headers=headers)).status_code == 200, path
        for path in (
            "/v1/sessions/sess_nope",
            f"/v1/sessions/{run_id}",
            f"/v1/sessions/{session}/threads/sthr_nope",
            f"/v1/sessions/{session}/threads/{thread}x/stream",
            "/v1/sessions/sess_nope/events/stream",
            f"/v1/sessions/{session}/threads/{thread_of('other', 'lint')}/events",
        ):
            missing = await client.get(path, headers=daemon.auth)
            assert missing.status_code == 404, path
            assert missing.json()["type"] == "error"
            assert missing.json()["error"]["type"] == "not_found_error"
