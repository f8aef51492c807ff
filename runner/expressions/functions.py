"""The functions an expression may call, with their argument counts.

Names are case-insensitive (``fromjson`` is ``fromJSON``). Arguments arrive
lazily: a function reads ``args[i]`` only when it needs it, as GitHub's do, so
``case()`` evaluates just the branch it picks and ``join()`` reads its
separator only when there is something to separate.

A function reports bad input by raising ExpressionError without an
expression; the evaluator adds the expression text and the call's offset.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from runner import json_text
from runner.errors import ExpressionError
from runner.expressions.hashfiles import hash_files
from runner.expressions.limits import check_size
from runner.expressions.values import (
    JSONValue,
    fold,
    is_primitive,
    kind_name,
    loose_equal,
    normalize_number,
    to_string,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from runner.expressions.context import EvalContext


class Arguments(Protocol):
    """A function's arguments, each evaluated on first access."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> JSONValue: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int
    call: Callable[[Arguments, EvalContext], JSONValue]


_MAX_ARGS = 255  # GitHub's limit (a byte)


def _case(args: Arguments, ctx: EvalContext) -> JSONValue:
    if len(args) % 2 == 0:
        raise ExpressionError("case requires an odd number of arguments")
    for i in range(0, len(args) - 1, 2):
        predicate = args[i]
        if not isinstance(predicate, bool):
            raise ExpressionError("case predicate must evaluate to a boolean value")
        if predicate:
            return args[i + 1]
    return args[len(args) - 1]


def _contains(args: Arguments, ctx: EvalContext) -> JSONValue:
    search = args[0]
    if is_primitive(search):
        item = args[1]
        return is_primitive(item) and fold(to_string(item)) in fold(to_string(search))
    if isinstance(search, list):
        item = args[1]
        return any(loose_equal(element, item) for element in search)
    return False


def _starts_with(args: Arguments, ctx: EvalContext) -> JSONValue:
    text, prefix = args[0], args[1]
    if not (is_primitive(text) and is_primitive(prefix)):
        return False
    return fold(to_string(text)).startswith(fold(to_string(prefix)))


def _ends_with(args: Arguments, ctx: EvalContext) -> JSONValue:
    text, suffix = args[0], args[1]
    if not (is_primitive(text) and is_primitive(suffix)):
        return False
    return fold(to_string(text)).endswith(fold(to_string(suffix)))


def _join(args: Arguments, ctx: EvalContext) -> JSONValue:
    items = args[0]
    if isinstance(items, list):
        separator = ","
        if len(items) > 1 and len(args) > 1 and is_primitive(separator_value := args[1]):
            separator = to_string(separator_value)
        texts = [to_string(item) for item in items]  # ("Array", "Object" for those)
        check_size(sum(map(len, texts)) + len(separator) * (len(texts) - 1), "join")
        return separator.join(texts)
    return to_string(items) if is_primitive(items) else ""


# "{index}" or "{index:specifiers}" where "}}" inside specifiers is an escaped "}".
_PLACEHOLDER = re.compile(r"([0-9]+)(?::((?:[^}]|\}\})*))?\}")


def _format(args: Arguments, ctx: EvalContext) -> JSONValue:
    # GitHub's Format.cs: "{{" and "}}" are escapes, "{N}" inserts argument N.
    template = to_string(args[0])
    out = _Builder("format")
    pos = 0
    while pos < len(template):
        left = template.find("{", pos)
        right = template.find("}", pos)
        if left >= 0 and (right < 0 or right > left):
            if template.startswith("{{", left):
                out.append(template[pos : left + 1])
                pos = left + 2
                continue
            if right < 0:
                raise ExpressionError(
                    f"Unclosed brackets. The following format string is invalid: '{template}'"
                )
            match = _PLACEHOLDER.match(template, left + 1)
            if match is None or int(match[1]) > _MAX_ARGS:
                raise ExpressionError(f"The following format string is invalid: '{template}'")
            index = int(match[1])
            if index > len(args) - 2:
                raise ExpressionError(
                    "The following format string references more arguments than were "
                    f"supplied: '{template}'"
                )
            value = args[index + 1]
            if match[2]:
                raise ExpressionError(
                    f"The format specifiers '{match[2].replace('}}', '}')}' are not valid "
                    f"for objects of type '{kind_name(value)}'"
                )
            out.append(template[pos:left])
            out.append(to_string(value))
            pos = match.end()
        elif right >= 0:
            if not template.startswith("}}", right):
                raise ExpressionError(
                    "Closing bracket without opening one. The following format string is "
                    f"invalid: '{template}'"
                )
            out.append(template[pos : right + 1])
            pos = right + 2
        else:
            out.append(template[pos:])
            break
    return out.text()


