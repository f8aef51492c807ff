"""Matrix expansion against GitHub's documented examples ("Using a matrix for your jobs")."""

from __future__ import annotations

from typing import Any

import pytest

from runner.errors import WorkflowError
from runner.model import MAX_COMBINATIONS, expand_matrix, matrix_filter, matrix_values


def test_single_dimension() -> None:
    assert expand_matrix({"version": [10, 12, 14]}) == [
        {"version": 10},
        {"version": 12},
        {"version": 14},
    ]


def test_first_key_varies_slowest() -> None:
    # The docs: "the above matrix will create the jobs in the following order:
    # {version: 10, os: ubuntu-latest}, {version: 10, os: windows-latest}, {version: 12, ...}"
    matrix = {"version": [10, 12, 14], "os": ["ubuntu-latest", "windows-latest"]}
    assert expand_matrix(matrix) == [
        {"version": 10, "os": "ubuntu-latest"},
        {"version": 10, "os": "windows-latest"},
        {"version": 12, "os": "ubuntu-latest"},
        {"version": 12, "os": "windows-latest"},
        {"version": 14, "os": "ubuntu-latest"},
        {"version": 14, "os": "windows-latest"},
    ]


def test_include_docs_example_fruit_and_animal() -> None:
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    assert expand_matrix(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_include_expands_a_matching_combination() -> None:
    matrix = {
        "os": ["windows-latest", "ubuntu-latest"],
        "node": [14, 16],
        "include": [{"os": "windows-latest", "node": 16, "npm": 6}],
    }
    assert expand_matrix(matrix) == [
        {"os": "windows-latest", "node": 14},
        {"os": "windows-latest", "node": 16, "npm": 6},
        {"os": "ubuntu-latest", "node": 14},
        {"os": "ubuntu-latest", "node": 16},
    ]


def test_include_that_would_overwrite_an_original_value_is_a_new_combination() -> None:
    matrix = {
        "os": ["windows-latest", "ubuntu-latest"],
        "node": [14, 16],
        "include": [{"os": "windows-latest", "node": 17}],
    }
    assert expand_matrix(matrix) == [
        {"os": "windows-latest", "node": 14},
        {"os": "windows-latest", "node": 16},
        {"os": "ubuntu-latest", "node": 14},
        {"os": "ubuntu-latest", "node": 16},
        {"os": "windows-latest", "node": 17},
    ]


def test_include_only() -> None:
    matrix = {
        "include": [
            {"site": "production", "datacenter": "site-a"},
            {"site": "staging", "datacenter": "site-b"},
        ]
    }
    assert expand_matrix(matrix) == [
        {"site": "production", "datacenter": "site-a"},
        {"site": "staging", "datacenter": "site-b"},
    ]


def test_include_only_entries_are_never_merged_into_each_other() -> None:
    assert expand_matrix({"include": [{"a": 1}, {"b": 2}, {"a": 1}]}) == [
        {"a": 1},
        {"b": 2},
        {"a": 1},
    ]


def test_exclude_docs_example() -> None:
    matrix = {
        "os": ["macos-latest", "windows-latest"],
        "version": [12, 14, 16],
        "environment": ["staging", "production"],
        "exclude": [
            {"os": "macos-latest", "version": 12, "environment": "production"},
            {"os": "windows-latest", "version": 16},
        ],
    }
    combos = expand_matrix(matrix)
    assert len(combos) == 9
    assert {"os": "macos-latest", "version": 12, "environment": "production"} not in combos
    assert all(not (c["os"] == "windows-latest" and c["version"] == 16) for c in combos)
    assert combos[0] == {"os": "macos-latest", "version": 12, "environment": "staging"}
    assert combos[1] == {"os": "macos-latest", "version": 14, "environment": "staging"}


def test_exclude_runs_before_include() -> None:
    matrix = {
        "os": ["a", "b"],
        "exclude": [{"os": "a"}],
        "include": [{"os": "a", "extra": 1}, {"extra2": 2}],
    }
    # the include for os=a cannot join the excluded combination, so it stands alone
    assert expand_matrix(matrix) == [{"os": "b", "extra2": 2}, {"os": "a", "extra": 1}]


def test_include_can_overwrite_what_an_earlier_include_added() -> None:
    matrix = {
        "os": ["a", "b"],
        "include": [{"color": "green"}, {"os": "a", "color": "red"}],
    }
    assert expand_matrix(matrix) == [
        {"os": "a", "color": "red"},
        {"os": "b", "color": "green"},
    ]


def test_object_values_compare_deeply() -> None:
    matrix = {
        "os": ["ubuntu", "macos"],
        "node": [{"version": 14}, {"version": 20, "env": "legacy"}],
        "exclude": [{"os": "macos", "node": {"version": 20, "env": "legacy"}}],
        "include": [{"node": {"version": 14}, "note": "old"}],
    }
    assert expand_matrix(matrix) == [
        {"os": "ubuntu", "node": {"version": 14}, "note": "old"},
        {"os": "ubuntu", "node": {"version": 20, "env": "legacy"}},
        {"os": "macos", "node": {"version": 14}, "note": "old"},
    ]


def test_json_equality_is_used_for_matching() -> None:
    matrix = {"n": [1, True, "1"], "exclude": [{"n": 1.0}]}
    assert expand_matrix(matrix) == [{"n": True}, {"n": "1"}]


def test_partial_exclude_matches_every_combination_it_names() -> None:
    matrix = {"a": [1, 2], "b": [1, 2], "exclude": [{"b": 2}]}
    assert expand_matrix(matrix) == [{"a": 1, "b": 1}, {"a": 2, "b": 1}]


def test_combinations_are_copies() -> None:
    matrix = {"a": [{"x": [1]}]}
    combos = expand_matrix(matrix)
    combos[0]["a"]["x"].append(2)  # type: ignore[index,union-attr]
    assert matrix == {"a": [{"x": [1]}]}


def test_256_combinations_are_allowed() -> None:
    assert (
        len(expand_matrix({"a": list(range(16)), "b": list(range(16))})) == MAX_COMBINATIONS == 256
    )


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (
            {"a": list(range(16)), "b": list(range(16)), "include": [{"a": 99}]},
            "the matrix has 257 combinations; at most 256 are allowed",
        ),
        (
            {"include": [{"i": i} for i in range(300)]},
            "the matrix has 300 combinations; at most 256 are allowed",
        ),
        (
            {f"k{i}": list(range(10)) for i in range(6)},
            "the matrix has 1000000 combinations; at most 256 are allowed",
        ),
        (
            {"a": [1], "exclude": [{"a": 1}]},
            "the matrix has no combinations left: exclude removed them all",
        ),
        ({}, 'a matrix needs at least one key with a list of values, or "include"'),
        (
            {"exclude": [{"a": 1}]},
            'a matrix needs at least one key with a list of values, or "include"',
        ),
        ({"a": []}, 'matrix key "a" must be a non-empty list, not an empty list'),
        ({"a": "x"}, 'matrix key "a" must be a non-empty list, not a string "x"'),
        (
            {"a": [1], "include": {"a": 1}},
            'matrix "include" must be a list of mappings, not a mapping',
        ),
        ({"a": [1], "exclude": [1]}, 'each matrix "exclude" entry must be a mapping, not a number'),
        (
            {"a": [1], "exclude": [{"b": 1}]},
            'exclude key "b" is not a key of the matrix (its keys: a)',
        ),
    ],
)
def test_invalid_matrices(matrix: dict[str, object], message: str) -> None:
    with pytest.raises(WorkflowError) as info:
        expand_matrix(matrix)  # type: ignore[arg-type]
    assert info.value.message == message
    assert info.value.pos is None


