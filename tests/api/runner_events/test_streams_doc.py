"""docs/streams.md says what /api/events sends: its table lists the fields each event's
data has, and what stax adds to the seed's seven payloads is said, field by field."""

from __future__ import annotations

import json
import re
from pathlib import Path

from runner.api.runner_events.projection import project
from runner.events.types import Event, EventType

DOC = Path(__file__).resolve().parents[3] / "docs" / "streams.md"
# Seed 003's event table: the payload of each of its seven types.
SEED_003 = {
    "run.started": {"runId", "run"},
    "run.completed": {"runId", "run"},
    "job.started": {"runId", "jobId", "job"},
    "job.completed": {"runId", "jobId", "job"},
    "step.started": {"runId", "jobId", "stepNumber", "step"},
    "step.completed": {"runId", "jobId", "stepNumber", "step"},
    "step.log": {"runId", "jobId", "stepNumber", "line"},
}
# One canonical event of each type, with every field the engine may put in its data.
SAMPLES: dict[EventType, dict[str, object]] = {
    EventType.RUN_STARTED: {"run": {"id": "r"}},
    EventType.RUN_COMPLETED: {"run": {"id": "r"}},
    EventType.JOB_QUEUED: {"job": {"id": "a"}},
    EventType.JOB_STARTED: {"job": {"id": "a"}},
    EventType.JOB_BLOCKED: {"reason": "approval", "environment": "prod"},
    EventType.JOB_UNBLOCKED: {"approved": True, "by": "api"},
    EventType.JOB_STATUS: {"summary": "step 1/1: x"},
    EventType.JOB_MESSAGE: {"from_job": "a", "to_job": "b", "outputs": {}, "result": "success"},
    EventType.JOB_COMPLETED: {"job": {"id": "a"}},
    EventType.STEP_STARTED: {"step": {"number": 1}},
    EventType.STEP_LOG: {"stream": "stdout", "lines": ["x"]},
    EventType.STEP_ANNOTATION: {"level": "error", "message": "m", "file": "f", "line": 1},
    EventType.STEP_COMPLETED: {"step": {"number": 1}, "outputs": {"o": "1"}},
}


def _event(kind: EventType) -> Event:
    """A canonical event of `kind` as the engine makes it (ids where the kind has them)."""
    job = None if kind.value.startswith("run.") else "a"
    step = 1 if kind.value.startswith("step.") else None
    return Event(
        seq=7, ts=1, type=kind, run_id="r", job_id=job, step_number=step, data=SAMPLES[kind]
    )  # type: ignore[arg-type]


def _events_table() -> dict[str, tuple[set[str], set[str], bool]]:
    """canonical type -> (required fields, optional fields, open-ended) from the doc."""
    text = DOC.read_text()
    section = text[text.index("## `GET /api/events`") : text.index("## Execution threads")]
    rows: dict[str, tuple[set[str], set[str], bool]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 4 or not re.match(r"^[a-z]+\.[a-z]+", cells[0]):
            continue
        fields = re.search(r"`\{([^}]*)\}`", cells[2])
        assert fields is not None, line
        names = [f.strip() for f in fields.group(1).split(",")]
        required = {n for n in names if n and not n.endswith("?") and "…" not in n}
        optional = {n[:-1] for n in names if n.endswith("?")}
        for kind in re.split(r"\s*/\s*", cells[0]):
            rows[kind] = (required, optional, any("…" in n for n in names))
    return rows


def test_the_api_events_table_lists_the_fields_each_event_has() -> None:
    table = _events_table()
    for kind in SAMPLES:
        (wire,) = project(_event(kind))
        keys = set(json.loads(wire.data))
        required, optional, open_ended = table[kind.value]
        assert required <= keys, (kind, required - keys)
        if not open_ended:
            assert keys <= required | optional, (kind, keys - required - optional)


def test_what_stax_adds_to_the_seeds_payloads_is_said() -> None:
    """Extra fields are fine for a seed client; the doc must not claim there are none."""
    text = DOC.read_text()
    section = text[text.index("## `GET /api/events`") : text.index("## Execution threads")]
    assert "exactly the seed's payloads" not in section
    prose = section[section.index("The seed's seven event types") :][:800]
    for kind, seed_fields in SEED_003.items():
        added = set(json.loads(project(_event(EventType(kind)))[0].data)) - seed_fields
        for field in added:
            assert f"`{field}`" in prose, (kind, field)
            assert f"`{kind}` adds `{field}`" in prose, (kind, field)
