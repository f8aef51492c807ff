"""Execution threads (seed 000): the projection, canonical event in, wire frames out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from runner.api.executions.projection import (
    ThreadEvent,
    ThreadKind,
    ThreadSequences,
    encode,
    frame_count,
    payload,
    project,
)
from runner.api.executions.routes import parse_thread_ids, selects
from runner.api.snapshots import iso_ms
from runner.errors import ApiError
from runner.events.types import Event, EventType
from tests.sse_client import parse_events

TS = 1710676800000  # 2024-03-17T12:00:00.000Z
RUN = "r1"


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


JOB = {
    "id": "build.2",
    "key": "build",
    "name": "build (3.12)",
    "status": "in_progress",
    "conclusion": None,
    "needs": [],
    "matrix": {"py": "3.12"},
}
STEP_OK = {"number": 2, "name": "Test", "status": "completed", "conclusion": "success"}
STEP_FAIL = {
    "number": 2,
    "name": "Test",
    "status": "completed",
    "conclusion": "failure",
    "error": "exit code 3",
}
T = ThreadKind

CASES: list[tuple[str, Event, list[ThreadEvent]]] = [
    (
        "job.started",
        ev(EventType.JOB_STARTED, "build.2", job=JOB),
        [
            ThreadEvent(
                "7",
                "build.2",
                T.STARTED,
                {"name": "build (3.12)", "key": "build", "matrix": {"py": "3.12"}},
            )
        ],
    ),
    (
        "job.started without matrix",
        ev(
            EventType.JOB_STARTED,
            job={**JOB, "id": "lint", "key": "lint", "name": "lint", "matrix": None},
        ),
        [ThreadEvent("7", "build", T.STARTED, {"name": "lint", "key": "lint"})],
    ),
    (
        "step.started",
        ev(EventType.STEP_STARTED, number=2, step={**STEP_OK, "status": "in_progress"}),
        [ThreadEvent("7", "build", T.TOOL_RUNNING, {"tool": "Test", "stepNumber": 2})],
    ),
    (
        "step.log: one per line",
        ev(EventType.STEP_LOG, number=2, stream="stderr", lines=["a", "b"]),
        [
            ThreadEvent(
                "7.0", "build", T.OUTPUT, {"text": "a", "stream": "stderr", "stepNumber": 2}
            ),
            ThreadEvent(
                "7.1", "build", T.OUTPUT, {"text": "b", "stream": "stderr", "stepNumber": 2}
            ),
        ],
    ),
    (
        "step.completed",
        ev(EventType.STEP_COMPLETED, number=2, step=STEP_OK),
        [
            ThreadEvent(
                "7",
                "build",
                T.TURN_COMPLETE,
                {"tool": "Test", "stepNumber": 2, "conclusion": "success", "error": None},
            )
        ],
    ),
    (
        "step.completed failing",
        ev(EventType.STEP_COMPLETED, number=2, step=STEP_FAIL),
        [
            ThreadEvent(
                "7",
                "build",
                T.TURN_COMPLETE,
                {"tool": "Test", "stepNumber": 2, "conclusion": "failure", "error": "exit code 3"},
            )
        ],
    ),
    (
        "job.status",
        ev(EventType.JOB_STATUS, summary="step 2/3: Test"),
        [ThreadEvent("7", "build", T.STATUS, {"summary": "step 2/3: Test"})],
    ),
    (
        "job.blocked",
        ev(EventType.JOB_BLOCKED, reason="Waiting for approval", environment="prod"),
        [
            ThreadEvent(
                "7", "build", T.BLOCKED, {"reason": "Waiting for approval", "environment": "prod"}
            )
        ],
    ),
    (
        "job.unblocked",
        ev(EventType.JOB_UNBLOCKED, approved=True, by="api"),
        [
            ThreadEvent(
                "7",
                "build",
                T.STATUS,
                {"summary": "approved by api", "approved": True, "by": "api"},
            )
        ],
    ),
    (
        "job.unblocked rejected",
        ev(EventType.JOB_UNBLOCKED, approved=False, by="dashboard"),
        [
            ThreadEvent(
                "7",
                "build",
                T.STATUS,
                {"summary": "rejected by dashboard", "approved": False, "by": "dashboard"},
            )
        ],
    ),
    (
        "job.completed success",
        ev(EventType.JOB_COMPLETED, job={**JOB, "conclusion": "success"}),
        [ThreadEvent("7", "build", T.COMPLETED, {"conclusion": "success", "error": None})],
    ),
    (
        "job.completed failure: the failed step",
        ev(EventType.JOB_COMPLETED, job={**JOB, "conclusion": "failure", "steps": [STEP_FAIL]}),
        [
            ThreadEvent(
                "7",
                "build",
                T.FAILED,
                {"conclusion": "failure", "error": "step 2 (Test) failed: exit code 3"},
            )
        ],
    ),
    (
        "job.completed failure: the job's error",
        ev(EventType.JOB_COMPLETED, job={**JOB, "conclusion": "failure", "error": "timed out"}),
        [ThreadEvent("7", "build", T.FAILED, {"conclusion": "failure", "error": "timed out"})],
    ),
    (
        "job.completed skipped is not success",
        ev(EventType.JOB_COMPLETED, job={**JOB, "conclusion": "skipped"}),
        [ThreadEvent("7", "build", T.FAILED, {"conclusion": "skipped", "error": "skipped"})],
    ),
    (
        "job.completed cancelled",
        ev(EventType.JOB_COMPLETED, job={**JOB, "conclusion": "cancelled", "error": "fail-fast"}),
        [ThreadEvent("7", "build", T.FAILED, {"conclusion": "cancelled", "error": "fail-fast"})],
    ),
    ("run.started", ev(EventType.RUN_STARTED, None, run={"id": RUN}), []),
    ("run.completed", ev(EventType.RUN_COMPLETED, None, run={"id": RUN}), []),
    ("job.queued", ev(EventType.JOB_QUEUED, job=JOB), []),
    (
        "job.message",
        ev(EventType.JOB_MESSAGE, from_job="a", to_job="build", outputs={}, result="success"),
        [],
    ),
    ("step.annotation", ev(EventType.STEP_ANNOTATION, number=1, level="error", message="x"), []),
    ("skill.started", ev(EventType.SKILL_STARTED, number=1, skill={}), []),
]


@pytest.mark.parametrize(("event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_projection_table(event: Event, expected: list[ThreadEvent]) -> None:
    assert project(event) == expected
    assert frame_count(event) == len(expected)


def decoded(text: str) -> list[dict[str, Any]]:
    return [{"id": sse.id, "event": sse.event, "data": sse.json()} for sse in parse_events(text)]


def test_payload_is_the_seeds_shape_field_by_field() -> None:
    [frame] = decoded(
        encode(
            ev(
                EventType.STEP_LOG,
                "architect",
                number=1,
                lines=["Building authentication module..."],
            ),
            42,
        )
    )
    assert frame == {
        "id": "7.0",
        "event": "thread_output",
        "data": {
            "executionId": RUN,
            "threadId": "architect",
            "type": "gateway_thread_output",
            "data": {
                "thread_id": "architect",
                "event_type": "output",
                "data_json": '{"text":"Building authentication module...","stream":"stdout",'
                '"stepNumber":1}',
                "timestamp_ms": TS,
                "sequence": 42,
            },
            "timestamp": "2024-03-17T12:00:00.000Z",
        },
    }
    assert list(frame["data"]) == ["executionId", "threadId", "type", "data", "timestamp"]
    assert list(frame["data"]["data"]) == [
        "thread_id",
        "event_type",
        "data_json",
        "timestamp_ms",
        "sequence",
    ]


@pytest.mark.parametrize("event", [c[1] for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_sse_name_is_the_type_without_gateway(event: Event) -> None:
    for frame in decoded(encode(event, 1)):
        assert frame["data"]["type"] == f"gateway_{frame['event']}"
        assert frame["data"]["data"]["event_type"] == frame["event"].removeprefix("thread_")
        assert isinstance(frame["data"]["data"]["data_json"], str)


def test_log_fast_path_writes_the_same_bytes_as_the_generic_path() -> None:
    lines = ["plain", 'quotes " and \\ backslash', "tab\tand unicode é ✓ \u2028", "", "x" * 300]
    event = ev(EventType.STEP_LOG, "build.2", number=3, seq=99, stream="stderr", lines=lines)
    generic = "".join(
        f"id: {te.id}\nevent: thread_output\ndata: "
        f"{json.dumps(payload(RUN, TS, te, 10 + i), separators=(',', ':'), ensure_ascii=False)}"
        "\n\n"
        for i, te in enumerate(project(event))
    )
    assert encode(event, 10) == generic
    assert [f["data"]["data"]["sequence"] for f in decoded(generic)] == [10, 11, 12, 13, 14]
    assert json.loads(decoded(generic)[1]["data"]["data"]["data_json"])["text"] == lines[1]


def test_resume_inside_a_chunk_sends_only_the_later_lines() -> None:
    event = ev(EventType.STEP_LOG, number=1, seq=5, lines=["a", "b", "c"])
    frames = decoded(encode(event, 4, after_index=0))
    assert [(f["id"], f["data"]["data"]["sequence"]) for f in frames] == [("5.1", 5), ("5.2", 6)]


def test_sequences_are_dense_per_thread_in_log_order() -> None:
    sequences = ThreadSequences()
    events = [
        ev(EventType.RUN_STARTED, None, run={}),
        ev(EventType.JOB_QUEUED, "a", job={}),
        ev(EventType.JOB_STARTED, "a", job={}),
        ev(EventType.JOB_STARTED, "b", job={}),
        ev(EventType.STEP_LOG, "a", number=1, lines=["1", "2", "3"]),
        ev(EventType.JOB_STATUS, "b", summary="s"),
        ev(EventType.STEP_ANNOTATION, "a", number=1, level="error", message="m"),
        ev(EventType.JOB_STATUS, "a", summary="s"),
    ]
    assert [sequences.advance(e) for e in events] == [0, 0, 1, 1, 2, 2, 0, 5]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([], None),
        ([("threadIds", "architect,engineer_a")], ["architect", "engineer_a"]),
        ([("threadIds", "build.2, test")], ["build.2", "test"]),
        ([("threadIds", "a,a,b")], ["a", "b"]),
        ([("threadIds", "a"), ("threadIds", "b")], ["a", "b"]),
        ([("threadIds", "caller.job.3")], ["caller.job.3"]),
    ],
)
def test_thread_ids_filter(query: list[tuple[str, str]], expected: list[str] | None) -> None:
    assert parse_thread_ids(MultiDict(query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        [("threadIds[]", "a")],
        [("threadIds[0]", "a")],
        [("threadIds", "")],
        [("threadIds", "a,,b")],
        [("threadIds", "a,")],
        [("threadIds", "a b")],
        [("threadIds", "../x")],
        [("threadIds", ".a")],
    ],
)
def test_thread_ids_filter_rejects_malformed_lists(query: list[tuple[str, str]]) -> None:
    with pytest.raises(ApiError) as caught:
        parse_thread_ids(MultiDict(query))
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("wanted", "thread", "chosen"),
    [
        (None, "x", True),
        (["build"], "build", True),
        (["build"], "build.2", True),
        (["build"], "builder", False),
        (["build.1"], "build.10", False),
        (["a", "b"], "b", True),
        (["caller"], "caller.test.2", True),
    ],
)
def test_a_job_key_selects_its_matrix_instances(
    wanted: list[str] | None, thread: str, chosen: bool
) -> None:
    assert selects(wanted, thread) is chosen


def test_timestamps_are_iso_with_milliseconds() -> None:
    assert iso_ms(1773748800000) == "2026-03-17T12:00:00.000Z"
    assert iso_ms(1773748800007) == "2026-03-17T12:00:00.007Z"
