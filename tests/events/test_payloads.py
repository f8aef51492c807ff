"""Typed payloads: the engine's JSON forms survive decode + encode unchanged, keys in order."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError
from typing import TYPE_CHECKING, Any

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from runner.config import load_settings
from runner.engine import RunRequest, WorkflowRun
from runner.engine.masking import Masker
from runner.engine.payload_masking import masked, user_text_masked
from runner.engine.records import JobRecord, RunRecord, StepRecord
from runner.events.payload_json import (
    payload_from_json,
    payload_to_json,
)
from runner.events.payloads import (
    Annotation,
    JobBlocked,
    JobMessage,
    JobPayload,
    JobStatus,
    JobUnblocked,
    LogChunk,
    Payload,
    RunPayload,
    SkillPayload,
    StepPayload,
)
from runner.events.sink import ListSink
from runner.events.types import Conclusion, Event, EventType, Status, weight
from runner.model import parse_workflow

if TYPE_CHECKING:
    from pathlib import Path

    from runner.expressions.values import JSONValue

texts = st.text(max_size=8)
times = st.none() | st.integers(min_value=0, max_value=2**41)
scalars = st.none() | st.booleans() | st.integers() | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
json_objects = st.dictionaries(texts, json_values, max_size=3)
conclusions = st.none() | st.sampled_from(Conclusion)

steps = st.builds(
    StepRecord,
    number=st.integers(min_value=1, max_value=99),
    name=texts,
    id=st.none() | texts,
    status=st.sampled_from(Status),
    conclusion=conclusions,
    outcome=conclusions,
    started_at=times,
    completed_at=times,
    error=st.none() | texts,
)
jobs = st.builds(
    JobRecord,
    id=texts,
    key=texts,
    name=texts,
    needs=st.lists(texts, max_size=3).map(tuple),
    matrix=st.none() | json_objects,
    status=st.sampled_from(Status),
    conclusion=conclusions,
    steps=st.lists(steps, max_size=3),
    outputs=json_objects,
    runs_on=json_values,
    environment=st.none() | texts,
    started_at=times,
    completed_at=times,
    error=st.none() | texts,
    summary=texts,
    runner_name=st.none() | texts,
)
runs = st.builds(
    RunRecord,
    id=texts,
    name=texts,
    workflow=texts,
    event=texts,
    run_number=st.integers(min_value=1, max_value=10**6),
    workdir=texts,
    status=st.sampled_from(Status),
    conclusion=conclusions,
    jobs=st.lists(jobs, max_size=3).map(lambda js: {j.id: j for j in js}),
    graph=st.lists(json_values, max_size=3),
    inputs=json_objects,
    created_at=st.integers(min_value=0, max_value=2**41),
    started_at=times,
    completed_at=times,
    error=st.none() | texts,
)


def round_trip(type_: EventType, data: dict[str, JSONValue]) -> None:
    again = payload_to_json(payload_from_json(type_, data))
    assert again == data
    assert repr(again) == repr(data)  # the same keys in the same order, at every depth


@given(run=runs, jobs_too=st.booleans(), kind=st.sampled_from(["run.started", "run.completed"]))
def test_a_run_snapshot_round_trips(run: RunRecord, jobs_too: bool, kind: str) -> None:
    round_trip(EventType(kind), {"run": run.snapshot(jobs=jobs_too)})


@given(job=jobs, kind=st.sampled_from(["job.queued", "job.started", "job.completed"]))
def test_a_job_snapshot_round_trips(job: JobRecord, kind: str) -> None:
    round_trip(EventType(kind), {"job": job.snapshot()})


@given(step=steps, outputs=st.none() | json_objects)
def test_a_step_snapshot_round_trips(
    step: StepRecord, outputs: dict[str, JSONValue] | None
) -> None:
    round_trip(EventType.STEP_STARTED, {"step": step.snapshot()})
    completed: dict[str, JSONValue] = {"step": step.snapshot()}
    if outputs is not None:
        completed["outputs"] = outputs
    round_trip(EventType.STEP_COMPLETED, completed)


@given(stream=st.sampled_from(["stdout", "stderr"]), lines=st.lists(st.text(), max_size=5))
def test_a_log_chunk_round_trips(stream: str, lines: list[str]) -> None:
    round_trip(EventType.STEP_LOG, {"stream": stream, "lines": lines})


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (EventType.STEP_ANNOTATION, {"level": "error", "message": "boom"}),
        (
            EventType.STEP_ANNOTATION,
            {"level": "warning", "message": "m", "file": "a.py", "line": 3, "title": "t"},
        ),
        (EventType.JOB_STATUS, {"summary": "3 of 5"}),
        (EventType.JOB_BLOCKED, {"reason": "approval", "environment": "prod"}),
        (EventType.JOB_UNBLOCKED, {"approved": True, "by": "alice"}),
        (
            EventType.JOB_MESSAGE,
            {"from_job": "a", "to_job": "b", "outputs": {"x": [1, "y"]}, "result": "success"},
        ),
        (
            EventType.SKILL_STARTED,
            {"skill_id": "s.k", "trace_id": "t-1", "channel": "workflow", "inputs": {"a": 1}},
        ),
        (EventType.SKILL_STEP, {"skill_id": "s", "trace_id": "t", "phase": "started"}),
        (EventType.SKILL_COMPLETED, {"skill_id": "s", "trace_id": "t", "status": "ok"}),
    ],
)
def test_the_other_payloads_round_trip(kind: EventType, data: dict[str, JSONValue]) -> None:
    round_trip(kind, data)


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (EventType.RUN_STARTED, {}, RunPayload),
        (EventType.RUN_COMPLETED, {"run": {"conclusion": "nonsense", "jobs": 3}}, RunPayload),
        (EventType.JOB_STARTED, {"job": ["not", "an", "object"]}, JobPayload),
        (EventType.STEP_COMPLETED, {"step": {"status": {}, "number": True}}, StepPayload),
        (EventType.STEP_LOG, {"lines": "not a list"}, LogChunk),
    ],
)
def test_a_foreign_form_decodes_to_defaults(
    kind: EventType, data: dict[str, JSONValue], expected: type
) -> None:
    assert isinstance(payload_from_json(kind, data), expected)


def test_a_chunk_without_a_stream_is_stdout() -> None:
    assert payload_from_json(EventType.STEP_LOG, {"lines": ["x"]}) == LogChunk(
        stream="stdout", lines=["x"]
    )


def test_a_records_json_snapshot_keeps_its_keys_in_order() -> None:
    """The JSON of a run, a job and a step, as clients have always read it: keys in this
    order; times, duration, outputs, summary, error and runner only where they apply."""
    done = StepRecord(
        number=1,
        name="build",
        id="b",
        status=Status.COMPLETED,
        conclusion=Conclusion.FAILURE,
        outcome=Conclusion.FAILURE,
        started_at=10,
        completed_at=25,
        error="exit 1",
    )
    queued = StepRecord(number=2, name="test", error="")
    job = JobRecord(
        id="j.1",
        key="j",
        name="j (1)",
        needs=("a",),
        matrix={"n": 1},
        status=Status.COMPLETED,
        conclusion=Conclusion.FAILURE,
        steps=[done, queued],
        outputs={"x": "1"},
        runs_on="ubuntu-latest",
        started_at=5,
        completed_at=30,
        summary="",
        runner_name="node-2",
    )
    running = JobRecord(id="k", key="k", name="k", status=Status.IN_PROGRESS, started_at=7)
    run = RunRecord(
        id="r",
        name="ci",
        workflow="ci.yml",
        event="push",
        run_number=3,
        workdir="/w",
        status=Status.IN_PROGRESS,
        jobs={"j.1": job, "k": running},
        created_at=1,
        started_at=2,
        error="",
    )
    step_json = {
        "number": 1,
        "name": "build",
        "status": "completed",
        "conclusion": "failure",
        "id": "b",
        "outcome": "failure",
        "started_at": 10,
        "completed_at": 25,
        "duration_ms": 15,
        "error": "exit 1",
    }
    queued_json = {"number": 2, "name": "test", "status": "queued", "conclusion": None}
    job_head = {
        "id": "j.1",
        "key": "j",
        "name": "j (1)",
        "status": "completed",
        "conclusion": "failure",
        "needs": ["a"],
    }
    job_tail = {
        "matrix": {"n": 1},
        "runs_on": "ubuntu-latest",
        "started_at": 5,
        "completed_at": 30,
        "duration_ms": 25,
        "outputs": {"x": "1"},
        "runner_name": "node-2",
    }
    running_json = {
        "id": "k",
        "key": "k",
        "name": "k",
        "status": "in_progress",
        "conclusion": None,
        "needs": [],
        "started_at": 7,
    }
    assert repr(done.snapshot()) == repr(step_json)
    assert repr(queued.snapshot()) == repr(queued_json)
    assert repr(job.snapshot()) == repr({**job_head, "steps": [step_json, queued_json], **job_tail})
    assert repr(job.snapshot(steps=False)) == repr({**job_head, **job_tail})
    assert repr(run.snapshot()) == repr(
        {
            "id": "r",
            "name": "ci",
            "workflow": "ci.yml",
            "event": "push",
            "run_number": 3,
            "workdir": "/w",
            "status": "in_progress",
            "conclusion": None,
            "jobs": [{**job_head, **job_tail}, running_json],
            "graph": [],
            "inputs": {},
            "created_at": 1,
            "started_at": 2,
        }
    )
    assert run.snapshot(jobs=False)["jobs"] == []


EVERY_KIND = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2]
    outputs:
      size: ${{ steps.measure.outputs.size }}
    steps:
      - id: measure
        run: |
          echo "size=3" >> "$GITHUB_OUTPUT"
          echo "::warning file=a.py,line=3,title=careful::mind the gap"
          echo out; echo err >&2
      - name: fails, allowed
        run: exit 2
        continue-on-error: true
  ship:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "::error::${{ needs.build.outputs.size }}"
      - run: echo never
"""