class _Builder:
    """Pieces of a string being built, and their size, checked as each one is added."""

    __slots__ = ("_parts", "_size", "_what")

    def __init__(self, what: str) -> None:
        self._what = what
        self._parts: list[str] = []
        self._size = 0

    def append(self, text: str) -> None:
        self._size += len(text)
        check_size(self._size, self._what)
        self._parts.append(text)

    def text(self) -> str:
        return "".join(self._parts)


def to_json(value: JSONValue) -> str:
    """``toJSON``: JSON indented by two spaces, numbers printed as GitHub prints them."""
    out = _Builder("toJSON")
    try:
        _write_json(value, 0, out)
    except RecursionError:
        raise ExpressionError("toJSON: the value is nested too deeply") from None
    return out.text()


def _write_json(value: JSONValue, level: int, out: _Builder) -> None:
    if isinstance(value, dict | list):
        if not value:
            out.append("{}" if isinstance(value, dict) else "[]")
            return
        indent = "\n" + "  " * (level + 1)
        out.append("{" if isinstance(value, dict) else "[")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for i, (key, item) in enumerate(items):
            out.append("," + indent if i else indent)
            if isinstance(key, str):
                out.append(_json_string(key) + ": ")
            _write_json(item, level + 1, out)
        out.append("\n" + "  " * level + ("}" if isinstance(value, dict) else "]"))
    elif isinstance(value, str):
        out.append(_json_string(value))
    elif value is None or isinstance(value, bool):
        out.append(json_text.dumps(value))
    else:
        out.append(to_string(value))


def _json_string(text: str) -> str:
    # Escape what Newtonsoft.Json escapes by default, and nothing more.
    escaped = json_text.dumps(text, ascii=False)
    return (
        escaped.replace("\u0085", "\\u0085")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _json_number(text: str) -> int | float:
    return normalize_number(float(text))


def from_json(text: str) -> JSONValue:
    """``fromJSON``: parse JSON text; numbers become ints where exact, like every number here."""
    check_size(len(text), "fromJSON")
    try:
        value: JSONValue = json.loads(text, parse_int=_json_number, parse_float=_json_number)
    except RecursionError:
        raise ExpressionError("fromJSON: the JSON is nested too deeply") from None
    except ValueError as exc:
        raise ExpressionError(f"fromJSON: invalid JSON: {exc}") from None
    return value


def _to_json(args: Arguments, ctx: EvalContext) -> JSONValue:
    return to_json(args[0])


def _from_json(args: Arguments, ctx: EvalContext) -> JSONValue:
    return from_json(to_string(args[0]))


def _hash_files(args: Arguments, ctx: EvalContext) -> JSONValue:
    if ctx.workspace is None:
        raise ExpressionError("hashFiles() is not available here")
    return hash_files(ctx.workspace, [to_string(args[i]) for i in range(len(args))])


def _status(name: str) -> Callable[[Arguments, EvalContext], JSONValue]:
    def check(args: Arguments, ctx: EvalContext) -> JSONValue:
        if ctx.job_status is None:
            raise ExpressionError(f"{name}() is not available here")
        return ctx.job_status == name

    return check


def _always(args: Arguments, ctx: EvalContext) -> JSONValue:
    return True


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name.lower(): spec
    for spec in (
        FunctionSpec(name="case", min_args=3, max_args=_MAX_ARGS, call=_case),
        FunctionSpec(name="contains", min_args=2, max_args=2, call=_contains),
        FunctionSpec(name="startsWith", min_args=2, max_args=2, call=_starts_with),
        FunctionSpec(name="endsWith", min_args=2, max_args=2, call=_ends_with),
        FunctionSpec(name="format", min_args=1, max_args=_MAX_ARGS, call=_format),
        FunctionSpec(name="join", min_args=1, max_args=2, call=_join),
        FunctionSpec(name="toJSON", min_args=1, max_args=1, call=_to_json),
        FunctionSpec(name="fromJSON", min_args=1, max_args=1, call=_from_json),
        FunctionSpec(name="hashFiles", min_args=1, max_args=_MAX_ARGS, call=_hash_files),
        FunctionSpec(name="success", min_args=0, max_args=0, call=_status("success")),
        FunctionSpec(name="failure", min_args=0, max_args=0, call=_status("failure")),
        FunctionSpec(name="cancelled", min_args=0, max_args=0, call=_status("cancelled")),
        FunctionSpec(name="always", min_args=0, max_args=0, call=_always),
    )
}
"""Every function, keyed by its lower-cased name."""
