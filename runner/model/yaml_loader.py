"""YAML text -> a tree of positioned nodes, read the way GitHub Actions reads YAML.

Invariants of the tree `load_yaml` returns:

* every node carries the SourcePos (1-based line and column) where it starts;
* scalars resolve by the YAML 1.2 core schema, not PyYAML's YAML 1.1: only
  true/false are booleans, so `on:` stays "on" and `yes` stays "yes"; `010` is
  the int 10; quoted and block scalars are always strings;
* numbers are finite: `.inf`, `.nan` and `1e400` are errors (values travel as JSON,
  which has neither infinity nor NaN);
* mapping keys are strings (a key written `1:` is "1") and unique: a duplicate is
  an error at the second occurrence;
* anchors, aliases and merge keys (`<<`) are resolved; an alias is the very node
  its anchor named, so the tree is a DAG, never a cycle.

libyaml does the scanning (it is the slow part); the nodes are composed here
from its events, iteratively, because PyYAML's C composer recurses on the C
stack and crashes the interpreter on deeply nested input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import yaml
import yaml.parser
import yaml.reader
import yaml.scanner

from runner.errors import SourcePos, WorkflowError, WorkflowErrors
from runner.model.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode
from runner.model.yaml_scalars import TAG_PREFIX, resolve_plain, resolve_tagged, shown_tag

if TYPE_CHECKING:
    from runner.model.yaml_nodes import Scalar

MAX_DEPTH = 200
# Aliases can make a small file expand into a huge document ("billion laughs");
# everything that walks the tree expands them, so bound the expanded size.
MAX_EXPANDED_NODES = 1_000_000
# A definition file is a page or two of YAML; one of 10,000 jobs (700 KB) takes over a
# second to parse. Bigger files are refused unread (docs/configuration.md).
MAX_DEFINITION_BYTES = 1 << 20


def load_yaml(text: str, path: str, *, problems: list[WorkflowError] | None = None) -> Node:
    """Parse one YAML document into a node tree.

    An empty document is a null scalar at 1:1. Syntax errors raise
    WorkflowErrors (one error, with PyYAML's problem text and position). Problems
    that leave a usable tree (duplicate keys, bad tags, ...) are appended to
    `problems` when it is given so the caller can report them with its own;
    otherwise they raise WorkflowErrors too.
    """
    found: list[WorkflowError] = []
    try:
        root = _Composer(text, path, found).compose()
    except WorkflowError as exc:
        raise WorkflowErrors([*found, exc]) from None
    if found:
        if problems is None:
            raise WorkflowErrors(found)
        problems.extend(found)
    return root


def read_text(path: str | Path) -> str:
    """The text of a definition file; WorkflowErrors if it cannot be read as UTF-8 or is
    over MAX_DEFINITION_BYTES."""
    name = str(path)
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_DEFINITION_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise WorkflowErrors([WorkflowError(f"cannot read {name}: {reason}")]) from None
    if len(data) > MAX_DEFINITION_BYTES:
        message = f"the file is over {MAX_DEFINITION_BYTES // 1024} KiB, the most stax reads"
        raise WorkflowErrors([WorkflowError(message, pos=SourcePos(path=name, line=1, col=1))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        pos = SourcePos(path=name, line=line, col=col)
        raise WorkflowErrors([WorkflowError("the file is not valid UTF-8", pos=pos)]) from None


class _EventSource(Protocol):
    def get_event(self) -> yaml.Event | None: ...


class _Mark(Protocol):
    # PyYAML's Python and C parsers have distinct Mark classes of this shape.
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


class _PurePythonParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _parser(text: str) -> _EventSource:
    if yaml.__with_libyaml__:
        from yaml._yaml import CParser

        return CParser(text)
    return _PurePythonParser(text)


def _pos(path: str, mark: _Mark | None) -> SourcePos:
    if mark is None:
        return SourcePos(path=path, line=1, col=1)
    return SourcePos(path=path, line=mark.line + 1, col=mark.column + 1)


def _pos_of_index(text: str, path: str, index: int) -> SourcePos:
    before = text[:index]
    line = before.count("\n") + 1
    return SourcePos(path=path, line=line, col=index - (before.rfind("\n") + 1) + 1)


def _line_col(mark: _Mark | None) -> tuple[int, int]:
    return (mark.line, mark.column) if mark is not None else (0, 0)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


# -- composing -----------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class _Frame:
    """A collection being composed: its start event and what it holds so far."""

    start: yaml.CollectionStartEvent
    where: str
    weight: int = 1
    items: list[Node] = field(default_factory=list)
    # mappings only, in order: ("key", None, key, key pos, value) or ("merge", mapping, "<<", pos, None)
    entries: list[tuple[str, MappingNode | None, str, SourcePos, Node | None]] = field(
        default_factory=list
    )
    pending_key: ScalarNode | None = None
    bad_key: bool = False
    seen: dict[str, SourcePos] = field(default_factory=dict)


class _Composer:
    def __init__(self, text: str, path: str, problems: list[WorkflowError]) -> None:
        self._text = text
        self._path = path
        self._problems = problems
        self._anchors: dict[str, tuple[Node, int]] = {}
        self._stack: list[_Frame] = []
        self._root: tuple[Node, int] | None = None
        self._lines: list[str] | None = None

    def compose(self) -> Node:
        try:
            return self._compose()
        except UnicodeEncodeError as exc:
            pos = _pos_of_index(self._text, self._path, exc.start)
            raise WorkflowError("invalid YAML: the text is not valid Unicode", pos=pos) from None
        except yaml.MarkedYAMLError as exc:
            raise self._syntax_error(exc) from None
        except yaml.reader.ReaderError as exc:
            prefix = self._text.encode("utf-8", "surrogatepass")[: exc.position]
            index = len(prefix.decode("utf-8", "ignore"))
            pos = _pos_of_index(self._text, self._path, index)
            raise WorkflowError(f"invalid YAML: {exc.reason}", pos=pos) from None
        except yaml.YAMLError as exc:
            raise WorkflowError(f"invalid YAML: {exc}", pos=_pos(self._path, None)) from None

    def _syntax_error(self, exc: yaml.MarkedYAMLError) -> WorkflowError:
        problem = exc.problem or exc.context or "syntax error"
        message = f"invalid YAML: {problem}"
        if exc.context and exc.problem and exc.context_mark is not None:
            start = exc.context_mark
            message += f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
        return WorkflowError(message, pos=_pos(self._path, exc.problem_mark or exc.context_mark))

    def _compose(self) -> Node:
        parser = _parser(self._text)
        documents = 0
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise WorkflowError(
                        "invalid YAML: expected one document, found a second one",
                        pos=_pos(self._path, event.start_mark),
                    )
            elif isinstance(event, yaml.ScalarEvent):
                self._deliver(self._scalar(event), 1, event)
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event)
            elif isinstance(event, yaml.CollectionStartEvent):
                self._start(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                self._end()
        if self._root is None:
            return ScalarNode(pos=_pos(self._path, None), value=None, text="")
        return self._root[0]

    def _child_where(self) -> str:
        if not self._stack:
            return ""
        frame = self._stack[-1]
        if isinstance(frame.start, yaml.SequenceStartEvent):
            return f"{frame.where}[{len(frame.items)}]"
        if frame.pending_key is not None:
            return _join(frame.where, frame.pending_key.text)
        return frame.where

    def _problem(self, message: str, mark: _Mark | None, where: str) -> None:
        self._problems.append(WorkflowError(message, pos=_pos(self._path, mark), where=where))

    def _scalar(self, event: yaml.ScalarEvent) -> ScalarNode:
        text = event.value
        plain = event.style in (None, "")
        quoted = event.style in ("'", '"')
        value: Scalar = text
        if event.tag is None:
            if plain and event.implicit[0]:
                value = resolve_plain(text)
        elif event.tag != "!":  # `! x` is the non-specific tag: a string
            try:
                value = resolve_tagged(event.tag, text)
            except ValueError as exc:
                self._problem(str(exc), event.start_mark, self._child_where())
        if isinstance(value, float) and not math.isfinite(value):
            # Values travel as JSON (events, the API), which has no infinity and no NaN.
            self._problem(
                f'"{text}" is not a finite number (quote it to mean the text)',
                event.start_mark,
                self._child_where(),
            )
        start, end = _line_col(event.start_mark), _line_col(event.end_mark)
        width = end[1] - start[1] - (2 if quoted else 0)
        verbatim = (plain or quoted) and start[0] == end[0] and width == len(text)
        return ScalarNode(
            pos=_pos(self._path, event.start_mark),
            value=value,
            text=text,
            plain=plain,
            verbatim=verbatim,
            quoted=quoted,
            block_indent=self._block_indent(event) if event.style == "|" else None,
        )

    def _block_indent(self, event: yaml.ScalarEvent) -> int | None:
        """The content indentation of a literal block scalar, when it is plain to see."""
        if self._lines is None:
            self._lines = self._text.split("\n")
        (first, col), (last, _) = _line_col(event.start_mark), _line_col(event.end_mark)
        if last >= len(self._lines):
            return None  # line breaks other than \n: positions would not line up
        header = self._lines[first][col:]
        if any(ch.isdigit() for ch in header.split("#", 1)[0]):
            return None  # an explicit indentation indicator: rare, not worth the arithmetic
        for line in self._lines[first + 1 : last + 1]:
            if line.strip():
                return len(line) - len(line.lstrip(" "))
        return None

    def _alias(self, event: yaml.AliasEvent) -> None:
        anchor = event.anchor or ""
        if anchor not in self._anchors:
            # An anchor is registered when its node is complete, so this also
            # refuses an alias inside its own anchor (a cycle).
            raise WorkflowError(
                f'invalid YAML: alias "*{anchor}" does not refer to an earlier anchor',
                pos=_pos(self._path, event.start_mark),
                where=self._child_where(),
            )
        node, weight = self._anchors[anchor]
        self._deliver(node, weight, event)

    def _start(self, event: yaml.CollectionStartEvent) -> None:
        if len(self._stack) >= MAX_DEPTH:
            raise WorkflowError(
                f"invalid YAML: nested deeper than {MAX_DEPTH} levels",
                pos=_pos(self._path, event.start_mark),
            )
        tag = event.tag
        expected = "seq" if isinstance(event, yaml.SequenceStartEvent) else "map"
        if tag not in (None, "!", f"{TAG_PREFIX}{expected}"):
            shown = shown_tag(tag)
            self._problem(f'unsupported tag "{shown}"', event.start_mark, self._child_where())
        self._stack.append(_Frame(start=event, where=self._child_where()))

    def _end(self) -> None:
        frame = self._stack.pop()
        pos = _pos(self._path, frame.start.start_mark)
        node: Node
        if isinstance(frame.start, yaml.SequenceStartEvent):
            node = SequenceNode(pos=pos, value=tuple(frame.items))
        else:
            node = self._mapping(frame, pos)
        self._deliver(node, frame.weight, frame.start)

    def _mapping(self, frame: _Frame, pos: SourcePos) -> MappingNode:
        # Explicit keys win over merged ones wherever they are written; merged
        # keys take the place of their `<<` and an earlier merge wins over a later.
        value: dict[str, Node] = {}
        key_pos: dict[str, SourcePos] = {}
        for kind, merged, key, at, node in frame.entries:
            if kind == "key" and node is not None:
                value[key], key_pos[key] = node, at
            elif merged is not None:
                for mkey, mnode in merged.items():
                    if mkey not in frame.seen and mkey not in value:
                        value[mkey], key_pos[mkey] = mnode, merged.pos_of_key(mkey)
        return MappingNode(pos=pos, value=value, key_pos=key_pos)

    def _deliver(self, node: Node, weight: int, event: yaml.NodeEvent) -> None:
        anchor = event.anchor if not isinstance(event, yaml.AliasEvent) else None
        if anchor is not None:
            self._anchors[anchor] = (node, weight)
        if not self._stack:
            self._root = (node, weight)
            return
        frame = self._stack[-1]
        frame.weight += weight
        if frame.weight > MAX_EXPANDED_NODES:
            raise WorkflowError(
                f"invalid YAML: expands to more than {MAX_EXPANDED_NODES} nodes through aliases",
                pos=_pos(self._path, frame.start.start_mark),
            )
        if isinstance(frame.start, yaml.SequenceStartEvent):
            frame.items.append(node)
        elif frame.pending_key is None and not frame.bad_key:
            self._key(frame, node)
        else:
            self._value(frame, node)

    def _key(self, frame: _Frame, node: Node) -> None:
        if not isinstance(node, ScalarNode):
            what = "a list" if isinstance(node, SequenceNode) else "a mapping"
            self._problems.append(
                WorkflowError(
                    f"a mapping key must be a plain value, not {what}",
                    pos=node.pos,
                    where=frame.where,
                )
            )
            frame.bad_key = True
            return
        frame.pending_key = node

    def _value(self, frame: _Frame, node: Node) -> None:
        key, frame.pending_key = frame.pending_key, None
        if frame.bad_key or key is None:
            frame.bad_key = False
            return
        if key.plain and key.text == "<<":
            self._merge(frame, key, node)
            return
        name = key.text
        first = frame.seen.get(name)
        if first is not None:
            self._problems.append(
                WorkflowError(
                    f'duplicate key "{name}" (already defined at line {first.line}, '
                    f"column {first.col})",
                    pos=key.pos,
                    where=frame.where,
                )
            )
            return
        frame.seen[name] = key.pos
        frame.entries.append(("key", None, name, key.pos, node))

    def _merge(self, frame: _Frame, key: ScalarNode, node: Node) -> None:
        sources = node.value if isinstance(node, SequenceNode) else (node,)
        for source in sources:
            if not isinstance(source, MappingNode):
                self._problems.append(
                    WorkflowError(
                        "a merge key (<<) takes a mapping or a list of mappings",
                        pos=source.pos,
                        where=_join(frame.where, "<<"),
                    )
                )
                continue
            frame.entries.append(("merge", source, "<<", key.pos, None))
