"""Session threads (seed 001): the projection, canonical events in, session events out."""

from __future__ import annotations

from typing import Any

import pytest

from runner.api.sessions.fold import SessionFold
from runner.api.sessions.objects import (
    event_id,
    job_thread_id,
    parse_event_id,
    primary_thread_id,
    run_id_of,
    session_id,
)
from runner.api.sessions.projection import SessionEvent, frames, project
from runner.events.types import Event, EventType

RUN = "ab12cd34"
TS = 1773748800000
AT = "2026-03-17T12:00:00.000Z"
P = primary_thread_id(RUN)
BUILD = job_thread_id(RUN, "build")


def ev(
    type_: EventType,
    job_id: str | None = "build",
    /,
    number: int | None = None,
    seq: int = 7,
    **data: Any,
) -> Event:
    return Event(
        type=type_, run_id=RUN, job_id=job_id, step_number=number, data=data, ts=TS, seq=seq
    )


def job(job_id: str = "build", **fields: Any) -> dict[str, Any]:
    key = fields.pop("key", job_id.split(".")[0])
    return {
        "id": job_id,
        "key": key,
        "name": fields.pop("name", job_id),
        "status": "queued",
        "conclusion": None,
        "needs": [],
        **fields,
    }


def fold(**state: Any) -> SessionFold:
    return SessionFold(RUN, **state)


def head(id_: str, type_: str, thread: str) -> dict[str, Any]:
    return {"id": id_, "type": type_, "session_thread_id": thread, "processed_at": AT}


def test_ids_are_derived_from_run_and_job() -> None:
    assert session_id(RUN) == "sess_ab12cd34"
    assert run_id_of("sess_ab12cd34") == RUN
    assert run_id_of("ab12cd34") is None
    assert run_id_of("sess_") is None
    assert P == "sthr_ab12cd34"
    assert job_thread_id(RUN, "build.2") == job_thread_id(RUN, "build.2")
    assert job_thread_id(RUN, "build.2") != job_thread_id(RUN, "build.1")
    assert job_thread_id(RUN, "build").startswith("sthr_ab12cd34_")
    assert event_id(12, 3) == "sevt_12_3"
    assert parse_event_id("sevt_12_3") == (12, 3)
    for bad in ("12", "sevt_12", "sevt_x_1", "sevt_1_2_3", "evt_1_2"):
        with pytest.raises(ValueError, match="not an event id"):
            parse_event_id(bad)


