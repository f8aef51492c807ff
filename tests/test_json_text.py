"""JSON out never holds NaN or Infinity; JSON in is refused when it would (runner/json_text)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from runner import json_text
from runner.events.store import EventStore
from runner.events.types import Event, EventType

RUNNER = Path(__file__).resolve().parents[1] / "runner"


def strict_json(text: str) -> Any:
    """Parse as a browser's JSON.parse would: NaN and Infinity are not JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, {"a": [1, math.nan]}])
def test_dumps_refuses_non_finite_numbers(value: object) -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        json_text.dumps(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"n": NaN}', "NaN is not a JSON number"),
        ('{"n": -Infinity}', "-Infinity is not a JSON number"),
        ('{"n": 1e400}', "a number is out of range (not a finite double)"),
        ('{"n": [-1.5e999]}', "a number is out of range (not a finite double)"),
        ('{"n": 1' + "0" * 400 + ".5}", "a number is out of range (not a finite double)"),
        ('{"n": 9223372036854775808}', "the integer 9223372036854775808 is out of range"),
        ('{"n": -9223372036854775809}', "out of range (64 bits)"),
        ('{"n": ' + "9" * 5000 + "}", "an integer is out of range (64 bits)"),
        ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),
        ('{"a": ' * 65 + "1" + "}" * 65, "nested deeper than 64 levels"),
    ],
)
def test_loads_refuses_what_json_cannot_carry(text: str, message: str) -> None:
    with pytest.raises(json_text.JSONValueError, match=re.escape(message)):
        json_text.loads(text)


@given(
    st.recursive(
        st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(alphabet='[]{}"\\\\a\u2028'),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=40,
    )
)
def test_the_depth_bound_is_exact_whatever_the_strings_hold(value: Any) -> None:
    def depth(item: Any) -> int:
        if isinstance(item, dict | list):
            children = item.values() if isinstance(item, dict) else item
            return 1 + max(map(depth, children), default=0)
        return 0

    for limit in (1, 2, 3, 5):
        text = json.dumps(value, ensure_ascii=False)
        assert json_text._deeper_than(text.encode(), limit) == (depth(value) > limit)


def test_loads_takes_ordinary_documents_and_tells_syntax_from_values() -> None:
    assert json_text.loads(b'{"a": [1, 2.5, -9223372036854775808, "x"]}') == {
        "a": [1, 2.5, -(2**63), "x"]
    }
    assert json_text.loads("[" * 64 + "]" * 64) is not None
    with pytest.raises(json_text.JSONTextError) as info:
        json_text.loads("{oops")
    assert not isinstance(info.value, json_text.JSONValueError)


def test_no_module_encodes_json_but_through_json_text() -> None:
    """The guard: `json.dumps` anywhere else would let `Infinity` out again."""
    offenders = [
        f"{path.relative_to(RUNNER.parent)}:{number}"
        for path in sorted(RUNNER.rglob("*.py"))
        if path.name != "json_text.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bjson\.dumps?\(|JSONEncoder", line)
    ]
    assert offenders == []


async def test_the_store_keeps_an_event_with_a_non_finite_number_as_null(tmp_path: Path) -> None:
    """Refused at every input, a non-finite number could still be computed by a workflow
    (fromJSON): the writer stores and publishes null for it, and goes on."""
    published: list[Event] = []
    store = EventStore(tmp_path / "data", publish=published.extend)
    store.open()
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(store.run)
            bad = {"job": {"id": "a", "matrix": {"x": math.inf, "y": [math.nan, 1]}}}
            for kind, data in ((EventType.JOB_STARTED, bad), (EventType.JOB_STATUS, {"n": 1})):
                await store.emit(Event(seq=0, ts=1, type=kind, run_id="r1", job_id="a", data=data))
            store.close_writer()
        assert [e.data for e in published] == [
            {"job": {"id": "a", "matrix": {"x": None, "y": [None, 1]}}},
            {"n": 1},
        ]
        stored = await store.read_after(0, limit=10)
        assert [e.data for e in stored] == [e.data for e in published]
    finally:
        store.close()


def test_stax_run_json_stays_json_when_a_matrix_computes_infinity(tmp_path: Path) -> None:
    (tmp_path / "m.yml").write_text(
        textwrap.dedent(
            """
            on: push
            jobs:
              a:
                runs-on: ubuntu-latest
                strategy:
                  matrix: ${{ fromJSON('{"x":[1e400, 2]}') }}
                steps:
                  - run: echo "${{ matrix.x }}"
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "runner", "run", "m.yml", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    events = [strict_json(line) for line in result.stdout.splitlines()]
    matrices = [e["data"]["job"].get("matrix") for e in events if e["type"] == "job.completed"]
    # The engine hands on a user value that is not a finite number as its name.
    assert sorted(matrices, key=str) == [{"x": "Infinity"}, {"x": 2}]
    assert "Traceback" not in result.stderr


def test_a_workflow_with_a_non_finite_number_does_not_validate() -> None:
    from runner.errors import WorkflowErrors
    from runner.model import parse_workflow

    text = textwrap.dedent(
        """\
        on:
          workflow_dispatch:
            inputs:
              n: {type: number, default: 1e400}
        jobs:
          a:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                x: [1, .inf, -.Inf, .nan]
                y: [!!float .NaN]
            steps:
              - run: echo "${{ matrix.x }}"
        """
    )
    with pytest.raises(WorkflowErrors) as info:
        parse_workflow(text, "ci.yml")
    assert [str(e) for e in info.value.errors] == [
        'ci.yml:4:34: on.workflow_dispatch.inputs.n.default: "1e400" is not a finite number '
        "(quote it to mean the text)",
        'ci.yml:10:16: jobs.a.strategy.matrix.x[1]: ".inf" is not a finite number '
        "(quote it to mean the text)",
        'ci.yml:10:22: jobs.a.strategy.matrix.x[2]: "-.Inf" is not a finite number '
        "(quote it to mean the text)",
        'ci.yml:10:29: jobs.a.strategy.matrix.x[3]: ".nan" is not a finite number '
        "(quote it to mean the text)",
        'ci.yml:11:13: jobs.a.strategy.matrix.y[0]: ".NaN" is not a finite number '
        "(quote it to mean the text)",
    ]
    quoted = text.replace("1e400", "'1e400'").replace("[1, .inf, -.Inf, .nan]", "['.inf']")
    quoted = quoted.replace("[!!float .NaN]", "[1.5]")
    parse_workflow(quoted.replace("type: number", "type: string"), "ci.yml")


@pytest.mark.parametrize("value", ["1e400", "-1e999", "nan", "inf"])
def test_a_non_finite_input_on_the_command_line_is_a_usage_error(
    tmp_path: Path, value: str
) -> None:
    (tmp_path / "w.yml").write_text(
        "on:\n  workflow_dispatch:\n    inputs:\n      n: {type: number, default: 1}\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ inputs.n }}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "runner", "run", "w.yml", "--input", f"n={value}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"stax: input 'n': expected a finite number, got '{value}'\n"