async def test_every_event_a_real_run_emits_round_trips(tmp_path: Path) -> None:
    """The codec's invariant over the engine's own events, not only generated snapshots."""
    path = tmp_path / "wf.yml"
    path.write_text(EVERY_KIND)
    sink = ListSink()
    run = WorkflowRun(
        RunRequest(workflow=parse_workflow(EVERY_KIND, str(path)), workdir=tmp_path),
        load_settings(start=tmp_path),
        sink,
    )
    run.prepare()
    with trio.fail_after(60):
        await run.run()
    kinds = {event.type for event in sink.events}
    assert {EventType.STEP_ANNOTATION, EventType.JOB_MESSAGE, EventType.STEP_LOG} <= kinds
    for event in sink.events:
        round_trip(event.type, event.data)


# -- an event's two forms ------------------------------------------------------------
def log_event(**changes: object) -> Event:
    fields: dict[str, Any] = {"type": EventType.STEP_LOG, "run_id": "r", "job_id": "j"}
    return Event(**(fields | changes))


@given(run=runs, kind=st.sampled_from([EventType.RUN_STARTED, EventType.RUN_COMPLETED]))
def test_an_event_built_from_a_payload_has_its_json_as_data(
    run: RunRecord, kind: EventType
) -> None:
    payload = RunPayload(run=run.as_snapshot())
    event = Event(type=kind, run_id=run.id, payload=payload)
    assert event.payload is payload
    assert repr(event.data) == repr(payload_to_json(payload))
    assert repr(event.data) == repr({"run": run.snapshot()})  # the engine's JSON of old
    assert event.data is event.data  # derived once