CASES: list[tuple[str, Event, SessionFold, list[SessionEvent]]] = [
    (
        "run.started",
        ev(EventType.RUN_STARTED, None, run={"id": RUN}),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "session.status_running",
                (P,),
                head("sevt_7_0", "session.status_running", P),
            )
        ],
    ),
    (
        "run.completed success",
        ev(EventType.RUN_COMPLETED, None, run={"conclusion": "success", "jobs": []}),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "session.status_idle",
                (P,),
                {
                    **head("sevt_7_0", "session.status_idle", P),
                    "stop_reason": {"type": "end_turn"},
                    "stop_details": None,
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "session.status_terminated",
                (P,),
                {**head("sevt_7_1", "session.status_terminated", P), "conclusion": "success"},
            ),
        ],
    ),
    (
        "run.completed failure",
        ev(
            EventType.RUN_COMPLETED,
            None,
            run={"conclusion": "failure", "jobs": [job("lint", conclusion="failure"), job("a")]},
        ),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "session.error",
                (P,),
                {
                    **head("sevt_7_0", "session.error", P),
                    "error": {
                        "type": "unknown_error",
                        "retry_status": {"type": "terminal"},
                        "message": "run failure: failed jobs lint",
                    },
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "session.status_idle",
                (P,),
                {
                    **head("sevt_7_1", "session.status_idle", P),
                    "stop_reason": {"type": "end_turn"},
                    "stop_details": None,
                },
            ),
            SessionEvent(
                "sevt_7_2",
                "session.status_terminated",
                (P,),
                {**head("sevt_7_2", "session.status_terminated", P), "conclusion": "failure"},
            ),
        ],
    ),
    (
        "job.queued creates the child thread on the primary stream",
        ev(EventType.JOB_QUEUED, job=job(name="Build it")),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "session.thread_created",
                (P,),
                {
                    **head("sevt_7_0", "session.thread_created", BUILD),
                    "parent_thread_id": P,
                    "agent_id": "build",
                    "agent_version": 1,
                    "agent_name": "Build it",
                    "role": "subagent",
                    "created_by_tool_use_id": None,
                    "job_id": "build",
                },
            )
        ],
    ),
    (
        "job.started",
        ev(EventType.JOB_STARTED, job=job(name="Build it")),
        fold(created={"build"}),
        [
            SessionEvent(
                "sevt_7_0",
                "session.thread_status_running",
                (BUILD, P),
                {
                    **head("sevt_7_0", "session.thread_status_running", BUILD),
                    "agent_name": "Build it",
                    "status": "running",
                },
            )
        ],
    ),
    (
        "job.blocked asks for approval",
        ev(EventType.JOB_BLOCKED, reason="Waiting", environment="prod"),
        fold(names={"build": "Build it"}, created={"build"}),
        [
            SessionEvent(
                "sevt_7_0",
                "agent.tool_use",
                (BUILD, P),
                {
                    **head("sevt_7_0", "agent.tool_use", BUILD),
                    "name": "approve_environment",
                    "input": {"environment": "prod", "reason": "Waiting"},
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "session.thread_status_idle",
                (BUILD, P),
                {
                    **head("sevt_7_1", "session.thread_status_idle", BUILD),
                    "agent_name": "Build it",
                    "status": "idle",
                    "stop_reason": {"type": "requires_action", "event_ids": ["sevt_7_0"]},
                    "stop_details": None,
                },
            ),
        ],
    ),
    (
        "job.unblocked answers the approval",
        ev(EventType.JOB_UNBLOCKED, approved=True, by="api"),
        fold(names={"build": "Build it"}, approvals={"build": "sevt_5_0"}),
        [
            SessionEvent(
                "sevt_7_0",
                "agent.tool_result",
                (BUILD, P),
                {
                    **head("sevt_7_0", "agent.tool_result", BUILD),
                    "tool_use_id": "sevt_5_0",
                    "content": [{"type": "text", "text": "approved by api"}],
                    "is_error": False,
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "session.thread_status_running",
                (BUILD, P),
                {
                    **head("sevt_7_1", "session.thread_status_running", BUILD),
                    "agent_name": "Build it",
                    "status": "running",
                },
            ),
        ],
    ),
    (
        "job.unblocked rejected",
        ev(EventType.JOB_UNBLOCKED, approved=False, by="api"),
        fold(approvals={"build": "sevt_5_0"}),
        [
            SessionEvent(
                "sevt_7_0",
                "agent.tool_result",
                (BUILD, P),
                {
                    **head("sevt_7_0", "agent.tool_result", BUILD),
                    "tool_use_id": "sevt_5_0",
                    "content": [{"type": "text", "text": "rejected by api"}],
                    "is_error": True,
                },
            )
        ],
    ),
    (
        "step.started is a tool use",
        ev(EventType.STEP_STARTED, number=2, step={"number": 2, "name": "Test"}),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "agent.tool_use",
                (BUILD,),
                {
                    **head("sevt_7_0", "agent.tool_use", BUILD),
                    "name": "Test",
                    "input": {"step_number": 2},
                },
            )
        ],
    ),
    (
        "step.log: a message per line",
        ev(EventType.STEP_LOG, number=2, stream="stderr", lines=["one", "two"]),
        fold(),
        [
            SessionEvent(
                f"sevt_7_{i}",
                "agent.message",
                (BUILD,),
                {
                    **head(f"sevt_7_{i}", "agent.message", BUILD),
                    "content": [{"type": "text", "text": text}],
                    "stream": "stderr",
                    "step_number": 2,
                },
            )
            for i, text in enumerate(["one", "two"])
        ],
    ),
    (
        "step.completed answers its tool use",
        ev(
            EventType.STEP_COMPLETED,
            number=2,
            outputs={"v": "1"},
            step={
                "number": 2,
                "name": "Test",
                "conclusion": "failure",
                "outcome": "failure",
                "error": "exit code 3",
            },
        ),
        fold(tools={"build": "sevt_4_0"}),
        [
            SessionEvent(
                "sevt_7_0",
                "agent.tool_result",
                (BUILD,),
                {
                    **head("sevt_7_0", "agent.tool_result", BUILD),
                    "tool_use_id": "sevt_4_0",
                    "content": [{"type": "text", "text": "failure: exit code 3"}],
                    "is_error": True,
                    "conclusion": "failure",
                    "outcome": "failure",
                    "outputs": {"v": "1"},
                },
            )
        ],
    ),
    (
        "a skipped step (never started): tool use and result",
        ev(
            EventType.STEP_COMPLETED,
            number=3,
            step={"number": 3, "name": "Deploy", "conclusion": "skipped", "outcome": "skipped"},
        ),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "agent.tool_use",
                (BUILD,),
                {
                    **head("sevt_7_0", "agent.tool_use", BUILD),
                    "name": "Deploy",
                    "input": {"step_number": 3},
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "agent.tool_result",
                (BUILD,),
                {
                    **head("sevt_7_1", "agent.tool_result", BUILD),
                    "tool_use_id": "sevt_7_0",
                    "content": [{"type": "text", "text": "skipped"}],
                    "is_error": False,
                    "conclusion": "skipped",
                    "outcome": "skipped",
                },
            ),
        ],
    ),
    (
        "job.completed: idle, then terminated",
        ev(EventType.JOB_COMPLETED, job=job(name="Build it", conclusion="success")),
        fold(created={"build"}, started={"build"}),
        [
            SessionEvent(
                "sevt_7_0",
                "session.thread_status_idle",
                (BUILD, P),
                {
                    **head("sevt_7_0", "session.thread_status_idle", BUILD),
                    "agent_name": "Build it",
                    "status": "idle",
                    "stop_reason": {"type": "end_turn"},
                    "stop_details": None,
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "session.thread_status_terminated",
                (BUILD, P),
                {
                    **head("sevt_7_1", "session.thread_status_terminated", BUILD),
                    "agent_name": "Build it",
                    "status": "terminated",
                    "stop_reason": {"type": "end_turn"},
                    "conclusion": "success",
                    "error": None,
                },
            ),
        ],
    ),
    (
        "a skipped job (never queued): created, then terminated",
        ev(EventType.JOB_COMPLETED, job=job(conclusion="skipped", error="if: false")),
        fold(),
        [
            SessionEvent(
                "sevt_7_0",
                "session.thread_created",
                (P,),
                {
                    **head("sevt_7_0", "session.thread_created", BUILD),
                    "parent_thread_id": P,
                    "agent_id": "build",
                    "agent_version": 1,
                    "agent_name": "build",
                    "role": "subagent",
                    "created_by_tool_use_id": None,
                    "job_id": "build",
                },
            ),
            SessionEvent(
                "sevt_7_1",
                "session.thread_status_terminated",
                (BUILD, P),
                {
                    **head("sevt_7_1", "session.thread_status_terminated", BUILD),
                    "agent_name": "build",
                    "status": "terminated",
                    "stop_reason": {"type": "end_turn"},
                    "conclusion": "skipped",
                    "error": "if: false",
                },
            ),
        ],
    ),
    ("job.status", ev(EventType.JOB_STATUS, summary="step 1/2: x"), fold(), []),
    (
        "step.annotation",
        ev(EventType.STEP_ANNOTATION, number=1, level="error", message="m"),
        fold(),
        [],
    ),
    ("skill.completed", ev(EventType.SKILL_COMPLETED, number=1, skill={}), fold(), []),
]


