"""Whatever text arrives, parse_workflow answers with a Workflow or WorkflowError(s), never a crash."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.errors import WorkflowError
from runner.model import Workflow, parse_action, parse_workflow

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

KEYS = [
    "name", "on", "jobs", "env", "defaults", "run", "shell", "concurrency", "group",
    "permissions", "runs-on", "needs", "steps", "uses", "with", "if", "id", "strategy",
    "matrix", "include", "exclude", "fail-fast", "max-parallel", "timeout-minutes",
    "continue-on-error", "outputs", "inputs", "type", "options", "default", "required",
    "workflow_dispatch", "workflow_call", "push", "schedule", "cron", "branches", "a", "b",
    "skill", "secrets", "environment", "services", "container", "value", "<<",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "push", "ubuntu-latest", "a", "b", "./x", "actions/checkout@v4", "docker://x",
            "o/r@v", "${{ matrix.a }}", "${{", "${{ 1 == }}", "success() &&", "inherit",
            "choice", "boolean", "string", "read", "echo hi", "",
        ]
    ),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)

VALID = """\
on: {push: {branches: [main]}, workflow_dispatch: {inputs: {x: {type: choice, options: [a]}}}}
env: &e {A: 1}
jobs:
  build:
    runs-on: ubuntu-latest
    strategy: {matrix: {os: [a, b], include: [{os: c}]}}
    steps:
      - uses: actions/checkout@v4
      - id: s
        run: echo ${{ matrix.os }}
        env: *e
  test:
    needs: build
    uses: ./.github/workflows/t.yml
    with: {a: 1}
"""


def _parse(text: str) -> None:
    try:
        result = parse_workflow(text, "fuzz.yml")
    except WorkflowError as exc:
        assert str(exc)
    else:
        assert isinstance(result, Workflow)


@FUZZ
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    _parse(text)


@FUZZ
@given(DOCUMENTS)
def test_arbitrary_yaml_documents(document: dict[str, object]) -> None:
    _parse(yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_arbitrary_jobs(job: dict[str, object]) -> None:
    _parse(yaml.safe_dump({"on": "push", "jobs": {"j": job, "k": {"needs": "j"}}}))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 3), st.text(max_size=3)), max_size=4))
def test_mutated_valid_workflow(edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut :]
    _parse(text)


@FUZZ
@given(DOCUMENTS)
def test_arbitrary_action_documents(document: dict[str, object]) -> None:
    try:
        parse_action(yaml.safe_dump({"runs": document}), "action.yml")
    except WorkflowError as exc:
        assert str(exc)
