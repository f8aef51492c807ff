"""Lexer and parser: tokens, precedence, tree shapes, errors with offsets, limits."""

from __future__ import annotations

import pytest

from runner.expressions import ExpressionError, parse
from runner.expressions.lexer import TokenKind, find_expression_end, tokenize
from runner.expressions.nodes import (
    And,
    Call,
    Compare,
    Constant,
    ContextRef,
    Group,
    Index,
    Not,
    Or,
    Property,
    Wildcard,
    calls_status_function,
)
from runner.expressions.parser import MAX_DEPTH, MAX_LENGTH


def kinds(text: str) -> list[TokenKind]:
    return [token.kind for token in tokenize(text)]


def test_tokens_of_a_typical_condition() -> None:
    assert kinds("github.ref == 'refs/heads/main' && !cancelled()") == [
        TokenKind.NAME,
        TokenKind.DOT,
        TokenKind.NAME,
        TokenKind.EQ,
        TokenKind.STRING,
        TokenKind.AND,
        TokenKind.NOT,
        TokenKind.NAME,
        TokenKind.LPAREN,
        TokenKind.RPAREN,
        TokenKind.END,
    ]


def test_word_after_dot_is_a_property_even_if_it_is_a_literal_word() -> None:
    tree = parse("steps.null.true").body
    assert tree == Property(
        offset=11,
        target=Property(offset=6, target=ContextRef(offset=0, name="steps"), name="null"),
        name="true",
    )


def test_hyphens_belong_to_names() -> None:
    tree = parse("steps.id-with-hyphens.outputs.foo-bar").body
    assert isinstance(tree, Property)
    assert tree.name == "foo-bar"


def test_dot_starts_a_number_where_an_operand_may_start() -> None:
    assert parse(".5").body == Constant(offset=0, value=0.5)
    assert parse("(.5)").body == Group(offset=0, inner=Constant(offset=1, value=0.5))
    assert kinds("a.b")[1] is TokenKind.DOT


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("711", 711),
        ("-9.2", -9.2),
        ("0xff", 255),
        ("0xffffffff", -1),  # .NET reads hex as the bit pattern of an Int32
        ("0o17", 15),
        ("-2.99e-2", -0.0299),
        ("1e3", 1000),
        ("+5", 5),
        ("1.", 1),
        ("'It''s open source!'", "It's open source!"),
        ("''", ""),
        ("null", None),
        ("true", True),
        ("false", False),
        ("-Infinity", float("-inf")),
        ("Infinity", float("inf")),
    ],
)
def test_literals(text: str, value: object) -> None:
    node = parse(text).body
    assert isinstance(node, Constant)
    assert node.value == value
    assert type(node.value) is type(value)


def test_integral_number_literals_are_ints_and_others_floats() -> None:
    assert type(parse("1.0").body.value) is int  # type: ignore[union-attr]
    assert type(parse("1.5").body.value) is float  # type: ignore[union-attr]
    assert type(parse("1e300").body.value) is float  # type: ignore[union-attr]


def test_literal_words_are_case_sensitive() -> None:
    assert parse("True").body == ContextRef(offset=0, name="True")
    assert parse("NULL").body == ContextRef(offset=0, name="NULL")


def test_precedence_or_below_and_below_equality_below_comparison_below_not() -> None:
    tree = parse("a || b && !c == d < e").body
    assert isinstance(tree, Or)
    left, right = tree.operands
    assert left == ContextRef(offset=0, name="a")
    assert isinstance(right, And)
    b, eq = right.operands
    assert b == ContextRef(offset=5, name="b")
    assert isinstance(eq, Compare)
    assert eq.op == "=="
    assert isinstance(eq.left, Not)
    assert isinstance(eq.right, Compare)
    assert eq.right.op == "<"


def test_comparisons_associate_to_the_left() -> None:
    tree = parse("1 < 2 < 3").body
    assert isinstance(tree, Compare)
    assert isinstance(tree.left, Compare)
    assert tree.right == Constant(offset=8, value=3)


def test_and_or_chains_are_flattened() -> None:
    tree = parse("a && b && c && d").body
    assert isinstance(tree, And)
    assert len(tree.operands) == 4


def test_grouping_overrides_precedence() -> None:
    tree = parse("(a || b) && c").body
    assert isinstance(tree, And)
    assert isinstance(tree.operands[0], Group)
    assert isinstance(tree.operands[0].inner, Or)


