"""Agent Protocol (seed 004): the projection, canonical events in, protocol events out;
the stream view (channels, namespaces, depth); seq and `since`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runner.api.agent.projection import RunLifecycle, ThreadFold, log_frames, project
from runner.api.agent.streams import StreamView, ThreadReplay, is_channel
from runner.api.agent.wire import (
    STRIDE,
    ProtocolEvent,
    applied_through,
    interrupt_id,
    parse_interrupt_id,
)
from runner.events.payload_json import run_from_json, run_to_json
from runner.events.payloads import LogChunk
from runner.events.types import Event, EventType

RUN = "ab12cd34"
TS = 1773748800000
ALL = frozenset(
    {"values", "updates", "messages", "tools", "lifecycle", "input", "checkpoints", "tasks"}
    | {"custom"}
)


def ev(
    type_: EventType,
    job_id: str | None = "build",
    /,
    number: int | None = None,
    seq: int = 7,
    run_id: str = RUN,
    **data: Any,
) -> Event:
    return Event(
        type=type_, run_id=run_id, job_id=job_id, step_number=number, data=data, ts=TS, seq=seq
    )


def job(job_id: str = "build", **fields: Any) -> dict[str, Any]:
    return {"id": job_id, "key": job_id, "name": job_id, "needs": [], **fields}


def run(**fields: Any) -> dict[str, Any]:
    """A run snapshot in the engine's form (every field it always has)."""
    given = {"id": RUN, "name": "CI", "workflow": "workflows/ci.yml", "jobs": [], **fields}
    return run_to_json(run_from_json(given))


def shown(events: list[ProtocolEvent]) -> list[tuple[str, list[str], dict[str, Any]]]:
    return [(e.method, list(e.namespace), e.data) for e in events]