def test_a_matrix_that_is_not_a_mapping() -> None:
    with pytest.raises(WorkflowError, match="a matrix must be a mapping, not a list"):
        expand_matrix([1])  # type: ignore[arg-type]


def test_matrix_filter_compares_as_strings() -> None:
    combos = expand_matrix(
        {"os": ["ubuntu", "macos"], "py": ["3.11", 3.12], "debug": [True, False]}
    )
    kept = matrix_filter(combos, {"os": ("macos",), "py": ("3.12",), "debug": ("true",)})
    assert [combos[i] for i in kept] == [{"os": "macos", "py": 3.12, "debug": True}]
    assert matrix_filter(combos, {"os": ("windows",)}) == []
    assert matrix_filter(combos, {}) == list(range(len(combos)))


def test_matrix_filter_keeps_combinations_without_the_key_as_act_does() -> None:
    combos = [{"os": "a"}, {"os": "b"}, {"extra": 1}]
    assert matrix_filter(combos, {"os": ("b",)}) == [1, 2]
    assert matrix_filter(combos, {"missing": ("x",)}) == [0, 1, 2]


def test_matrix_filter_repeated_for_a_key_means_any_of_its_values() -> None:
    combos = expand_matrix({"py": ["3.10", "3.11", "3.12"]})
    assert matrix_filter(combos, {"py": ("3.10", "3.12")}) == [0, 2]


def test_matrix_filter_on_numbers_and_objects() -> None:
    combos: list[dict[str, Any]] = [{"n": 1.0}, {"n": 2}, {"n": {"a": 1}}]
    assert matrix_filter(combos, {"n": ("1",)}) == [0]
    assert matrix_filter(combos, {"n": ('{"a":1}',)}) == [2]


def test_matrix_filter_by_a_dotted_path_into_object_values() -> None:
    combos = expand_matrix(
        {"os": [{"name": "ubuntu", "arch": "x64"}, {"name": "macos", "arch": "arm64"}]}
    )
    assert matrix_filter(combos, {"os.name": ("ubuntu",)}) == [0]
    assert matrix_values(combos, "os.arch") == ["x64", "arm64"]
    dotted_key = [{"os.name": "literal", "os": {"name": "nested"}}]
    assert matrix_filter(dotted_key, {"os.name": ("literal",)}) == [0]
