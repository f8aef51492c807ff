"""Strings with ``${{ expr }}`` parts: find them, evaluate them, splice them in.

A part ends at the first ``}}`` outside a quoted string literal, so
``${{ '}}' }}`` is one part. There is no escape for a literal ``${{``; write
``${{ '${{' }}`` as in GitHub.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runner.errors import ExpressionError
from runner.expressions.evaluate import evaluate
from runner.expressions.lexer import find_expression_end
from runner.expressions.limits import check_size
from runner.expressions.nodes import ContextRef, walk
from runner.expressions.parser import parse
from runner.expressions.values import kind_name, to_string

if TYPE_CHECKING:
    from runner.expressions.context import EvalContext
    from runner.expressions.nodes import Expression
    from runner.expressions.values import JSONValue

_START = "${{"
_END = "}}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Span:
    start: int  # offset of "${{"
    end: int  # offset just past "}}"

    def inner(self, template: str) -> str:
        return template[self.start + len(_START) : self.end - len(_END)].strip()


def _spans(template: str) -> list[_Span]:
    spans: list[_Span] = []
    pos = 0
    while (start := template.find(_START, pos)) >= 0:
        end = find_expression_end(template, start + len(_START))
        if end is None:
            raise ExpressionError(
                "Unclosed expression: '${{' without a matching '}}'",
                expression=template,
                offset=start,
            )
        spans.append(_Span(start=start, end=end + len(_END)))
        pos = end + len(_END)
    return spans


def _is_whole(template: str, spans: list[_Span]) -> bool:
    """True when the template is one ``${{ }}`` and nothing else.

    Whitespace outside the braces counts as text, as in GitHub and act:
    ``" ${{ 1 }} "`` is the string " 1 ", while ``"${{  1  }}"`` is the number 1.
    """
    return len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(template)


def find_expressions(template: str) -> list[tuple[str, int]]:
    """Each ``${{ }}`` part as (expression text, offset of its ``${{``); error if one is unclosed."""
    return [(span.inner(template), span.start) for span in _spans(template)]


def named_values(template: str) -> set[str]:
    """The context names (lower-case) that the template's ``${{ }}`` parts read.

    Raises ExpressionError for a part that does not parse.
    """
    compiled = _compile(template)
    return {
        node.name.lower()
        for piece in compiled.pieces
        if not isinstance(piece, str)
        for node in walk(piece)
        if isinstance(node, ContextRef)
    }


def contains_expression(text: str) -> bool:
    """True when ``text`` has a ``${{`` and so must be interpolated."""
    return _START in text


@dataclass(frozen=True, slots=True, kw_only=True)
class _Template:
    pieces: tuple[str | Expression, ...]  # literal text and parsed parts, in order
    whole: bool


@functools.lru_cache(maxsize=2048)
def _compile(template: str) -> _Template:
    spans = _spans(template)
    pieces: list[str | Expression] = []
    pos = 0
    for span in spans:
        if span.start > pos:
            pieces.append(template[pos : span.start])
        pieces.append(parse(span.inner(template)))
        pos = span.end
    if pos < len(template):
        pieces.append(template[pos:])
    return _Template(pieces=tuple(pieces), whole=_is_whole(template, spans))


def interpolate(template: str, ctx: EvalContext) -> JSONValue:
    """Evaluate every ``${{ }}`` part of ``template``.

    A template that is exactly one part (``${{ expr }}``, nothing outside the
    braces) yields that part's value with its type: a number stays a number, an
    object an object. Otherwise each part is converted with to_string and
    spliced into the text, whitespace included. Text without ``${{`` comes back
    unchanged.
    """
    if _START not in template:
        return template
    compiled = _compile(template)
    if compiled.whole:
        (expression,) = (p for p in compiled.pieces if not isinstance(p, str))
        return evaluate(expression, ctx)
    texts: list[str] = []
    size = 0
    for piece in compiled.pieces:
        text = piece if isinstance(piece, str) else to_string(evaluate(piece, ctx))
        size += len(text)
        check_size(size, "the template")
        texts.append(text)
    return "".join(texts)


_INSERT = re.compile(r"\$\{\{\s*insert\s*\}\}")


def interpolate_tree(value: JSONValue, ctx: EvalContext) -> JSONValue:
    """Evaluate every ``${{ }}`` in a YAML value (a matrix, say), as GitHub's templates do.

    Strings are interpolated (a lone ``${{ x }}`` keeps its type), mapping keys
    too. A list item that is an expression yielding a list is spliced into the
    list. A ``${{ insert }}`` key merges its value, which must evaluate to a
    mapping, into the mapping it stands in. Raises ExpressionError.
    """
    if isinstance(value, str):
        return interpolate(value, ctx) if _START in value else value
    if isinstance(value, list):
        items: list[JSONValue] = []
        for item in value:
            evaluated = interpolate_tree(item, ctx)
            if isinstance(item, str) and isinstance(evaluated, list):
                items.extend(evaluated)
            else:
                items.append(evaluated)
        return items
    if isinstance(value, dict):
        mapping: dict[str, JSONValue] = {}
        for key, item in value.items():
            evaluated = interpolate_tree(item, ctx)
            if _INSERT.fullmatch(key.strip()):
                if not isinstance(evaluated, dict):
                    raise ExpressionError(
                        f"{key.strip()} must be given a mapping to insert, "
                        f"not {kind_name(evaluated)}"
                    )
                mapping.update(evaluated)
            else:
                mapping[to_string(interpolate(key, ctx)) if _START in key else key] = evaluated
        return mapping
    return value


def _escape_format(text: str) -> str:
    return text.replace("'", "''").replace("{", "{{").replace("}", "}}")


def rewrite_to_format(template: str, *, force_format: bool) -> str:
    """The template as one expression, the way nektos/act rewrites it: ``format('..{0}..', expr)``.

    Without ``force_format`` a template that is a single ``${{ }}`` is kept as
    it is (its value keeps its type); text without parts is returned as is.
    """
    spans = _spans(template)
    if not spans or (not force_format and _is_whole(template, spans)):
        return template
    pattern: list[str] = []
    args: list[str] = []
    pos = 0
    for number, span in enumerate(spans):
        pattern.append(_escape_format(template[pos : span.start]))
        pattern.append(f"{{{number}}}")
        args.append(span.inner(template))
        pos = span.end
    pattern.append(_escape_format(template[pos:]))
    return f"format('{''.join(pattern)}', {', '.join(args)})"


def condition_expression(condition: str) -> Expression:
    """The expression an ``if:`` text stands for, before the implicit status check.

    Bare text is the expression; a text that is one ``${{ }}`` is what it
    wraps; a text mixing ``${{ }}`` with other text is a format() of it, which
    GitHub then tests for truthiness (so ``${{ false }} && x`` is true).
    Surrounding whitespace is ignored here (a YAML block scalar's trailing
    newline would otherwise make ``${{ false }}`` a non-empty string).
    """
    condition = condition.strip()
    spans = _spans(condition)
    if not spans:
        return parse(condition)
    if _is_whole(condition, spans):
        return parse(spans[0].inner(condition))
    for span in spans:
        parse(span.inner(condition))  # report errors against the part the user wrote
    return parse(rewrite_to_format(condition, force_format=True))
