"""Templates with ${{ }} parts, and if: conditions."""

from __future__ import annotations

from typing import Any

import pytest

from runner.expressions import (
    EvalContext,
    ExpressionError,
    contains_expression,
    evaluate_condition,
    find_expressions,
    interpolate,
    interpolate_tree,
    named_values,
)
from runner.expressions.template import rewrite_to_format

CTX = EvalContext(
    contexts={
        "env": {"NAME": "world", "COUNT": "3"},
        "github": {"event": {"number": 7, "labels": ["a", "b"]}, "ref": "refs/heads/main"},
        "steps": {"build": {"outcome": "failure"}},
    },
    job_status="success",
)


def test_text_without_expressions_is_returned_unchanged() -> None:
    for text in ("plain", "", "$ {{ x }}", "${ x }", "{{ x }}", "}}"):
        assert interpolate(text, CTX) is text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${{ github.event.number }}", 7),
        ("${{github.event.number}}", 7),
        ("${{   github.event.labels   }}", ["a", "b"]),
        ("${{ github.event }}", {"number": 7, "labels": ["a", "b"]}),
        ("${{ null }}", None),
        ("${{ 1 == 1 }}", True),
        ("${{ 1.5 }}", 1.5),
    ],
)
def test_a_lone_expression_keeps_its_type(template: str, expected: Any) -> None:
    result = interpolate(template, CTX)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello ${{ env.NAME }}!", "Hello world!"),
        (" ${{ github.event.number }} ", " 7 "),  # text around it, even blank, makes a string
        ("${{ github.event.number }}\n", "7\n"),
        ("${{ 1 }}${{ 2.50 }}", "12.5"),
        (
            "${{ null }}|${{ true }}|${{ github.event }}|${{ github.event.labels }}",
            "|true|Object|Array",
        ),
        ("${{ 12345678901234567890 }} items", "1.23456789012346E+19 items"),
        ("a ${{ '${{' }} b", "a ${{ b"),
        ("${{ '}}' }} and ${{ 'x }} y' }}", "}} and x }} y"),
        ("${{ 'it''s }}' }}!", "it's }}!"),
    ],
)
def test_mixed_templates_become_strings(template: str, expected: str) -> None:
    assert interpolate(template, CTX) == expected


def test_find_expressions_reports_text_and_offsets() -> None:
    template = "run ${{ env.NAME }} and ${{ format('{0}}}', '}}') }}."
    assert find_expressions(template) == [
        ("env.NAME", 4),
        ("format('{0}}}', '}}')", 24),
    ]
    assert find_expressions("nothing here") == []


def test_unclosed_expression_is_an_error_at_its_start() -> None:
    for template, offset in (("a ${{ b", 2), ("${{ 'x }}", 0), ("${{ 1 }} ${{ 2 }", 9)):
        with pytest.raises(ExpressionError) as info:
            find_expressions(template)
        assert info.value.offset == offset
        assert info.value.expression == template
        with pytest.raises(ExpressionError):
            interpolate(template, CTX)


def test_errors_inside_a_part_point_into_that_part() -> None:
    with pytest.raises(ExpressionError) as info:
        interpolate("x ${{ env.NAME == }} y", CTX)
    assert info.value.expression == "env.NAME =="
    assert info.value.offset == 11


def test_empty_part_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="An expression was expected"):
        interpolate("a ${{ }} b", CTX)


def test_contains_expression() -> None:
    assert contains_expression("echo ${{ x }}")
    assert contains_expression("${{")
    assert not contains_expression("echo $HOME {{ x }}")


def test_rewrite_to_format_escapes_literal_text() -> None:
    template = "it's {x} ${{ env.NAME }}"
    rewritten = rewrite_to_format(template, force_format=True)
    assert rewritten == "format('it''s {{x}} {0}', env.NAME)"
    assert interpolate("${{ " + rewritten + " }}", CTX) == "it's {x} world"


