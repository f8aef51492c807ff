"""Parse expression text into a tree, with GitHub's precedence and limits.

Precedence, tightest first: ``( )``, ``[ ]`` and ``.``, ``!``, ``< <= > >=``,
``== !=``, ``&&``, ``||``; binary operators associate to the left. Indexing
and dereferencing apply to context names, calls, groups and other accesses,
never to literals (``'abc'[0]`` is an error, as in GitHub).

Unknown functions and wrong argument counts are syntax errors. Context names
are not checked here: which ones exist depends on where the expression is
evaluated (see EvalContext).

Limits, as GitHub's: 21,000 characters and a tree 50 levels deep. Nesting is
counted while parsing too, so deeply nested input fails with ExpressionError
long before Python's recursion limit.
"""

from __future__ import annotations

import functools

from runner.errors import ExpressionError
from runner.expressions.functions import FUNCTIONS
from runner.expressions.lexer import Token, TokenKind, tokenize
from runner.expressions.nodes import (
    And,
    Call,
    Compare,
    Constant,
    ContextRef,
    Expression,
    Group,
    Index,
    Node,
    Not,
    Or,
    Property,
    Wildcard,
    children,
)

MAX_LENGTH = 21_000
MAX_DEPTH = 50

_COMPARISONS = {
    TokenKind.LT: "<",
    TokenKind.LE: "<=",
    TokenKind.GT: ">",
    TokenKind.GE: ">=",
}
_EQUALITIES = {TokenKind.EQ: "==", TokenKind.NE: "!="}
_LITERALS = frozenset({TokenKind.NUMBER, TokenKind.STRING, TokenKind.BOOLEAN, TokenKind.NULL})


@functools.lru_cache(maxsize=2048)
def parse(expression: str) -> Expression:
    """Parse ``expression`` (the text between ``${{`` and ``}}``) into a tree.

    Cached: the engine evaluates the same ``if:`` many times. Raises
    ExpressionError, with the 0-based offset of the problem, on bad syntax.
    """
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(
            f"Exceeded max expression length {MAX_LENGTH}", expression=expression, offset=None
        )
    body = _Parser(expression).parse()
    _check_depth(body, expression)
    return Expression(text=expression, body=body)


def _check_depth(root: Node, text: str) -> None:
    # Measured like GitHub's tree: groups add no level, flattened && / || add one.
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Group):
            stack.append((node.inner, depth))
            continue
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"Exceeded max expression depth {MAX_DEPTH}", expression=text, offset=node.offset
            )
        stack.extend((child, depth + 1) for child in children(node))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.nesting = 0

    # -- token helpers ---------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def peek(self) -> TokenKind:
        # A method, not an attribute chain, so type narrowing never outlives advance().
        return self.tokens[self.pos].kind

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not TokenKind.END:
            self.pos += 1
        return token

    def expect(self, kind: TokenKind) -> Token:
        if self.peek() is not kind:
            raise self.unexpected()
        return self.advance()

    def unexpected(self) -> ExpressionError:
        token = self.current
        if token.kind is TokenKind.END:
            return ExpressionError(
                "Unexpected end of expression", expression=self.text, offset=token.offset
            )
        return ExpressionError(
            f"Unexpected symbol: '{token.text}'", expression=self.text, offset=token.offset
        )

    def enter(self, offset: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise ExpressionError(
                f"Exceeded max expression depth {MAX_DEPTH}", expression=self.text, offset=offset
            )

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> Node:
        if self.peek() is TokenKind.END:
            raise ExpressionError("An expression was expected", expression=self.text, offset=0)
        node = self.expression()
        if self.peek() is not TokenKind.END:
            raise self.unexpected()
        return node

    def expression(self) -> Node:
        self.enter(self.current.offset)
        node = self.disjunction()
        self.nesting -= 1
        return node

    def disjunction(self) -> Node:
        operands = [self.conjunction()]
        offset = self.current.offset
        while self.peek() is TokenKind.OR:
            self.advance()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Or(offset=offset, operands=tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.equality()]
        offset = self.current.offset
        while self.peek() is TokenKind.AND:
            self.advance()
            operands.append(self.equality())
        return operands[0] if len(operands) == 1 else And(offset=offset, operands=tuple(operands))

    def equality(self) -> Node:
        node = self.comparison()
        while (op := _EQUALITIES.get(self.peek())) is not None:
            offset = self.advance().offset
            node = Compare(offset=offset, op=op, left=node, right=self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.unary()
        while (op := _COMPARISONS.get(self.peek())) is not None:
            offset = self.advance().offset
            node = Compare(offset=offset, op=op, left=node, right=self.unary())
        return node

    def unary(self) -> Node:
        # Iterative, so "!!!!...x" cannot exhaust the stack; the depth check bounds it.
        bangs: list[int] = []
        while self.peek() is TokenKind.NOT:
            bangs.append(self.advance().offset)
        node = self.postfix()
        for offset in reversed(bangs):
            node = Not(offset=offset, operand=node)
        return node

    def postfix(self) -> Node:
        token = self.current
        node = self.primary()
        if token.kind in _LITERALS:
            return node  # GitHub allows no "." or "[" after a literal
        while True:
            if self.peek() is TokenKind.DOT:
                self.advance()
                name = self.current
                if name.kind is TokenKind.STAR:
                    node = Wildcard(offset=self.advance().offset, target=node)
                elif name.kind is TokenKind.NAME:
                    node = Property(offset=self.advance().offset, target=node, name=name.text)
                else:
                    raise self.unexpected()
            elif self.peek() is TokenKind.LBRACKET:
                offset = self.advance().offset
                if self.peek() is TokenKind.STAR:
                    self.advance()
                    node = Wildcard(offset=offset, target=node)
                else:
                    node = Index(offset=offset, target=node, index=self.expression())
                self.expect(TokenKind.RBRACKET)
            else:
                return node

    def primary(self) -> Node:
        token = self.current
        if token.kind in _LITERALS:
            self.advance()
            return Constant(offset=token.offset, value=token.value)
        if token.kind is TokenKind.LPAREN:
            self.advance()
            inner = self.expression()
            self.expect(TokenKind.RPAREN)
            return Group(offset=token.offset, inner=inner)
        if token.kind is TokenKind.NAME:
            self.advance()
            if self.peek() is TokenKind.LPAREN:
                return self.call(token)
            return ContextRef(offset=token.offset, name=token.text)
        raise self.unexpected()

    def call(self, name: Token) -> Node:
        spec = FUNCTIONS.get(name.text.lower())
        if spec is None:
            raise ExpressionError(
                f"Unrecognized function: '{name.text}'", expression=self.text, offset=name.offset
            )
        self.expect(TokenKind.LPAREN)
        args: list[Node] = []
        if self.peek() is not TokenKind.RPAREN:
            args.append(self.expression())
            while self.peek() is TokenKind.COMMA:
                self.advance()
                args.append(self.expression())
        self.expect(TokenKind.RPAREN)
        if len(args) < spec.min_args:
            problem = "Too few parameters supplied"
        elif len(args) > spec.max_args:
            problem = "Too many parameters supplied"
        else:
            return Call(
                offset=name.offset, name=name.text.lower(), spelled=name.text, args=tuple(args)
            )
        raise ExpressionError(f"{problem}: '{name.text}'", expression=self.text, offset=name.offset)
