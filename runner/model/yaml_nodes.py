"""The node tree `load_yaml` returns: YAML values that know where they were written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from runner.errors import SourcePos

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from runner.expressions.values import JSONValue

Scalar: TypeAlias = bool | int | float | str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A YAML node and where it starts in its file."""

    pos: SourcePos

    def to_json(self) -> JSONValue:
        """This node as a plain JSON value (aliases expanded into copies)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalarNode(Node):
    value: Scalar
    text: str  # the scalar as written (unquoted): what a non-string key becomes
    plain: bool = True  # written without quotes or block style
    # The value is its source text character for character, on one line, so
    # an offset into the value maps straight to a column.
    verbatim: bool = False
    quoted: bool = False
    # A literal block scalar (`run: |`): its lines are the source lines after
    # the `|`, each indented by this many columns.
    block_indent: int | None = None

    def to_json(self) -> JSONValue:
        return self.value

    def pos_at(self, offset: int) -> SourcePos:
        """The position of character `offset` of the value (the node's start if unknown)."""
        if not 0 <= offset <= len(self.text):
            return self.pos
        if self.verbatim:
            col = self.pos.col + offset + (1 if self.quoted else 0)
            return SourcePos(path=self.pos.path, line=self.pos.line, col=col)
        if self.block_indent is not None:
            line_start = self.text.rfind("\n", 0, offset) + 1
            line = self.pos.line + 1 + self.text.count("\n", 0, offset)
            col = self.block_indent + offset - line_start + 1
            return SourcePos(path=self.pos.path, line=line, col=col)
        return self.pos


@dataclass(frozen=True, slots=True, kw_only=True)
class SequenceNode(Node):
    value: tuple[Node, ...]

    def to_json(self) -> JSONValue:
        return [item.to_json() for item in self.value]


@dataclass(frozen=True, slots=True, kw_only=True)
class MappingNode(Node):
    value: Mapping[str, Node]  # in file order
    key_pos: Mapping[str, SourcePos] = field(default_factory=dict)

    def to_json(self) -> JSONValue:
        return {key: node.to_json() for key, node in self.value.items()}

    def get(self, key: str) -> Node | None:
        return self.value.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.value

    def items(self) -> Iterator[tuple[str, Node]]:
        return iter(self.value.items())

    def pos_of_key(self, key: str) -> SourcePos:
        """Where `key` was written (the mapping's own position if it is absent)."""
        return self.key_pos.get(key, self.pos)


def to_json(node: Node) -> JSONValue:
    """`node` as a plain JSON value."""
    return node.to_json()
