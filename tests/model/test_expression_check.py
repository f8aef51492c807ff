"""Load-time syntax checks of ${{ }}: they need runner.expressions (find_expressions, parse)."""

from __future__ import annotations

import importlib

import pytest

from runner.errors import SourcePos, WorkflowError, WorkflowErrors
from runner.model import parse_action, parse_workflow


def _language_ready() -> bool:
    try:
        module = importlib.import_module("runner.expressions")
    except ImportError:
        return False
    return callable(getattr(module, "parse", None)) and callable(
        getattr(module, "find_expressions", None)
    )


pytestmark = pytest.mark.skipif(
    not _language_ready(), reason="runner.expressions has no parse/find_expressions yet"
)


def _errors(text: str) -> list[WorkflowError]:
    with pytest.raises(WorkflowErrors) as info:
        parse_workflow(text, "ci.yml")
    return info.value.errors


def _job(steps: str, *, extra: str = "") -> str:
    return (
        "on: push\njobs:\n  a:\n    runs-on: x\n"
        + extra
        + "    steps:\n"
        + "".join(f"      {line}\n" for line in steps.splitlines())
    )


def _where(errors: list[WorkflowError]) -> list[tuple[SourcePos | None, str, str]]:
    return [(e.pos, e.where, e.message.split(": ", 1)[0]) for e in errors]


def test_valid_expressions_pass() -> None:
    text = _job(
        "- run: echo ${{ matrix.os }} and ${{ format('{0}}}', 'x') }}\n"
        "  if: github.event_name == 'push' && success()\n"
        "  env:\n    A: ${{ toJSON(github) }}",
        extra="    if: ${{ always() }}\n",
    )
    parse_workflow(text, "ci.yml")


def test_error_in_a_plain_scalar_points_at_the_bad_character() -> None:
    # "      - run: echo ${{ 1 == }}": "1 ==" starts at column 23 and ends at 27
    (error,) = _errors(_job("- run: echo ${{ 1 == }}"))
    assert error.where == "jobs.a.steps[0].run"
    assert error.message.startswith('invalid expression "1 ==": ')
    assert error.pos == SourcePos(path="ci.yml", line=6, col=27)


def test_error_in_a_quoted_scalar() -> None:
    # "      - run: 'echo ${{ a.[ }}'": the "[" is at column 26
    (error,) = _errors(_job("- run: 'echo ${{ a.[ }}'"))
    assert error.message.startswith('invalid expression "a.[": ')
    assert error.pos == SourcePos(path="ci.yml", line=6, col=26)


def test_error_in_a_literal_block_gets_its_own_line() -> None:
    # line 8 is "            echo ${{ (1 }}": "(1" spans columns 22-23
    (error,) = _errors(_job("- run: |\n    echo one\n      echo ${{ (1 }}"))
    assert error.where == "jobs.a.steps[0].run"
    assert error.pos == SourcePos(path="ci.yml", line=8, col=24)


def test_error_in_a_folded_block_is_at_the_block() -> None:
    (error,) = _errors(_job("- run: >\n    echo ${{ (1 }}"))
    assert error.pos == SourcePos(path="ci.yml", line=6, col=14)


def test_unclosed_expression_is_reported_at_its_start() -> None:
    (error,) = _errors(_job("- run: echo ${{ github.sha"))
    assert error.where == "jobs.a.steps[0].run"
    assert error.message.startswith("invalid expression: ")
    assert error.pos == SourcePos(path="ci.yml", line=6, col=19)


def test_if_without_braces_is_parsed_as_an_expression() -> None:
    errors = _errors(_job("- run: x\n  if: success( &&", extra="    if: github.ref ==\n"))
    assert _where(errors) == [
        (
            SourcePos(path="ci.yml", line=5, col=22),
            "jobs.a.if",
            'invalid expression "github.ref =="',
        ),
        (
            SourcePos(path="ci.yml", line=8, col=22),
            "jobs.a.steps[0].if",
            'invalid expression "success( &&"',
        ),
    ]


def test_aliased_values_are_reported_once() -> None:
    text = "on: push\nenv:\n  A: &bad ${{ 1 == }}\n  B: *bad\njobs: {a: {runs-on: x, steps: [run: x]}}\n"
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0].where == "env.A"


def test_every_string_is_checked_even_unknown_places() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: ${{ matrix.[ }}\n    steps: [run: x]\n"
    (error,) = _errors(text)
    assert error.where == "jobs.a.runs-on"


def test_actions_are_checked_too() -> None:
    text = "runs:\n  using: composite\n  steps:\n    - run: echo ${{ == }}\n      shell: bash\n"
    with pytest.raises(WorkflowErrors) as info:
        parse_action(text, "action.yml")
    (error,) = info.value.errors
    assert error.where == "runs.steps[0].run"
    assert error.pos is not None
    assert error.pos.line == 4
