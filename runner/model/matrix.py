"""Matrix expansion with GitHub's exact semantics and order.

1. The cartesian product of the matrix keys in declaration order: the first
   key varies slowest. These keys are the *original* values of a combination.
2. `exclude`: drop every combination that matches an entry on every key the
   entry names (JSON equality, objects compared deeply).
3. `include`, entry by entry: merge the entry into every combination whose
   original values it does not overwrite (keys added by an earlier include may
   be overwritten). An entry that fits no combination becomes a combination of
   its own, after all the others; such new combinations are never merged into.
   So a matrix of only `include` is exactly its entries.

GitHub allows at most 256 combinations.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from runner import json_text
from runner.errors import WorkflowError
from runner.model.validate import scalar_text

if TYPE_CHECKING:
    from runner.expressions.values import JSONValue

MAX_COMBINATIONS = 256
# The product is built before exclude trims it; refuse one too big to build.
_MAX_PRODUCT = 65_536


def expand_matrix(matrix: Mapping[str, JSONValue]) -> list[dict[str, JSONValue]]:
    """Every combination of `matrix` (already evaluated: no expressions left), in GitHub's order.

    Raises WorkflowError (without a position: the caller knows where the
    matrix is) for a malformed matrix, an empty result or more than 256
    combinations.
    """
    if not isinstance(matrix, Mapping):
        raise WorkflowError(f"a matrix must be a mapping, not {_kind(matrix)}")
    vectors: dict[str, list[JSONValue]] = {}
    include: list[dict[str, JSONValue]] = []
    exclude: list[dict[str, JSONValue]] = []
    for key, values in matrix.items():
        if key == "include":
            include = _entries(values, "include")
        elif key == "exclude":
            exclude = _entries(values, "exclude")
        elif not isinstance(values, list) or not values:
            shown = "an empty list" if values == [] else _kind(values)
            raise WorkflowError(f'matrix key "{key}" must be a non-empty list, not {shown}')
        else:
            vectors[key] = values
    if not vectors and not include:
        raise WorkflowError('a matrix needs at least one key with a list of values, or "include"')
    for entry in exclude:
        for key in entry:
            if key not in vectors:
                known = ", ".join(vectors) or "none"
                raise WorkflowError(
                    f'exclude key "{key}" is not a key of the matrix (its keys: {known})'
                )

    size = math.prod(len(values) for values in vectors.values())
    if size > _MAX_PRODUCT:
        raise WorkflowError(
            f"the matrix has {size} combinations; at most {MAX_COMBINATIONS} are allowed"
        )
    combos: list[dict[str, JSONValue]] = []
    if vectors:
        keys = list(vectors)
        for picked in itertools.product(*vectors.values()):
            combo = dict(zip(keys, picked, strict=True))
            if not any(_matches(combo, entry) for entry in exclude):
                combos.append(combo)

    added: list[dict[str, JSONValue]] = []
    for entry in include:
        fitted = False
        for combo in combos:
            if all(key not in vectors or json_equal(combo[key], v) for key, v in entry.items()):
                combo.update((k, v) for k, v in entry.items() if k not in vectors)
                fitted = True
        if not fitted:
            added.append(dict(entry))
    result = combos + added

    if not result:
        raise WorkflowError("the matrix has no combinations left: exclude removed them all")
    if len(result) > MAX_COMBINATIONS:
        raise WorkflowError(
            f"the matrix has {len(result)} combinations; at most {MAX_COMBINATIONS} are allowed"
        )
    # Combinations share values with the matrix: copy so a caller may change one.
    return copy.deepcopy(result)


def matrix_filter(
    combos: list[dict[str, JSONValue]], filters: Mapping[str, Sequence[str]]
) -> list[int]:
    """The indices of the combinations the CLI's `--matrix key:value` keeps, as act does.

    A combination is kept when, for every filtered key it has, its value reads
    as one of the filter's strings (a repeated `--matrix` for one key means any
    of its values). A combination without the key is kept. A key may be a
    dotted path into an object value (`os.name`). Values compare as strings
    (`3.10` the number reads "3.1": quote versions in the matrix, as GitHub
    advises).
    """
    kept: list[int] = []
    for index, combo in enumerate(combos):
        looked_up = {key: _lookup(combo, key) for key in filters}
        if all(
            not found or _text(value) in filters[key] for key, (found, value) in looked_up.items()
        ):
            kept.append(index)
    return kept


def matrix_values(combos: list[dict[str, JSONValue]], key: str) -> list[str]:
    """The distinct values of `key` (a dotted path allowed) across `combos`, as `--matrix`
    reads them, in order; empty when no combination has the key."""
    values: list[str] = []
    for combo in combos:
        found, value = _lookup(combo, key)
        if found and (text := _text(value)) not in values:
            values.append(text)
    return values


def contains_expression(value: JSONValue) -> bool:
    """Whether a `${{` appears anywhere in `value`: in a string, a key or below."""
    if isinstance(value, str):
        return "${{" in value
    if isinstance(value, list):
        return any(contains_expression(item) for item in value)
    if isinstance(value, dict):
        return any("${{" in key or contains_expression(item) for key, item in value.items())
    return False


def _lookup(combo: Mapping[str, JSONValue], key: str) -> tuple[bool, JSONValue]:
    """(found, value) of `combo[key]`, or for a dotted key of the value at that path."""
    if key in combo:
        return True, combo[key]
    value: JSONValue = dict(combo)
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def json_equal(a: JSONValue, b: JSONValue) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, objects and lists compare deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None


def _matches(combo: Mapping[str, JSONValue], entry: Mapping[str, JSONValue]) -> bool:
    return all(key in combo and json_equal(combo[key], value) for key, value in entry.items())


def _entries(values: JSONValue, key: str) -> list[dict[str, JSONValue]]:
    if not isinstance(values, list):
        raise WorkflowError(f'matrix "{key}" must be a list of mappings, not {_kind(values)}')
    for entry in values:
        if not isinstance(entry, dict):
            raise WorkflowError(f'each matrix "{key}" entry must be a mapping, not {_kind(entry)}')
    return [entry for entry in values if isinstance(entry, dict)]


def _text(value: JSONValue) -> str:
    if isinstance(value, list | dict):
        return json_text.dumps(value)
    return scalar_text(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return f'a string "{value}"'
    if isinstance(value, list):
        return "a list"
    return "a mapping"