def test_index_property_and_wildcards() -> None:
    assert parse("a[*]").body == Wildcard(offset=1, target=ContextRef(offset=0, name="a"))
    assert parse("a.*").body == Wildcard(offset=2, target=ContextRef(offset=0, name="a"))
    tree = parse("github['event'].commits[0]").body
    assert isinstance(tree, Index)
    assert tree.index == Constant(offset=24, value=0)
    assert isinstance(tree.target, Property)
    assert isinstance(tree.target.target, Index)


def test_call_names_are_case_insensitive_and_kept_as_spelled() -> None:
    tree = parse("fromJson('{}')").body
    assert isinstance(tree, Call)
    assert (tree.name, tree.spelled) == ("fromjson", "fromJson")
    assert isinstance(parse("TOJSON(x)").body, Call)


def test_calls_can_be_dereferenced_and_indexed() -> None:
    assert isinstance(parse("fromJSON('[1]')[0]").body, Index)
    assert isinstance(parse("(fromJSON('{}')).a").body, Property)


def test_status_function_detection_sees_nested_calls() -> None:
    assert calls_status_function(parse("always()"))
    assert calls_status_function(parse("github.x && (format('{0}', failure()) == 'x')"))
    assert not calls_status_function(parse("github.event_name == 'push'"))


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "An expression was expected", 0),
        ("1 +", "Unexpected symbol: '+'", 2),
        ("(1", "Unexpected end of expression", 2),
        ("1)", "Unexpected symbol: ')'", 1),
        ("a.", "Unexpected end of expression", 2),
        ("a.1", "Unexpected symbol: '1'", 2),
        ("a b", "Unexpected symbol: 'b'", 2),
        ("foo(1)", "Unrecognized function: 'foo'", 0),
        ("x && contains(1)", "Too few parameters supplied: 'contains'", 5),
        ("startsWith(1, 2, 3)", "Too many parameters supplied: 'startsWith'", 0),
        ("success(1)", "Too many parameters supplied: 'success'", 0),
        ("'abc", "Unterminated string: 'abc", 0),
        ("1 = 2", "Unexpected symbol: '='", 2),
        ("a & b", "Unexpected symbol: '&'", 2),
        ("a | b", "Unexpected symbol: '|'", 2),
        ("'abc'[0]", "Unexpected symbol: '['", 5),
        ("1.2.3", "Unexpected symbol: '1.2.3'", 0),
        ('"double"', "Unexpected symbol: '\"double\"'", 0),
        ("${{ x }}", "Unexpected symbol: '${{'", 0),
        ("a[*", "Unexpected end of expression", 3),
        ("f(1,)", "Unrecognized function: 'f'", 0),
        ("join(1,)", "Unexpected symbol: ')'", 7),
        ("a == ", "Unexpected end of expression", 5),
        ("!", "Unexpected end of expression", 1),
        ("github.*x", "Unexpected symbol: 'x'", 8),
        ("x ? y", "Unexpected symbol: '?'", 2),
    ],
)
def test_syntax_errors_carry_message_and_offset(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.message == message
    assert info.value.offset == offset
    assert info.value.expression == text


def test_error_text_names_position_and_expression() -> None:
    with pytest.raises(
        ExpressionError, match=r"Unexpected symbol: '\)' at position 2 in expression: 1\)"
    ):
        parse("1)")


def test_max_length() -> None:
    text = "'" + "x" * MAX_LENGTH + "'"
    with pytest.raises(ExpressionError, match="Exceeded max expression length"):
        parse(text)


def test_max_depth_counts_nesting_and_long_chains() -> None:
    parse("(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1))
    for text in (
        "(" * 5000 + "1" + ")" * 5000,
        "!" * 5000 + "true",
        "a" + ".b" * 100,
        "contains(" * 100 + "1, 2" + ")" * 100,
        "1 == " * 100 + "1",
    ):
        with pytest.raises(ExpressionError, match="Exceeded max expression depth 50"):
            parse(text)


def test_long_flat_and_chain_is_not_too_deep() -> None:
    parse(" && ".join(["true"] * 500))


def test_parse_is_cached() -> None:
    assert parse("github.event_name == 'push'") is parse("github.event_name == 'push'")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("${{ 1 }}", 3, 6),
        ("${{ '}}' }}", 3, 9),
        ("${{ '''}}''' }}", 3, 13),
        ("${{ '''' }}", 3, 9),
        ("${{ fromJSON('\"}}\"') }}", 3, 21),
        ("${{ 'unclosed }}", 3, None),
        ("${{ 1 }", 3, None),
    ],
)
def test_expression_end_skips_string_literals(text: str, start: int, end: int | None) -> None:
    assert find_expression_end(text, start) == end