# (name, event, fold before, protocol events as (method, namespace, data), fold after)
CASES: list[
    tuple[str, Event, RunLifecycle, list[tuple[str, list[str], dict[str, Any]]], RunLifecycle]
] = [
    (
        "run.started opens the root",
        ev(EventType.RUN_STARTED, None, run=run(status="in_progress")),
        RunLifecycle(),
        [
            ("lifecycle", [], {"event": "running", "graph_name": "CI"}),
            ("values", [], run(status="in_progress")),
        ],
        RunLifecycle(graph_name="CI", started=True),
    ),
    (
        "job.queued is a task of the root",
        ev(EventType.JOB_QUEUED, "deploy", job=job("deploy", needs=["build"], matrix={"n": 1})),
        RunLifecycle(graph_name="CI"),
        [
            (
                "tasks",
                [],
                {
                    "id": f"{RUN}:deploy",
                    "name": "deploy",
                    "input": {"needs": ["build"], "matrix": {"n": 1}},
                    "triggers": ["build"],
                },
            )
        ],
        RunLifecycle(graph_name="CI"),
    ),
    (
        "job.started opens the job's namespace",
        ev(EventType.JOB_STARTED, job=job(name="Build it")),
        RunLifecycle(),
        [("lifecycle", ["build"], {"event": "started", "graph_name": "Build it"})],
        RunLifecycle(open_jobs={"build": None}),
    ),
    (
        "job.blocked interrupts the root and asks for input",
        ev(EventType.JOB_BLOCKED, reason="Waiting", environment="prod"),
        RunLifecycle(graph_name="CI", open_jobs={"build": None}),
        [
            ("lifecycle", [], {"event": "interrupted", "graph_name": "CI"}),
            (
                "input.requested",
                ["build"],
                {
                    "interrupt_id": f"{RUN}:build:approval",
                    "payload": {
                        "run_id": RUN,
                        "job_id": "build",
                        "environment": "prod",
                        "reason": "Waiting",
                    },
                    "value": {
                        "run_id": RUN,
                        "job_id": "build",
                        "environment": "prod",
                        "reason": "Waiting",
                    },
                },
            ),
        ],
        RunLifecycle(graph_name="CI", open_jobs={"build": None}, waiting={"build": None}),
    ),
    (
        "a second waiting job: the root is interrupted already",
        ev(EventType.JOB_BLOCKED, "b", reason="W", environment="e"),
        RunLifecycle(waiting={"a": None}),
        [
            (
                "input.requested",
                ["b"],
                {
                    "interrupt_id": f"{RUN}:b:approval",
                    "payload": {"run_id": RUN, "job_id": "b", "environment": "e", "reason": "W"},
                    "value": {"run_id": RUN, "job_id": "b", "environment": "e", "reason": "W"},
                },
            )
        ],
        RunLifecycle(waiting={"a": None, "b": None}),
    ),
    (
        "job.unblocked: the answer, and the root runs again",
        ev(EventType.JOB_UNBLOCKED, approved=True, by="agent-protocol"),
        RunLifecycle(graph_name="CI", waiting={"build": None}),
        [
            (
                "custom",
                ["build"],
                {
                    "name": "approval",
                    "payload": {
                        "interrupt_id": f"{RUN}:build:approval",
                        "approved": True,
                        "by": "agent-protocol",
                    },
                },
            ),
            ("lifecycle", [], {"event": "running", "graph_name": "CI"}),
        ],
        RunLifecycle(graph_name="CI"),
    ),
    (
        "job.unblocked while another job still waits: the root stays interrupted",
        ev(EventType.JOB_UNBLOCKED, approved=False, by="api"),
        RunLifecycle(waiting={"build": None, "b": None}),
        [
            (
                "custom",
                ["build"],
                {
                    "name": "approval",
                    "payload": {
                        "interrupt_id": f"{RUN}:build:approval",
                        "approved": False,
                        "by": "api",
                    },
                },
            )
        ],
        RunLifecycle(waiting={"b": None}),
    ),
    (
        "job.status",
        ev(EventType.JOB_STATUS, summary="step 1/2: Build"),
        RunLifecycle(),
        [("custom", ["build"], {"name": "status", "payload": {"summary": "step 1/2: Build"}})],
        RunLifecycle(),
    ),
    (
        "job.message",
        ev(EventType.JOB_MESSAGE, "test", from_job="build", outputs={"v": "1"}, result="success"),
        RunLifecycle(),
        [
            (
                "custom",
                ["test"],
                {
                    "name": "needs",
                    "payload": {"from_job": "build", "outputs": {"v": "1"}, "result": "success"},
                },
            )
        ],
        RunLifecycle(),
    ),
    (
        "step.started is a task of the job",
        ev(EventType.STEP_STARTED, number=2, step={"number": 2, "name": "Compile", "id": "c"}),
        RunLifecycle(),
        [
            (
                "tasks",
                ["build"],
                {
                    "id": f"{RUN}:build:2",
                    "name": "Compile",
                    "input": {"number": 2, "id": "c"},
                    "triggers": [],
                },
            )
        ],
        RunLifecycle(),
    ),
    (
        "step.log: one custom:log event per line",
        ev(EventType.STEP_LOG, number=1, stream="stderr", lines=["a", "", "b"]),
        RunLifecycle(),
        [
            (
                "custom",
                ["build"],
                {"name": "log", "payload": {"line": t, "stream": "stderr", "step": 1}},
            )
            for t in ("a", "", "b")
        ],
        RunLifecycle(),
    ),
    (
        "step.completed (success) is the task's result",
        ev(
            EventType.STEP_COMPLETED,
            number=1,
            step={"number": 1, "name": "V", "conclusion": "success", "outcome": "success"},
            outputs={"version": "1.2"},
        ),
        RunLifecycle(),
        [
            (
                "tasks",
                ["build"],
                {
                    "id": f"{RUN}:build:1",
                    "name": "V",
                    "error": None,
                    "result": {
                        "conclusion": "success",
                        "outcome": "success",
                        "outputs": {"version": "1.2"},
                    },
                    "interrupts": [],
                },
            )
        ],
        RunLifecycle(),
    ),
    (
        "step.completed (failure) carries the error",
        ev(
            EventType.STEP_COMPLETED,
            number=3,
            step={"number": 3, "name": "T", "conclusion": "failure", "error": "exit code 3"},
        ),
        RunLifecycle(),
        [
            (
                "tasks",
                ["build"],
                {
                    "id": f"{RUN}:build:3",
                    "name": "T",
                    "error": "exit code 3",
                    "result": {"conclusion": "failure", "outcome": "failure"},
                    "interrupts": [],
                },
            )
        ],
        RunLifecycle(),
    ),
    (
        "step.annotation",
        ev(EventType.STEP_ANNOTATION, number=1, level="error", message="bad"),
        RunLifecycle(),
        [
            (
                "custom",
                ["build"],
                {"name": "annotation", "payload": {"step": 1, "level": "error", "message": "bad"}},
            )
        ],
        RunLifecycle(),
    ),
    (
        "skill.completed",
        ev(EventType.SKILL_COMPLETED, number=2, skill_id="x", trace_id="t", status="ok"),
        RunLifecycle(),
        [
            (
                "custom",
                ["build"],
                {
                    "name": "skill",
                    "payload": {
                        "event": "completed",
                        "step": 2,
                        "skill_id": "x",
                        "trace_id": "t",
                        "status": "ok",
                    },
                },
            )
        ],
        RunLifecycle(),
    ),
    (
        "job.completed (success): outputs on updates, the task's result, the namespace ends",
        ev(EventType.JOB_COMPLETED, job=job(conclusion="success", outputs={"v": "7"})),
        RunLifecycle(open_jobs={"build": None, "other": None}),
        [
            ("updates", [], {"node": "build", "values": {"v": "7"}}),
            (
                "tasks",
                [],
                {
                    "id": f"{RUN}:build",
                    "name": "build",
                    "error": None,
                    "result": {"conclusion": "success", "outputs": {"v": "7"}},
                    "interrupts": [],
                },
            ),
            ("lifecycle", ["build"], {"event": "completed"}),
        ],
        RunLifecycle(open_jobs={"other": None}),
    ),
    (
        "job.completed (failure) fails the namespace with the failed step's error",
        ev(
            EventType.JOB_COMPLETED,
            job=job(
                conclusion="failure",
                outputs={},
                steps=[{"number": 1, "name": "T", "conclusion": "failure", "error": "exit 3"}],
            ),
        ),
        RunLifecycle(open_jobs={"build": None}),
        [
            ("updates", [], {"node": "build", "values": {}}),
            (
                "tasks",
                [],
                {
                    "id": f"{RUN}:build",
                    "name": "build",
                    "error": "step 1 (T) failed: exit 3",
                    "result": {"conclusion": "failure", "outputs": {}},
                    "interrupts": [],
                },
            ),
            ("lifecycle", ["build"], {"event": "failed", "error": "step 1 (T) failed: exit 3"}),
        ],
        RunLifecycle(),
    ),
    (
        "job.completed of a job that never started (skipped): no lifecycle, it never opened",
        ev(EventType.JOB_COMPLETED, job=job(conclusion="skipped", error="if: false")),
        RunLifecycle(),
        [
            ("updates", [], {"node": "build", "values": {}}),
            (
                "tasks",
                [],
                {
                    "id": f"{RUN}:build",
                    "name": "build",
                    "error": None,
                    "result": {"conclusion": "skipped", "outputs": {}},
                    "interrupts": [],
                },
            ),
        ],
        RunLifecycle(),
    ),
    (
        "job.completed (cancelled) fails the namespace",
        ev(EventType.JOB_COMPLETED, job=job(conclusion="cancelled")),
        RunLifecycle(open_jobs={"build": None}, waiting={"build": None}),
        [
            ("updates", [], {"node": "build", "values": {}}),
            (
                "tasks",
                [],
                {
                    "id": f"{RUN}:build",
                    "name": "build",
                    "error": "cancelled",
                    "result": {"conclusion": "cancelled", "outputs": {}},
                    "interrupts": [],
                },
            ),
            ("lifecycle", ["build"], {"event": "failed", "error": "cancelled"}),
        ],
        RunLifecycle(),
    ),
    (
        "run.completed (success): the final run on values, then the root completes",
        ev(EventType.RUN_COMPLETED, None, run=run(conclusion="success")),
        RunLifecycle(graph_name="CI", started=True),
        [
            ("values", [], run(conclusion="success")),
            ("lifecycle", [], {"event": "completed", "graph_name": "CI"}),
        ],
        RunLifecycle(graph_name="CI", started=True, finished=True),
    ),
    (
        "run.completed closes every namespace still open first (cascade), with the root's end",
        ev(EventType.RUN_COMPLETED, None, run=run(conclusion="failure", error="daemon stopped")),
        RunLifecycle(graph_name="CI", open_jobs={"a": None, "b.2": None}, waiting={"a": None}),
        [
            ("lifecycle", ["a"], {"event": "failed", "error": "daemon stopped"}),
            ("lifecycle", ["b.2"], {"event": "failed", "error": "daemon stopped"}),
            ("values", [], run(conclusion="failure", error="daemon stopped")),
            ("lifecycle", [], {"event": "failed", "error": "daemon stopped", "graph_name": "CI"}),
        ],
        RunLifecycle(graph_name="CI", finished=True),
    ),
    (
        "run.completed (failure) names the failed job",
        ev(
            EventType.RUN_COMPLETED,
            None,
            run=run(conclusion="failure", jobs=[job("lint", conclusion="failure", error="exit 3")]),
        ),
        RunLifecycle(graph_name="CI"),
        [
            (
                "values",
                [],
                run(conclusion="failure", jobs=[job("lint", conclusion="failure", error="exit 3")]),
            ),
            ("lifecycle", [], {"event": "failed", "error": "job lint: exit 3", "graph_name": "CI"}),
        ],
        RunLifecycle(graph_name="CI", finished=True),
    ),
    (
        "run.completed (cancelled) fails the root: the SDK ends runs only on completed/failed",
        ev(EventType.RUN_COMPLETED, None, run=run(conclusion="cancelled")),
        RunLifecycle(graph_name="CI"),
        [
            ("values", [], run(conclusion="cancelled")),
            ("lifecycle", [], {"event": "failed", "error": "cancelled", "graph_name": "CI"}),
        ],
        RunLifecycle(graph_name="CI", finished=True),
    ),
    (
        "run.completed (skipped) completes",
        ev(EventType.RUN_COMPLETED, None, run=run(conclusion="skipped")),
        RunLifecycle(graph_name="CI"),
        [
            ("values", [], run(conclusion="skipped")),
            ("lifecycle", [], {"event": "completed", "graph_name": "CI"}),
        ],
        RunLifecycle(graph_name="CI", finished=True),
    ),
]