@given(job=jobs)
def test_an_event_built_from_data_has_its_decoded_payload(job: JobRecord) -> None:
    data: dict[str, JSONValue] = {"job": job.snapshot()}
    event = Event(type=EventType.JOB_STARTED, run_id="r", job_id=job.id, data=data)
    assert event.data is data
    assert event.payload == payload_from_json(EventType.JOB_STARTED, data)
    assert event.payload is event.payload  # decoded once


def test_events_are_equal_when_their_json_forms_are() -> None:
    typed = log_event(payload=LogChunk(stream="stderr", lines=["a"]), ts=5)
    raw = log_event(data={"stream": "stderr", "lines": ["a"]}, ts=5)
    assert typed == raw
    assert typed != log_event(data={"stream": "stdout", "lines": ["a"]}, ts=5)
    assert typed != raw.replaced(seq=2)
    assert log_event(ts=1).data == {}  # neither form given: no data


@pytest.mark.parametrize("built_from", ["payload", "data", "both"])
def test_an_event_survives_pickling(built_from: str) -> None:
    chunk = LogChunk(stream="stdout", lines=["one", "two"])
    event = log_event(payload=chunk, step_number=3, ts=7, seq=9)
    if built_from == "data":
        event = log_event(data=payload_to_json(chunk), step_number=3, ts=7, seq=9)
    elif built_from == "both":
        assert event.data  # the store has made the JSON form
    again = pickle.loads(pickle.dumps(event))
    assert again == event
    assert again.payload == chunk
    assert again.to_json() == event.to_json()
    assert repr(again) == repr(event)


