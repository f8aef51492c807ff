"""Split an expression into tokens, the way GitHub's LexicalAnalyzer does.

Two rules are context-sensitive, as in GitHub: a word right after ``.`` is
always a property name (``steps.null`` reads property "null"), and a ``.``
starts a number only where an operand may start (``.5`` but ``a.b``).
Property and context names may contain ``-`` (``steps.id-with-hyphens``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from runner.errors import ExpressionError
from runner.expressions.values import JSONValue, normalize_number, parse_number


class TokenKind(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    NULL = "null"
    NAME = "name"  # a context, a function or a property name; the parser tells which
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    DOT = "."
    STAR = "*"
    NOT = "!"
    AND = "&&"
    OR = "||"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    END = "end of expression"


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    kind: TokenKind
    text: str
    offset: int
    value: JSONValue = None


# Characters that end a word or a number (GitHub's TestTokenBoundary).
_BOUNDARY = frozenset("([)],.!><=&|")
_KEYWORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_PUNCTUATION = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "[": TokenKind.LBRACKET,
    "]": TokenKind.RBRACKET,
    ",": TokenKind.COMMA,
    "*": TokenKind.STAR,
}
_OPERATORS = {
    "!=": TokenKind.NE,
    "==": TokenKind.EQ,
    "<=": TokenKind.LE,
    ">=": TokenKind.GE,
    "&&": TokenKind.AND,
    "||": TokenKind.OR,
    "!": TokenKind.NOT,
    "<": TokenKind.LT,
    ">": TokenKind.GT,
}
# After these a "." begins a number (".5") rather than a property dereference.
_OPERAND_MAY_FOLLOW = frozenset(
    {
        TokenKind.COMMA,
        TokenKind.LPAREN,
        TokenKind.LBRACKET,
        TokenKind.NOT,
        TokenKind.AND,
        TokenKind.OR,
        TokenKind.EQ,
        TokenKind.NE,
        TokenKind.LT,
        TokenKind.LE,
        TokenKind.GT,
        TokenKind.GE,
    }
)
_WORD_LITERALS: dict[str, tuple[TokenKind, JSONValue]] = {
    "null": (TokenKind.NULL, None),
    "true": (TokenKind.BOOLEAN, True),
    "false": (TokenKind.BOOLEAN, False),
    "NaN": (TokenKind.NUMBER, math.nan),
    "Infinity": (TokenKind.NUMBER, math.inf),
}


def _is_boundary(char: str) -> bool:
    return char in _BOUNDARY or char.isspace()


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an END token; ExpressionError on a bad symbol."""
    tokens: list[Token] = []
    pos, length = 0, len(text)
    previous: TokenKind | None = None
    while True:
        while pos < length and text[pos].isspace():
            pos += 1
        if pos >= length:
            tokens.append(Token(kind=TokenKind.END, text="", offset=length))
            return tokens
        char = text[pos]
        if char in _PUNCTUATION:
            token = Token(kind=_PUNCTUATION[char], text=char, offset=pos)
        elif char == "'":
            token = _read_string(text, pos)
        elif char in "!<>=&|":
            token = _read_operator(text, pos)
        elif char == "." and previous is not None and previous not in _OPERAND_MAY_FOLLOW:
            token = Token(kind=TokenKind.DOT, text=char, offset=pos)
        elif char in "-+.0123456789":
            token = _read_number(text, pos)
        else:
            token = _read_word(text, pos, after_dot=previous is TokenKind.DOT)
        tokens.append(token)
        previous = token.kind
        pos = token.offset + len(token.text)


def _read_string(text: str, start: int) -> Token:
    pos = start + 1
    chunks: list[str] = []
    while True:
        end = text.find("'", pos)
        if end < 0:
            raise ExpressionError(
                f"Unterminated string: {text[start:]}", expression=text, offset=start
            )
        chunks.append(text[pos:end])
        if text.startswith("''", end):  # '' is an escaped quote
            chunks.append("'")
            pos = end + 2
            continue
        return Token(
            kind=TokenKind.STRING, text=text[start : end + 1], offset=start, value="".join(chunks)
        )


def _read_operator(text: str, start: int) -> Token:
    for size in (2, 1):
        raw = text[start : start + size]
        if len(raw) == size and raw in _OPERATORS:
            return Token(kind=_OPERATORS[raw], text=raw, offset=start)
    raise ExpressionError(f"Unexpected symbol: '{text[start]}'", expression=text, offset=start)


def _read_number(text: str, start: int) -> Token:
    end = start + 1
    while end < len(text) and (text[end] == "." or not _is_boundary(text[end])):
        end += 1
    raw = text[start:end]
    number = parse_number(raw)
    if math.isnan(number):
        raise ExpressionError(f"Unexpected symbol: '{raw}'", expression=text, offset=start)
    return Token(kind=TokenKind.NUMBER, text=raw, offset=start, value=normalize_number(number))


def _read_word(text: str, start: int, *, after_dot: bool) -> Token:
    end = start + 1
    while end < len(text) and not _is_boundary(text[end]):
        end += 1
    raw = text[start:end]
    if not _KEYWORD.fullmatch(raw):
        raise ExpressionError(f"Unexpected symbol: '{raw}'", expression=text, offset=start)
    if not after_dot and raw in _WORD_LITERALS:
        kind, value = _WORD_LITERALS[raw]
        return Token(kind=kind, text=raw, offset=start, value=value)
    return Token(kind=TokenKind.NAME, text=raw, offset=start)


def find_expression_end(text: str, start: int) -> int | None:
    """Index of the ``}}`` closing an expression whose body starts at ``start``, or None.

    A ``}}`` inside a quoted string literal does not count: ``${{ '}}' }}``.
    Quote toggling handles the ``''`` escape for free (it toggles twice).
    """
    in_string = False
    pos = start
    while pos < len(text):
        char = text[pos]
        if char == "'":
            in_string = not in_string
        elif not in_string and char == "}" and text.startswith("}}", pos):
            return pos
        pos += 1
    return None