@pytest.mark.parametrize(
    ("event", "state", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_projection_table(event: Event, state: SessionFold, expected: list[SessionEvent]) -> None:
    assert project(event, state) == expected


def test_job_message_goes_out_on_the_producer_and_in_on_the_consumer() -> None:
    state = fold(
        names={"package": "Package", "deploy": "Deploy"},
        keys={"package": "package", "deploy": "deploy"},
    )
    package, deploy = job_thread_id(RUN, "package"), job_thread_id(RUN, "deploy")
    event = ev(
        EventType.JOB_MESSAGE,
        "deploy",
        from_job="package",
        to_job="deploy",
        outputs={"version": "1.2.3"},
        result="success",
    )
    content = [{"type": "text", "text": '{"version":"1.2.3"}'}]
    assert project(event, state) == [
        SessionEvent(
            "sevt_7_0",
            "agent.thread_message_sent",
            (package,),
            {
                **head("sevt_7_0", "agent.thread_message_sent", package),
                "direction": "outbound",
                "from_session_thread_id": package,
                "to_session_thread_id": deploy,
                "to_agent_name": "Deploy",
                "content": content,
                "outputs": {"version": "1.2.3"},
                "result": "success",
            },
        ),
        SessionEvent(
            "sevt_7_1",
            "agent.thread_message_received",
            (deploy,),
            {
                **head("sevt_7_1", "agent.thread_message_received", deploy),
                "direction": "inbound",
                "from_session_thread_id": package,
                "to_session_thread_id": deploy,
                "from_agent_name": "Package",
                "content": content,
                "is_error": False,
                "outputs": {"version": "1.2.3"},
                "result": "success",
            },
        ),
    ]


def run_through(events: list[Event]) -> tuple[SessionFold, list[SessionEvent]]:
    state, out = SessionFold(RUN), []
    for event in events:
        produced = project(event, state)
        state.advance(event)
        out.extend(produced)
    return state, out


def test_a_matrix_need_is_handed_over_by_its_last_finished_instance() -> None:
    events = [
        ev(EventType.JOB_QUEUED, "build.1", seq=1, job=job("build.1")),
        ev(EventType.JOB_QUEUED, "build.2", seq=2, job=job("build.2")),
        ev(EventType.JOB_QUEUED, "deploy", seq=3, job=job("deploy")),
        ev(EventType.JOB_COMPLETED, "build.2", seq=4, job=job("build.2", conclusion="success")),
        ev(EventType.JOB_COMPLETED, "build.1", seq=5, job=job("build.1", conclusion="success")),
        ev(
            EventType.JOB_MESSAGE,
            "deploy",
            seq=6,
            from_job="build",
            to_job="deploy",
            outputs={},
            result="success",
        ),
    ]
    _, out = run_through(events)
    sent = next(e for e in out if e.type == "agent.thread_message_sent")
    assert sent.on == (job_thread_id(RUN, "build.1"),)


def test_a_called_workflows_need_stays_inside_it() -> None:
    events = [
        ev(EventType.JOB_QUEUED, "ci.compile", seq=1, job=job("ci.compile", key="compile")),
        ev(EventType.JOB_QUEUED, "compile", seq=2, job=job("compile")),
        ev(EventType.JOB_QUEUED, "ci.test.2", seq=3, job=job("ci.test.2", key="test")),
        ev(
            EventType.JOB_MESSAGE,
            "ci.test.2",
            seq=4,
            from_job="compile",
            to_job="ci.test.2",
            outputs={},
            result="success",
        ),
    ]
    _, out = run_through(events)
    sent = next(e for e in out if e.type == "agent.thread_message_sent")
    assert sent.on == (job_thread_id(RUN, "ci.compile"),)


def test_the_fold_links_results_to_their_tool_uses() -> None:
    events = [
        ev(EventType.JOB_QUEUED, seq=1, job=job()),
        ev(EventType.JOB_STARTED, seq=2, job=job()),
        ev(EventType.JOB_BLOCKED, seq=3, reason="r", environment="prod"),
        ev(EventType.JOB_UNBLOCKED, seq=4, approved=True, by="api"),
        ev(EventType.STEP_STARTED, number=1, seq=5, step={"number": 1, "name": "A"}),
        ev(EventType.STEP_LOG, number=1, seq=6, lines=["x"]),
        ev(
            EventType.STEP_COMPLETED,
            number=1,
            seq=7,
            step={"number": 1, "name": "A", "conclusion": "success"},
        ),
        ev(EventType.STEP_STARTED, number=2, seq=8, step={"number": 2, "name": "B"}),
        ev(
            EventType.STEP_COMPLETED,
            number=2,
            seq=9,
            step={"number": 2, "name": "B", "conclusion": "success"},
        ),
        ev(EventType.JOB_COMPLETED, seq=10, job=job(conclusion="success")),
    ]
    state, out = run_through(events)
    assert [(e.id, e.type) for e in out] == [
        ("sevt_1_0", "session.thread_created"),
        ("sevt_2_0", "session.thread_status_running"),
        ("sevt_3_0", "agent.tool_use"),
        ("sevt_3_1", "session.thread_status_idle"),
        ("sevt_4_0", "agent.tool_result"),
        ("sevt_4_1", "session.thread_status_running"),
        ("sevt_5_0", "agent.tool_use"),
        ("sevt_6_0", "agent.message"),
        ("sevt_7_0", "agent.tool_result"),
        ("sevt_8_0", "agent.tool_use"),
        ("sevt_9_0", "agent.tool_result"),
        ("sevt_10_0", "session.thread_status_idle"),
        ("sevt_10_1", "session.thread_status_terminated"),
    ]
    by_id = {e.id: e.body for e in out}
    assert by_id["sevt_3_1"]["stop_reason"] == {
        "type": "requires_action",
        "event_ids": ["sevt_3_0"],
    }
    assert by_id["sevt_4_0"]["tool_use_id"] == "sevt_3_0"
    assert by_id["sevt_7_0"]["tool_use_id"] == "sevt_5_0"
    assert by_id["sevt_9_0"]["tool_use_id"] == "sevt_8_0"
    assert state.tools == {}
    assert state.approvals == {}


def test_every_projected_event_is_its_own_sdk_class_under_strict_validation() -> None:
    anthropic_models = pytest.importorskip("anthropic._models")
    threads = pytest.importorskip(
        "anthropic.types.beta.sessions.beta_managed_agents_stream_session_thread_events"
    )
    union = threads.BetaManagedAgentsStreamSessionThreadEvents
    produced = [e for _, event, state, _ in CASES for e in project(event, state)]
    produced += project(
        ev(
            EventType.JOB_MESSAGE,
            "deploy",
            from_job="package",
            to_job="deploy",
            outputs={"v": "1"},
            result="failure",
        ),
        fold(),
    )
    assert {e.type for e in produced} == {
        "session.status_running",
        "session.status_idle",
        "session.status_terminated",
        "session.error",
        "session.thread_created",
        "session.thread_status_running",
        "session.thread_status_idle",
        "session.thread_status_terminated",
        "agent.tool_use",
        "agent.tool_result",
        "agent.message",
        "agent.thread_message_sent",
        "agent.thread_message_received",
    }
    for event in produced:
        parsed = anthropic_models.validate_type(type_=union, value=event.body)
        assert parsed.type == event.type
        assert type(parsed).model_fields["type"].annotation.__args__ == (event.type,)


def test_log_fast_path_writes_the_same_bytes_as_the_generic_path() -> None:
    lines = ["plain", 'quotes " and \\ backslash', "tab\tand unicode é ✓ \u2028", "", "x" * 300]
    for event in (
        ev(EventType.STEP_LOG, "build.2", number=3, seq=99, stream="stderr", lines=lines),
        ev(EventType.STEP_LOG, number=None, lines=["no step"]),
    ):
        generic = [(e.on, e.type, e.encode()) for e in project(event, fold())]
        assert frames(event, fold()) == generic
    for _, event, state, _ in CASES:
        assert frames(event, state) == [(e.on, e.type, e.encode()) for e in project(event, state)]