def test_replaced_keeps_the_payload_unless_it_is_replaced() -> None:
    chunk = LogChunk(lines=["x"])
    event = log_event(payload=chunk)
    numbered = event.replaced(seq=4)
    assert numbered.seq == 4
    assert numbered.payload is chunk
    assert (numbered.type, numbered.run_id, numbered.job_id, numbered.ts) == (
        event.type,
        event.run_id,
        event.job_id,
        event.ts,
    )
    other = numbered.replaced(data={"stream": "stderr", "lines": []})
    assert other.payload == LogChunk(stream="stderr", lines=[])
    assert other.seq == 4
    with pytest.raises(FrozenInstanceError):
        event.seq = 3  # type: ignore[misc]


def test_a_typed_chunk_weighs_its_lines() -> None:
    events = [
        log_event(payload=LogChunk(lines=["a", "b", "c"])),
        log_event(data={"stream": "stdout", "lines": ["a", "b"]}),
        Event(type=EventType.JOB_STATUS, run_id="r", payload=JobStatus(summary="s")),
    ]
    assert weight(events) == 6


# -- masking the typed payload is masking its JSON -----------------------------------
SECRET = "se"  # short: it hides in many generated texts


def same_masked(payload: Payload) -> None:
    masker = Masker([SECRET])
    typed = payload_to_json(masked(payload, masker))
    assert repr(typed) == repr(user_text_masked(payload_to_json(payload), masker))


@given(run=runs, jobs_too=st.booleans())
def test_a_masked_run_is_its_masked_json(run: RunRecord, jobs_too: bool) -> None:
    same_masked(RunPayload(run=run.as_snapshot(jobs=jobs_too)))


@given(job=jobs)
def test_a_masked_job_and_its_steps_are_their_masked_json(job: JobRecord) -> None:
    same_masked(JobPayload(job=job.as_snapshot()))
    for step in job.steps:
        same_masked(StepPayload(step=step.as_snapshot(), outputs=job.outputs))


@given(text=texts, properties=json_objects, flag=st.booleans())
def test_the_other_masked_payloads_are_their_masked_json(
    text: str, properties: dict[str, JSONValue], flag: bool
) -> None:
    properties = {k: v for k, v in properties.items() if k not in ("level", "message")}
    fields = {k: v for k, v in properties.items() if k not in ("skill_id", "trace_id")}
    for payload in (
        Annotation(level=text, message=text, properties=properties),
        JobStatus(summary=text),
        JobBlocked(reason=text, environment=text),
        JobUnblocked(approved=flag, by=text),
        JobMessage(from_job=text, to_job=text, outputs=properties, result=text),
        SkillPayload(skill_id=text, trace_id=text, fields=fields),
        LogChunk(stream=text, lines=[text]),
    ):
        same_masked(payload)
