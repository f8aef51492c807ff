"""Typed payloads: the engine's JSON forms survive decode + encode unchanged, keys in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from runner.config import load_settings
from runner.engine import RunRequest, WorkflowRun
from runner.engine.records import JobRecord, RunRecord, StepRecord
from runner.events.payload_json import (
    job_to_json,
    payload_from_json,
    payload_to_json,
    run_to_json,
    step_to_json,
)
from runner.events.payloads import JobPayload, LogChunk, RunPayload, StepPayload
from runner.events.sink import ListSink
from runner.events.types import Conclusion, EventType, Status
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


@given(run=runs, jobs_too=st.booleans())
def test_a_records_typed_snapshot_is_its_json_snapshot(run: RunRecord, jobs_too: bool) -> None:
    """What the reporter emits (the typed snapshot, encoded) is what snapshot() gives."""
    assert repr(run_to_json(run.as_snapshot(jobs=jobs_too))) == repr(run.snapshot(jobs=jobs_too))
    for job in run.jobs.values():
        assert repr(job_to_json(job.as_snapshot())) == repr(job.snapshot())
        for step in job.steps:
            assert repr(step_to_json(step.as_snapshot())) == repr(step.snapshot())


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
