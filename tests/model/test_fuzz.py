"""Whatever text arrives, parse_workflow answers with a Workflow or WorkflowError(s), never a crash."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, TypeVar

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.errors import WorkflowError
from runner.model import Workflow, expand_matrix, parse_action, parse_workflow

if TYPE_CHECKING:
    from collections.abc import Callable

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Drawing nested documents costs Hypothesis more than parsing them does.
STRUCTURED = settings(FUZZ, max_examples=80)
T = TypeVar("T")

KEYS = [
    "name",
    "on",
    "jobs",
    "env",
    "defaults",
    "run",
    "shell",
    "concurrency",
    "group",
    "permissions",
    "runs-on",
    "needs",
    "steps",
    "uses",
    "with",
    "if",
    "id",
    "strategy",
    "matrix",
    "include",
    "exclude",
    "fail-fast",
    "max-parallel",
    "timeout-minutes",
    "continue-on-error",
    "outputs",
    "inputs",
    "type",
    "options",
    "default",
    "required",
    "workflow_dispatch",
    "workflow_call",
    "push",
    "schedule",
    "cron",
    "branches",
    "a",
    "b",
    "skill",
    "secrets",
    "environment",
    "services",
    "container",
    "value",
    "<<",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "push",
            "ubuntu-latest",
            "a",
            "b",
            "./x",
            "actions/checkout@v4",
            "docker://x",
            "o/r@v",
            "${{ matrix.a }}",
            "${{",
            "${{ 1 == }}",
            "success() &&",
            "inherit",
            "choice",
            "boolean",
            "string",
            "read",
            "echo hi",
            "",
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


def _attempt(fn: Callable[[], T]) -> T | WorkflowError:
    try:
        return fn()
    except WorkflowError as exc:
        return exc


def _parse(text: str) -> None:
    outcome = _attempt(lambda: parse_workflow(text, "fuzz.yml"))
    if isinstance(outcome, WorkflowError):
        assert str(outcome)
    else:
        assert isinstance(outcome, Workflow)


@FUZZ
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    _parse(text)


@STRUCTURED
@given(DOCUMENTS)
def test_arbitrary_yaml_documents(document: dict[str, object]) -> None:
    _parse(yaml.safe_dump(document, allow_unicode=True))


@STRUCTURED
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_arbitrary_jobs(job: dict[str, object]) -> None:
    _parse(yaml.safe_dump({"on": "push", "jobs": {"j": job, "k": {"needs": "j"}}}))


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID)), st.integers(0, 3), st.text(max_size=3)), max_size=4
    )
)
def test_mutated_valid_workflow(edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut :]
    _parse(text)


@STRUCTURED
@given(DOCUMENTS)
def test_arbitrary_action_documents(document: dict[str, object]) -> None:
    outcome = _attempt(lambda: parse_action(yaml.safe_dump({"runs": document}), "action.yml"))
    assert str(outcome) if isinstance(outcome, WorkflowError) else outcome.path == "action.yml"


@STRUCTURED
@given(st.dictionaries(st.sampled_from(["a", "b", "include", "exclude"]), VALUES, max_size=4))
def test_expand_matrix_raises_only_workflow_error(matrix: dict[str, object]) -> None:
    outcome = _attempt(lambda: expand_matrix(matrix))  # type: ignore[arg-type]
    if isinstance(outcome, WorkflowError):
        assert outcome.message
    else:
        assert 0 < len(outcome) <= 256


@FUZZ
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=3).filter(lambda k: k not in ("include", "exclude")),
        st.lists(st.integers(0, 3), min_size=1, max_size=3),
        min_size=1,
        max_size=4,
    )
)
def test_vectors_expand_to_the_product_in_order(vectors: dict[str, list[int]]) -> None:
    expected = [
        dict(zip(vectors, values, strict=True)) for values in itertools.product(*vectors.values())
    ]
    assert expand_matrix(vectors) == expected  # type: ignore[arg-type]