@pytest.mark.parametrize(
    ("condition", "status", "expected"),
    [
        ("", "success", True),
        ("   ", "failure", False),
        ("true", "success", True),
        ("true", "failure", False),  # implicit success() && (true)
        ("${{ true }}", "failure", False),
        ("always()", "failure", True),
        ("failure()", "failure", True),
        ("failure()", "success", False),
        ("cancelled()", "cancelled", True),
        ("${{ always() && false }}", "failure", False),
        ("!cancelled()", "failure", True),
        ("github.ref == 'refs/heads/main'", "success", True),
        ("github.ref == 'refs/heads/main'", "failure", False),
        ("steps.build.outcome == 'failure' && always()", "failure", True),
        ("${{ false }}", "success", False),
        ("  ${{ false }}  \n", "success", False),  # surrounding whitespace is ignored
        ("${{ false }} && ${{ false }}", "success", True),  # GitHub: a non-empty string
        ("${{ false }} && x", "success", True),
        ("${{ false }} && x", "failure", False),
        ("contains(github.event.labels, 'b')", "success", True),
        ("0", "success", False),
        ("'0'", "success", True),
        ("github.missing", "success", False),
    ],
)
def test_evaluate_condition(condition: str, status: str, expected: bool) -> None:
    ctx = EvalContext(contexts=CTX.contexts, job_status=status)
    assert evaluate_condition(condition, ctx) is expected


def test_condition_status_function_in_a_mixed_template_disables_the_implicit_check() -> None:
    ctx = EvalContext(contexts=CTX.contexts, job_status="failure")
    assert evaluate_condition("${{ always() }} and more", ctx) is True


def test_condition_needs_a_job_status_when_it_checks_status() -> None:
    no_status = EvalContext(contexts=CTX.contexts)
    with pytest.raises(ExpressionError, match=r"success\(\) is not available here"):
        evaluate_condition("github.ref", no_status)
    assert evaluate_condition("always() && github.ref", no_status) is True


def test_condition_errors() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_condition("github.ref ==", CTX)
    assert info.value.expression == "github.ref =="
    with pytest.raises(ExpressionError) as info:
        evaluate_condition("ok ${{ 1 + }}", CTX)
    assert info.value.expression == "1 +"


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        pytest.param(
            {"v": "${{ fromJSON('[1, 2]') }}"}, {"v": [1, 2]}, id="a value keeps its type"
        ),
        pytest.param(
            {"include": [{"tag": "${{ env.NAME }}-build"}]},
            {"include": [{"tag": "world-build"}]},
            id="inside include entries",
        ),
        pytest.param(
            {"include": "${{ fromJSON('[{\"a\": 1}]') }}"},
            {"include": [{"a": 1}]},
            id="include itself",
        ),
        pytest.param({"${{ env.NAME }}": ["x"]}, {"world": ["x"]}, id="a key"),
        pytest.param(
            {"a": 1, "${{ insert }}": "${{ fromJSON('{\"b\": 2}') }}", "c": 3},
            {"a": 1, "b": 2, "c": 3},
            id="insert merges a mapping",
        ),
        pytest.param(
            {"${{insert}}": {"k": "${{ env.COUNT }}"}}, {"k": "3"}, id="insert of a literal mapping"
        ),
        pytest.param(
            ["a", '${{ fromJSON(\'["b", "c"]\') }}', ["d"]],
            ["a", "b", "c", ["d"]],
            id="a list item yielding a list is spliced",
        ),
    ],
)
def test_interpolate_tree_evaluates_every_form_github_allows(tree: Any, expected: Any) -> None:
    assert interpolate_tree(tree, CTX) == expected


def test_interpolate_tree_insert_needs_a_mapping() -> None:
    with pytest.raises(ExpressionError, match="must be given a mapping"):
        interpolate_tree({"${{ insert }}": "${{ fromJSON('[1]') }}"}, CTX)


def test_named_values_lists_the_contexts_a_template_reads() -> None:
    assert named_values("a ${{ Matrix.os }} ${{ needs.x.outputs.y || env.Z }}") == {
        "matrix",
        "needs",
        "env",
    }
