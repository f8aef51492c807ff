"""Property access, indexing and object filters (``.name``, ``[i]``, ``.*``).

An access yields ``(value, filtered)``. ``filtered`` marks the array an object
filter made (``needs.*.result``): applying ``.name`` to it maps over its items,
keeping only the objects that have the key, and ``.*`` flattens it one level,
as in GitHub. Parentheses end a filter: ``(a.*.b)[0]`` is the first element.

Where nektos/act and GitHub differ, the conformance data pins act's choice:

* ``.name`` on a plain array maps over it too (act: ``fromJSON('[...]').key``);
* a fractional array index is null rather than floored (``[1.1]``);
* a filter over something that is neither object nor array is null, not [].
"""

from __future__ import annotations

import math

from runner.expressions.values import JSONValue, fold, is_primitive, to_number, to_string

_MAX_INDEX = 2**31 - 1


def lookup(obj: dict[str, JSONValue], key: str) -> tuple[bool, JSONValue]:
    """(found, value) for ``key`` in ``obj``, compared case-insensitively like GitHub's objects."""
    if key in obj:
        return True, obj[key]
    wanted = fold(key)
    for name, value in obj.items():
        if fold(name) == wanted:
            return True, value
    return False, None


def array_index(key: JSONValue) -> int | None:
    """``key`` as an array index, or None when it is not a whole, non-negative number."""
    number = to_number(key)
    if not math.isfinite(number) or number < 0 or not number.is_integer() or number > _MAX_INDEX:
        return None
    return int(number)


def get_property(base: JSONValue, name: str) -> tuple[JSONValue, bool]:
    """``base.name``; on an array (filtered or not) it maps over the objects in it."""
    if isinstance(base, list):
        picked: list[JSONValue] = []
        for item in base:
            if isinstance(item, dict):
                found, value = lookup(item, name)
                if found:
                    picked.append(value)
        return picked, True
    if isinstance(base, dict):
        return lookup(base, name)[1], False
    return None, False


def get_index(base: JSONValue, key: JSONValue, filtered: bool) -> tuple[JSONValue, bool]:
    """``base[key]``."""
    if filtered and isinstance(base, list):
        picked: list[JSONValue] = []
        for item in base:
            if isinstance(item, dict) and is_primitive(key):
                found, value = lookup(item, to_string(key))
                if found:
                    picked.append(value)
            elif isinstance(item, list) and (i := array_index(key)) is not None and i < len(item):
                picked.append(item[i])
        return picked, True
    if isinstance(base, dict):
        return (lookup(base, to_string(key))[1] if is_primitive(key) else None), False
    if isinstance(base, list):
        if isinstance(key, str) and math.isnan(to_number(key)):
            return get_property(base, key)
        i = array_index(key)
        return (base[i] if i is not None and i < len(base) else None), False
    return None, False


def get_wildcard(base: JSONValue, filtered: bool) -> tuple[JSONValue, bool]:
    """``base.*``: the values of an object, the items of an array."""
    if filtered and isinstance(base, list):
        flat: list[JSONValue] = []
        for item in base:
            if isinstance(item, dict):
                flat.extend(item.values())
            elif isinstance(item, list):
                flat.extend(item)
        return flat, True
    if isinstance(base, dict):
        return list(base.values()), True
    if isinstance(base, list):
        return list(base), True
    return None, False
