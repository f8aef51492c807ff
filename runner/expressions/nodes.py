"""The syntax tree of a parsed expression.

Every node is immutable and records ``offset``, the 0-based position in the
expression text of the token that made it, so evaluation errors can point at
their cause. ``Expression`` is the root that ``parse`` returns: it carries the
source text the offsets refer to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterator

    from runner.expressions.values import JSONValue


@dataclass(frozen=True, slots=True, kw_only=True)
class Constant:
    """A literal: null, a boolean, a number or a string."""

    offset: int
    value: JSONValue


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextRef:
    """A named value such as ``github`` or ``matrix``, looked up case-insensitively."""

    offset: int
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Property:
    """``target.name``."""

    offset: int
    target: Node
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    """``target[index]``."""

    offset: int
    target: Node
    index: Node


@dataclass(frozen=True, slots=True, kw_only=True)
class Wildcard:
    """``target.*`` or ``target[*]``: an object filter."""

    offset: int
    target: Node


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """``( inner )``. Kept in the tree because it ends an object filter: ``(a.*.b)[0]``."""

    offset: int
    inner: Node


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    """``!operand``."""

    offset: int
    operand: Node


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """``left op right`` with op one of ``== != < <= > >=``."""

    offset: int
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True, kw_only=True)
class And:
    """``a && b && ...``, flattened like GitHub's tree so chains stay shallow."""

    offset: int
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Or:
    """``a || b || ...``, flattened."""

    offset: int
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """A function call. ``name`` is lower-case (lookup key); ``spelled`` is as written."""

    offset: int
    name: str
    spelled: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression:
    """A parsed expression: its source text and the root of its tree."""

    text: str
    body: Node
    offset: int = 0


Node: TypeAlias = (
    Constant
    | ContextRef
    | Property
    | Index
    | Wildcard
    | Group
    | Not
    | Compare
    | And
    | Or
    | Call
    | Expression
)

STATUS_FUNCTIONS = frozenset({"success", "failure", "cancelled", "always"})


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of a node, in source order."""
    match node:
        case Property(target=target) | Wildcard(target=target):
            return (target,)
        case Index(target=target, index=index):
            return (target, index)
        case Group(inner=inner):
            return (inner,)
        case Not(operand=operand):
            return (operand,)
        case Compare(left=left, right=right):
            return (left, right)
        case And(operands=operands) | Or(operands=operands) | Call(args=operands):
            return operands
        case Expression(body=body):
            return (body,)
        case _:
            return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, the root first. Iterative, so any depth is safe."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def calls_status_function(node: Node) -> bool:
    """True when the tree calls success(), failure(), cancelled() or always() anywhere."""
    return any(isinstance(n, Call) and n.name in STATUS_FUNCTIONS for n in walk(node))
