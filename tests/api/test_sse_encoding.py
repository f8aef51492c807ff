"""The SSE encoder against the WHATWG parsing rules: whatever goes in comes back out."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.api.sse import comment, dumps, frame, parse_event_id, to_wire


def whatwg_parse(stream: str) -> list[dict[str, str]]:
    """The event stream interpretation of the HTML standard (9.2.6), for complete events."""
    events: list[dict[str, str]] = []
    data: list[str] = []
    event_type = ""
    last_id = ""
    for line in re.split(r"\r\n|\r|\n", stream):
        if line == "":
            if data:
                events.append(
                    {"data": "\n".join(data), "event": event_type or "message", "id": last_id}
                )
            data, event_type = [], ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            last_id = value
    return events


text = st.text(st.characters(blacklist_categories=["Cs"]))  # str from decoded bytes: no surrogates


@given(data=text, event=text, event_id=text)
def test_frames_parse_back_identically(data: str, event: str, event_id: str) -> None:
    encoded = frame(data, event=event, id=event_id)
    parsed = whatwg_parse(encoded)
    assert len(parsed) == 1
    assert parsed[0]["data"] == re.sub(r"\r\n|\r", "\n", data)
    clean_event = re.sub(r"[\r\n\0]", "", event)
    assert parsed[0]["event"] == (clean_event or "message")
    assert parsed[0]["id"] == re.sub(r"[\r\n\0]", "", event_id)


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | text,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=12,
    )
)
def test_json_payloads_survive_exactly(payload: object) -> None:
    parsed = whatwg_parse(frame(dumps(payload), event="x", id="1"))  # type: ignore[arg-type]
    assert json.loads(parsed[0]["data"]) == payload


def test_comments_are_invisible_and_cannot_break_framing() -> None:
    stream = comment("heart\nbeat") + frame("{}", event="ping")
    assert whatwg_parse(stream) == [{"data": "{}", "event": "ping", "id": ""}]


def test_wire_bytes_never_fail_on_a_lone_surrogate() -> None:
    assert to_wire(frame(dumps({"x": "\ud800"}), event="e")).startswith(b"event: e\n")
    assert to_wire("caf\u00e9") == "café".encode()


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (None, None),
        ("", None),
        ("12", (12, None)),
        ("12.3", (12, 3)),
        (" 7 ", (7, None)),
    ],
)
def test_event_ids(raw: str | None, parsed: tuple[int, int | None] | None) -> None:
    assert parse_event_id(raw) == parsed


@pytest.mark.parametrize("raw", ["x", "1.", ".1", "1.2.3", "-1", "1e3"])
def test_bad_event_ids(raw: str) -> None:
    with pytest.raises(ValueError, match="invalid event id"):
        parse_event_id(raw)


@given(lines=st.lists(text, max_size=8))
def test_log_lines_encode_one_by_one_exactly(lines: list[str]) -> None:
    from runner.api.runner_events.projection import project
    from runner.events.types import Event, EventType

    event = Event(
        type=EventType.STEP_LOG,
        run_id="r1",
        job_id="j",
        step_number=2,
        seq=9,
        data={"stream": "stderr", "lines": list(lines)},
    )
    wire = project(event)
    assert [json.loads(w.data) for w in wire] == [
        {"runId": "r1", "jobId": "j", "stepNumber": 2, "line": f"{line}\n", "stream": "stderr"}
        for line in lines
    ]
    assert [w.id for w in wire] == [f"9.{i}" for i in range(len(lines))]
