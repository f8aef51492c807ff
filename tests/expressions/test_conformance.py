"""Every case of conformance/expressions.json (nektos/act's test tables; see its README).

Where act is known to differ from GitHub the case carries ``expected_github``
(or a ``github_note``), and stax follows GitHub.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from runner.expressions import (
    EvalContext,
    ExpressionError,
    evaluate,
    interpolate,
    to_string,
)
from runner.expressions.template import rewrite_to_format

CONFORMANCE = Path(__file__).resolve().parent / "conformance"
DATA_FILE = CONFORMANCE / "expressions.json"

if not DATA_FILE.is_file() or not (CONFORMANCE / "hashfiles-testdata").is_dir():
    # Missing data is a broken checkout, never a reason to skip 534 cases.
    pytest.fail(f"conformance data missing from {CONFORMANCE}", pytrace=False)

DATA: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))

# Cases where act's answer is not GitHub's and stax follows GitHub:
# (extra contexts, GitHub's value, why).
_GITHUB_OVERRIDES: dict[str, tuple[dict[str, Any], Any, str]] = {
    # Marked in the data (github_note). act evaluates it against two empty maps.
    "secrets != env": (
        {"secrets": {}, "env": {}},
        True,
        "GitHub compares objects by reference, so two objects differ; act raises",
    ),
    # Not marked in the data. Both sides are missing properties, so null != null.
    # act's compareValues answers true for *any* operator when both sides are
    # null (its Invalid/Invalid branch); GitHub's AbstractEqual has null == null.
    "github.event.commits[0].author.username1 != github.event.commits[1].author.username2": (
        {},
        False,
        "null != null is false in GitHub (act returns true for every operator on two nulls)",
    ),
}


def _suite_cases() -> list[Any]:
    params = []
    for suite in DATA["suites"]:
        for index, case in enumerate(suite["cases"]):
            case_id = f"{suite['name']}-{case.get('name', 'case')}-{index}"
            params.append(pytest.param(suite, case, id=case_id))
    return params


def _same(actual: Any, expected: Any) -> bool:
    """Equality as the conformance file means it: numbers by value, bools never as numbers."""
    if isinstance(expected, dict) and set(expected) == {"$special"}:
        special = expected["$special"]
        if not isinstance(actual, float):
            return False
        if special == "NaN":
            return math.isnan(actual)
        return actual == (math.inf if special == "Infinity" else -math.inf)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and float(actual) == float(expected)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_same(actual[k], expected[k]) for k in expected)
        )
    return type(actual) is type(expected) and actual == expected


def _context(suite: dict[str, Any], tmp_path: Path) -> EvalContext:
    contexts = dict(suite["context"])
    workspace: str | None = None
    if "working_directory" in contexts:
        directory = contexts.pop("working_directory")
        # "(empty dir: ...)" means an empty workspace; otherwise a folder of the data.
        workspace = str(tmp_path) if directory.startswith("(") else str(CONFORMANCE / directory)
    job = contexts.get("job")
    status = job.get("status") if isinstance(job, dict) else None
    return EvalContext(contexts=contexts, job_status=status, workspace=workspace)


@pytest.mark.parametrize(("suite", "case"), _suite_cases())
def test_suite_case(suite: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> None:
    ctx = _context(suite, tmp_path)
    expression = case["expression"]
    if expression in _GITHUB_OVERRIDES:
        extra, expected, _why = _GITHUB_OVERRIDES[expression]
        ctx = EvalContext(contexts={**ctx.contexts, **extra}, job_status=ctx.job_status)
        assert _same(evaluate(expression, ctx), expected)
        return
    if "error" in case:
        with pytest.raises(ExpressionError) as info:
            evaluate(expression, ctx)
        assert info.value.message == case["error"]
        assert info.value.expression == expression
        return
    expected = case.get("expected_github", case["expected"])
    actual = evaluate(expression, ctx)
    assert _same(actual, expected), f"{expression!r} gave {actual!r}, expected {expected!r}"


def _interpolation_cases() -> list[Any]:
    section = DATA["interpolation"]
    return [
        pytest.param(section["context"], case, id=f"interpolation-{index}")
        for index, case in enumerate(section["cases"])
    ]


@pytest.mark.parametrize(("contexts", "case"), _interpolation_cases())
def test_interpolation_case(contexts: dict[str, Any], case: dict[str, Any]) -> None:
    template = case["template"]
    result = interpolate(template, EvalContext(contexts=contexts))
    # act's interpolation always yields a string; ours keeps the type of a lone
    # ${{ }}, so compare through to_string, and demand a str otherwise.
    assert to_string(result) == case["expected"]
    if not (template.startswith("${{") and template.endswith("}}") and template.count("${{") == 1):
        assert isinstance(result, str)


def _rewrite_cases() -> list[Any]:
    section = DATA["act_rewrite_to_format"]
    params = []
    for key, force in (("force_format_false", False), ("force_format_true", True)):
        for index, case in enumerate(section[key]):
            params.append(pytest.param(force, case, id=f"{key}-{index}"))
    return params


@pytest.mark.parametrize(("force", "case"), _rewrite_cases())
def test_rewrite_to_format_case(force: bool, case: dict[str, Any]) -> None:
    template, expected = case["template"], case["expected"]
    assert rewrite_to_format(template, force_format=force) == expected
    # And the rewritten expression means what the template means.
    ctx = EvalContext(contexts={})
    if expected.startswith("format("):
        assert evaluate(expected, ctx) == to_string(interpolate(template, ctx))
    elif expected.startswith("${{"):
        assert interpolate(expected, ctx) == interpolate(template, ctx)


def test_every_case_is_collected() -> None:
    suites = sum(len(suite["cases"]) for suite in DATA["suites"])
    assert suites + len(DATA["interpolation"]["cases"]) == 517
