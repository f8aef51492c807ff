"""Scalars resolved by the YAML 1.2 core schema, as GitHub reads them (not PyYAML's YAML 1.1).

Only true/false in three spellings are booleans (`on`, `yes`, `off` are
strings), `010` is the decimal 10, `0o`/`0x` prefix octal and hexadecimal, and
`.inf`/`.nan` are floats. Quoted and block scalars never get here: they are strings.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.model.yaml_nodes import Scalar

TAG_PREFIX = "tag:yaml.org,2002:"

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NANS = frozenset({".nan", ".NaN", ".NAN"})


def resolve_plain(text: str) -> Scalar:
    """Resolve a plain scalar as YAML 1.2's core schema does."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if _INT.fullmatch(text):
        return int(text, 10)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if text in _NANS:
        return math.nan
    return text


def resolve_tagged(tag: str, text: str) -> Scalar:
    """Resolve an explicitly tagged scalar, raising ValueError when it does not fit the tag."""
    if tag in ("!", f"{TAG_PREFIX}str"):
        return text
    value = resolve_plain(text)
    kinds: dict[str, tuple[type, ...]] = {
        f"{TAG_PREFIX}null": (type(None),),
        f"{TAG_PREFIX}bool": (bool,),
        f"{TAG_PREFIX}int": (int,),
        f"{TAG_PREFIX}float": (float, int),
    }
    wanted = kinds.get(tag)
    if wanted is None:
        raise ValueError(f'unsupported tag "{shown_tag(tag)}"')
    if not isinstance(value, wanted) or (bool not in wanted and isinstance(value, bool)):
        raise ValueError(f'"{text}" is not a valid {shown_tag(tag)}')
    if tag == f"{TAG_PREFIX}float" and isinstance(value, int):
        return float(value)
    return value


def shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(TAG_PREFIX) if tag.startswith(TAG_PREFIX) else tag