@pytest.mark.parametrize(
    ("event", "before", "expected", "after"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_projection(
    event: Event,
    before: RunLifecycle,
    expected: list[tuple[str, list[str], dict[str, Any]]],
    after: RunLifecycle,
) -> None:
    produced = project(event, before)
    assert shown(produced) == expected
    assert [e.seq for e in produced] == [event.seq * STRIDE + i for i in range(len(expected))]
    assert all(e.timestamp == TS for e in produced)
    assert before == after


def test_a_log_chunk_longer_than_the_room_of_one_event_ends_in_one_event() -> None:
    event = ev(EventType.STEP_LOG, number=1, lines=["1", "2", "3", "4", "5"])
    produced = project(event, RunLifecycle(), per_event=3)
    assert [e.data["payload"]["line"] for e in produced] == ["1", "2", "3\n4\n5"]  # type: ignore[index]
    assert produced[-1].seq == 7 * STRIDE + 2


@pytest.mark.parametrize("since", [None, 0, 7 * STRIDE - 1, 7 * STRIDE, 7 * STRIDE + 2, 8 * STRIDE])
@pytest.mark.parametrize("per_event", [STRIDE, 3])
def test_log_frames_are_the_generic_frames_built_faster(since: int | None, per_event: int) -> None:
    lines = ["plain", 'quote " and \\', "ünïcode ✓", "\t tab", "", "\u2028 sep", "\x1b[31mred"]
    event = ev(EventType.STEP_LOG, "build.2", number=4, stream="stderr", lines=lines)
    generic = "".join(
        p.encode()
        for p in project(event, RunLifecycle(), per_event=per_event)
        if since is None or p.seq > since
    )
    chunk = event.payload
    assert isinstance(chunk, LogChunk)
    assert log_frames(event, chunk, since=since, per_event=per_event) == generic


def test_the_frame_is_event_data_id_and_the_envelope_is_snake_case() -> None:
    (frame,) = project(ev(EventType.JOB_STATUS, seq=42, summary="hi"), RunLifecycle())
    assert frame.event_id == "42.0"
    assert frame.encode() == (
        "event: custom\n"
        'data: {"type":"event","seq":42000000,"event_id":"42.0","method":"custom",'
        '"params":{"data":{"name":"status","payload":{"summary":"hi"}},"namespace":["build"],'
        f'"timestamp":{TS}}}}}\n'
        "id: 42000000\n\n"
    )
    lines = frame.encode().splitlines()
    assert json.loads(lines[1].removeprefix("data: "))["seq"] == 42 * STRIDE


def test_channels_of_events() -> None:
    def channel(method: str, data: dict[str, Any]) -> str:
        return ProtocolEvent(1, method, (), 0, data).channel  # type: ignore[arg-type]

    assert channel("input.requested", {}) == "input"
    assert channel("custom", {"name": "log"}) == "custom:log"
    assert channel("custom", {"payload": 1}) == "custom"
    assert channel("tasks", {}) == "tasks"
    for name in ("values", "lifecycle", "custom", "custom:log", "custom:a:b", "input"):
        assert is_channel(name)
    for name in ("custom:", "logs", "", "Values", "input.requested"):
        assert not is_channel(name)


def test_interrupt_ids_name_the_run_and_job() -> None:
    assert parse_interrupt_id(interrupt_id(RUN, "deploy.2")) == (RUN, "deploy.2")
    for bad in ("", RUN, f"{RUN}:deploy", f"{RUN}::approval", ":deploy:approval"):
        assert parse_interrupt_id(bad) is None


# -- the view: channels, namespaces, depth ----------------------------------------------
def pe(method: str = "tasks", *namespace: str, name: str | None = None) -> ProtocolEvent:
    data: dict[str, Any] = {} if name is None else {"name": name}
    return ProtocolEvent(1, method, namespace, 0, data)


VIEWS: list[tuple[str, StreamView, ProtocolEvent, bool]] = [
    ("asked channel", StreamView(frozenset({"tasks"})), pe("tasks", "a"), True),
    ("other channel", StreamView(frozenset({"values"})), pe("tasks", "a"), False),
    (
        "input.requested on input",
        StreamView(frozenset({"input"})),
        pe("input.requested", "a"),
        True,
    ),
    (
        "custom takes every custom",
        StreamView(frozenset({"custom"})),
        pe("custom", "a", name="log"),
        True,
    ),
    (
        "custom:log takes log",
        StreamView(frozenset({"custom:log"})),
        pe("custom", "a", name="log"),
        True,
    ),
    (
        "custom:log not status",
        StreamView(frozenset({"custom:log"})),
        pe("custom", "a", name="status"),
        False,
    ),
    ("root passes a prefix list", StreamView(ALL, (("a",),)), pe("lifecycle"), True),
    ("root passes depth 0", StreamView(ALL, None, 0), pe("values"), True),
    ("root passes both", StreamView(ALL, (("x", "y"),), 0), pe("lifecycle"), True),
    (
        "root still needs its channel",
        StreamView(frozenset({"tasks"}), (("a",),), 0),
        pe("lifecycle"),
        False,
    ),
    ("prefix matches", StreamView(ALL, (("a",),)), pe("tasks", "a"), True),
    ("prefix matches deeper", StreamView(ALL, (("a",),)), pe("tasks", "a", "b"), True),
    ("other prefix", StreamView(ALL, (("a",),)), pe("tasks", "b"), False),
    ("any of the prefixes", StreamView(ALL, (("a",), ("b",))), pe("tasks", "b"), True),
    ("segments compare whole", StreamView(ALL, (("a",),)), pe("tasks", "ab"), False),
    ("empty prefix is everything", StreamView(ALL, ((),)), pe("tasks", "z"), True),
    ("empty prefix, depth 0: root only", StreamView(ALL, ((),), 0), pe("tasks", "z"), False),
    ("depth counts below the prefix", StreamView(ALL, (("a",),), 0), pe("tasks", "a"), True),
    ("depth 0 below the prefix", StreamView(ALL, (("a",),), 0), pe("tasks", "a", "b"), False),
    ("depth 1 below the prefix", StreamView(ALL, (("a",),), 1), pe("tasks", "a", "b"), True),
    ("depth without prefixes caps the length", StreamView(ALL, None, 1), pe("tasks", "a"), True),
    ("depth without prefixes, too deep", StreamView(ALL, None, 1), pe("tasks", "a", "b"), False),
    ("depth 0 without prefixes: root only", StreamView(ALL, None, 0), pe("tasks", "a"), False),
]


@pytest.mark.parametrize(
    ("view", "event", "sees"), [v[1:] for v in VIEWS], ids=[v[0] for v in VIEWS]
)
def test_view(view: StreamView, event: ProtocolEvent, sees: bool) -> None:
    assert view.sees(event) is sees


# -- seq and since ----------------------------------------------------------------------
def two_runs() -> list[Event]:
    """Two runs of a thread, one after the other, as the log holds them."""
    events: list[Event] = []
    for run_id, first in (("r1", 10), ("r2", 40)):
        seq = iter(range(first, first + 100))

        def add(type_: EventType, job_id: str | None = "build", /, **data: Any) -> None:
            events.append(ev(type_, job_id, run_id=run_id, seq=next(seq), number=1, **data))  # noqa: B023

        add(EventType.RUN_STARTED, None, run=run(id=run_id))
        add(EventType.JOB_QUEUED, job=job())
        add(EventType.JOB_STARTED, job=job())
        add(EventType.STEP_STARTED, step={"number": 1, "name": "s"})
        add(EventType.STEP_LOG, stream="stdout", lines=["one", "two", "three"])
        add(EventType.STEP_COMPLETED, step={"number": 1, "name": "s", "conclusion": "success"})
        add(EventType.JOB_COMPLETED, job=job(conclusion="success", outputs={"v": run_id}))
        add(EventType.RUN_COMPLETED, None, run=run(id=run_id, conclusion="success"))
    return events


def stream(events: list[Event], view: StreamView, since: int | None = None) -> list[ProtocolEvent]:
    """What a stream sends: every event folded, those after `since` that the view sees."""
    fold = ThreadFold()
    return [
        p
        for e in events
        for p in fold.project(e)
        if (since is None or p.seq > since) and view.sees(p)
    ]


@pytest.mark.parametrize(
    "view",
    [
        StreamView(ALL),
        StreamView(frozenset({"lifecycle"})),
        StreamView(frozenset({"custom:log", "tasks"}), (("build",),), 0),
    ],
)
def test_seq_is_absolute_and_monotonic_across_runs(view: StreamView) -> None:
    everything = {p.event_id: p.seq for p in stream(two_runs(), StreamView(ALL))}
    sent = stream(two_runs(), view)
    seqs = [p.seq for p in sent]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    # The same event has the same seq whatever a stream filters out.
    assert all(everything[p.event_id] == p.seq for p in sent)
    assert [p for p in sent if not p.namespace], "root events pass any namespace filter"


def test_since_skips_exactly_what_was_seen_at_every_point() -> None:
    full = stream(two_runs(), StreamView(ALL))
    assert len(full) == 2 * 14
    for cut in range(len(full)):
        since = full[cut].seq
        assert stream(two_runs(), StreamView(ALL), since) == full[cut + 1 :]
    # A seq between events (a client's cursor from `applied_through_seq`) works too.
    assert stream(two_runs(), StreamView(ALL), applied_through(39)) == full[14:]
    assert stream(two_runs(), StreamView(ALL), 0) == full


def test_a_resumed_stream_still_closes_what_was_opened_before_since() -> None:
    events = [
        ev(EventType.RUN_STARTED, None, seq=1, run=run()),
        ev(EventType.JOB_STARTED, seq=2, job=job()),
        ev(EventType.RUN_COMPLETED, None, seq=3, run=run(conclusion="cancelled")),
    ]
    resumed = stream(events, StreamView(frozenset({"lifecycle"})), since=2 * STRIDE)
    assert [(p.namespace, p.data["event"]) for p in resumed] == [
        (("build",), "failed"),
        ((), "failed"),
    ]


def test_a_job_ended_before_the_run_is_not_closed_twice() -> None:
    """Crash recovery ends each open job, then the run with the snapshot it had (jobs
    still in progress there): the cascade goes by what the stream saw, not the snapshot."""
    stale = [job(status="in_progress", started_at=1)]
    events = [
        ev(EventType.RUN_STARTED, None, seq=1, run=run()),
        ev(EventType.JOB_STARTED, seq=2, job=job()),
        ev(EventType.JOB_COMPLETED, seq=3, job=job(conclusion="failure", error="daemon stopped")),
        ev(EventType.RUN_COMPLETED, None, seq=4, run=run(conclusion="failure", jobs=stale)),
    ]
    closes = [p for p in stream(events, StreamView(frozenset({"lifecycle"}))) if p.namespace]
    assert [(p.namespace, p.data["event"]) for p in closes] == [
        (("build",), "started"),
        (("build",), "failed"),
    ]


# -- the history of several runs, merged --------------------------------------------------
class FakeStore:
    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.reads = 0

    async def read_after(
        self,
        seq: int,
        *,
        limit: int = 1000,
        run_id: str | None = None,
        until: int | None = None,
        max_bytes: int | None = None,
    ) -> list[Event]:
        self.reads += 1
        found = [
            e
            for e in self.events
            if e.seq > seq
            and (run_id is None or e.run_id == run_id)
            and (until is None or e.seq <= until)
        ]
        return found[:2]  # small pages, so merging crosses page boundaries


async def test_history_of_overlapping_runs_comes_in_log_order() -> None:
    runs = ["a", "b", "c", "a", "a", "b", "c", "c", "b", "a", "z"]
    events = [ev(EventType.JOB_STATUS, seq=i + 1, run_id=r, summary="") for i, r in enumerate(runs)]
    store = FakeStore(events)
    replay = ThreadReplay(store, ["a", "b", "c"], until=10)  # type: ignore[arg-type]
    got: list[int] = []
    while page := await replay.next_page():
        got.extend(e.seq for e in page)
    assert got == list(range(1, 11))
