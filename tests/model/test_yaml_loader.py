from __future__ import annotations

import re

import pytest

from runner.errors import SourcePos, WorkflowErrors
from runner.model import MappingNode, ScalarNode, SequenceNode, load_yaml, read_text, to_json


def _load(text: str) -> object:
    return to_json(load_yaml(text, "f.yml"))


def _errors(text: str) -> list[str]:
    with pytest.raises(WorkflowErrors) as info:
        load_yaml(text, "f.yml")
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("on", "on"),
        ("On", "On"),
        ("off", "off"),
        ("yes", "yes"),
        ("no", "no"),
        ("Y", "Y"),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("tRUE", "tRUE"),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("~", None),
        ("", None),
        ("010", 10),
        ("0x10", 16),
        ("0xFf", 255),
        ("0o17", 15),
        ("0b101", "0b101"),
        ("1_000", "1_000"),
        ("+12", 12),
        ("-3", -3),
        ("1:20", "1:20"),
        ("1.5", 1.5),
        ("3.", 3.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("-1.5E-2", -0.015),
        ("3.10", 3.1),
        ("'010'", "010"),
        ('"true"', "true"),
        ("'null'", "null"),
        ("'3.10'", "3.10"),
        ("!!str 010", "010"),
        ("!!int '7'", 7),
        ("!!float 1", 1.0),
        ("!!bool true", True),
        ("!!null ''", None),
        ("! 12", "12"),
        ("v1.2.3", "v1.2.3"),
        ("ubuntu-latest", "ubuntu-latest"),
    ],
)
def test_scalars_resolve_by_the_yaml_1_2_core_schema(written: str, value: object) -> None:
    loaded = _load(f"k: {written}\n")
    assert loaded == {"k": value}
    assert type(loaded["k"]) is type(value)  # type: ignore[index]


@pytest.mark.parametrize("written", [".inf", "-.Inf", "+.INF", ".nan", "1e400", "!!float .NaN"])
def test_non_finite_numbers_are_refused(written: str) -> None:
    # Values travel as JSON, which has no infinity and no NaN.
    assert _errors(f"k: {written}\n") == [
        f'f.yml:1:4: k: "{written.removeprefix("!!float ")}" is not a finite number '
        "(quote it to mean the text)"
    ]
    assert _load(f"k: '{written}'\n") == {"k": written}


def test_block_scalars_are_strings() -> None:
    assert _load("a: |\n  true\nb: >-\n  010\n") == {"a": "true\n", "b": "010"}


def test_on_is_a_string_key() -> None:
    assert _load("on: push\nyes: 1\n") == {"on": "push", "yes": 1}


def test_non_string_keys_become_strings_as_written() -> None:
    assert _load("1: a\n010: b\ntrue: c\n~: d\n1.50: e\n") == {
        "1": "a",
        "010": "b",
        "true": "c",
        "~": "d",
        "1.50": "e",
    }


def test_empty_document_is_null_at_1_1() -> None:
    node = load_yaml("# just a comment\n", "f.yml")
    assert node == ScalarNode(pos=SourcePos(path="f.yml", line=1, col=1), value=None, text="")


def test_duplicate_key_is_reported_at_the_second_occurrence() -> None:
    assert _errors("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\na: 2\n") == [
        'f.yml:5:3: b: duplicate key "c" (already defined at line 3, column 3)',
        'f.yml:6:1: duplicate key "a" (already defined at line 1, column 1)',
    ]


def test_duplicate_keys_compare_as_strings() -> None:
    assert _errors("1: a\n'1': b\n") == [
        'f.yml:2:1: duplicate key "1" (already defined at line 1, column 1)'
    ]


def test_duplicate_key_problems_can_be_collected() -> None:
    problems: list[object] = []
    node = load_yaml("a: 1\na: 2\n", "f.yml", problems=problems)  # type: ignore[arg-type]
    assert to_json(node) == {"a": 1}  # the first one is kept
    assert [str(p) for p in problems] == [
        'f.yml:2:1: duplicate key "a" (already defined at line 1, column 1)'
    ]


def test_anchors_and_aliases() -> None:
    text = "base: &base\n  x: 1\nlist: &l [a, b]\ncopy: *base\nagain: *l\n"
    node = load_yaml(text, "f.yml")
    assert to_json(node) == {
        "base": {"x": 1},
        "list": ["a", "b"],
        "copy": {"x": 1},
        "again": ["a", "b"],
    }
    assert isinstance(node, MappingNode)
    assert node.value["copy"] is node.value["base"]


def test_merge_keys() -> None:
    text = (
        "a: &a {x: 1, y: 1}\n"
        "b: &b {y: 2, z: 2}\n"
        "one:\n  <<: *a\n  x: 9\n"
        "two:\n  x: 9\n  <<: [*a, *b]\n"
        "quoted:\n  '<<': 1\n"
    )
    loaded = _load(text)
    assert loaded["one"] == {"x": 9, "y": 1}  # type: ignore[index]
    assert loaded["two"] == {"x": 9, "y": 1, "z": 2}  # type: ignore[index]
    assert loaded["quoted"] == {"<<": 1}  # type: ignore[index]
    # merged keys take the place of the <<; explicit ones stay where written
    assert list(loaded["one"]) == ["y", "x"]  # type: ignore[index]


def test_merged_keys_keep_their_positions() -> None:
    node = load_yaml("a: &a\n  x: 1\nb:\n  <<: *a\n  y: 2\n", "f.yml")
    assert isinstance(node, MappingNode)
    b = node.value["b"]
    assert isinstance(b, MappingNode)
    assert b.pos_of_key("x") == SourcePos(path="f.yml", line=2, col=3)
    assert b.pos_of_key("y") == SourcePos(path="f.yml", line=5, col=3)


def test_merge_of_a_scalar_is_an_error() -> None:
    assert _errors("a:\n  <<: 1\n") == [
        "f.yml:2:7: a.<<: a merge key (<<) takes a mapping or a list of mappings"
    ]


def test_unknown_alias() -> None:
    assert _errors("a: *nope\n") == [
        'f.yml:1:4: a: invalid YAML: alias "*nope" does not refer to an earlier anchor'
    ]


def test_recursive_alias_is_refused() -> None:
    assert _errors("a: &x [1, *x]\n") == [
        'f.yml:1:11: a[1]: invalid YAML: alias "*x" does not refer to an earlier anchor'
    ]


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    errors = _errors("\n".join(lines) + "\n")
    assert len(errors) == 1
    assert "expands to more than 1000000 nodes through aliases" in errors[0]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[" * 300 + "]" * 300, "f.yml:1:201: invalid YAML: nested deeper than 200 levels"),
        (
            "".join("  " * i + "a:\n" for i in range(300)),
            "f.yml:201:401: invalid YAML: nested deeper than 200 levels",
        ),
    ],
    ids=["flow", "block"],
)
def test_nesting_deeper_than_the_limit_is_refused_where_it_passes_it(text: str, error: str) -> None:
    assert _errors(text) == [error]


def test_pathological_nesting_is_one_positioned_error_not_a_crash() -> None:
    # libyaml 0.2.6 (PyYAML 6.0.4's wheels) stops at 1,000 flow levels while scanning
    # ahead, before the composer sees level 200; earlier ones leave it to the composer.
    [error] = _errors("[" * 100_000 + "]" * 100_000)
    assert re.fullmatch(
        r"f\.yml:1:\d+: invalid YAML: "
        r"(nested deeper than 200 levels|exceeded maximum nesting depth .*)",
        error,
    ), error


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: b: c\n", "f.yml:1:5: invalid YAML: mapping values are not allowed in this context"),
        (
            "on: [push\njobs: {}\n",
            "f.yml:2:5: invalid YAML: did not find expected ',' or ']' "
            "(while parsing a flow sequence at line 1, column 5)",
        ),
        (
            "a:\n\tb: 1\n",
            "f.yml:2:1: invalid YAML: found character that cannot start any token "
            "(while scanning for the next token at line 2, column 1)",
        ),
        (
            "a: 'open\n",
            "f.yml:2:1: invalid YAML: found unexpected end of stream "
            "(while scanning a quoted scalar at line 1, column 4)",
        ),
        ("a: 1\n---\nb: 2\n", "f.yml:2:1: invalid YAML: expected one document, found a second one"),
        ("a: \x00\n", "f.yml:1:4: invalid YAML: control characters are not allowed"),
        ("a: \ud800\n", "f.yml:1:4: invalid YAML: the text is not valid Unicode"),
        ("a: !!int abc\n", 'f.yml:1:4: a: "abc" is not a valid !!int'),
        ("a: !!binary aGk=\n", 'f.yml:1:4: a: unsupported tag "!!binary"'),
        ("a: !custom x\n", 'f.yml:1:4: a: unsupported tag "!custom"'),
        ("a: !custom [x]\n", 'f.yml:1:4: a: unsupported tag "!custom"'),
        ("? [a]\n: 1\n", "f.yml:1:3: a mapping key must be a plain value, not a list"),
    ],
)
def test_yaml_errors_have_positions(text: str, error: str) -> None:
    assert _errors(text) == [error]


def test_node_positions() -> None:
    text = "jobs:\n  build:\n    steps:\n      - run: echo\n        name: x\n"
    root = load_yaml(text, "ci.yml")
    assert isinstance(root, MappingNode)
    assert root.pos == SourcePos(path="ci.yml", line=1, col=1)
    jobs = root.value["jobs"]
    assert isinstance(jobs, MappingNode)
    assert jobs.pos == SourcePos(path="ci.yml", line=2, col=3)
    assert jobs.pos_of_key("build") == SourcePos(path="ci.yml", line=2, col=3)
    build = jobs.value["build"]
    assert isinstance(build, MappingNode)
    steps = build.value["steps"]
    assert isinstance(steps, SequenceNode)
    step = steps.value[0]
    assert isinstance(step, MappingNode)
    assert step.pos == SourcePos(path="ci.yml", line=4, col=9)
    assert step.value["name"].pos == SourcePos(path="ci.yml", line=5, col=15)
    assert step.pos_of_key("name") == SourcePos(path="ci.yml", line=5, col=9)


@pytest.mark.parametrize(
    ("text", "offset", "line", "col"),
    [
        ("k: abc def\n", 4, 1, 8),
        ("k: 'abc def'\n", 4, 1, 9),
        ('k: "abc def"\n', 4, 1, 9),
        ('k: "a\\tb def"\n', 4, 1, 4),  # an escape: offsets no longer map to columns
        ("k: |\n  one\n   two\n", 5, 3, 4),
        ("k: >\n  one\n  two\n", 5, 1, 4),  # folded: unknown, the node's start
    ],
)
def test_pos_at_maps_value_offsets_to_columns(text: str, offset: int, line: int, col: int) -> None:
    root = load_yaml(text, "f.yml")
    assert isinstance(root, MappingNode)
    value = root.value["k"]
    assert isinstance(value, ScalarNode)
    assert value.pos_at(offset) == SourcePos(path="f.yml", line=line, col=col)


def test_read_text_strips_a_bom(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "a.yml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_text(path) == "a: 1\n"


def test_read_text_reports_bad_utf8_with_its_position(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "a.yml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(WorkflowErrors) as info:
        read_text(path)
    assert str(info.value) == f"{path}:2:4: the file is not valid UTF-8"


def test_read_text_of_a_missing_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "nope.yml"
    with pytest.raises(WorkflowErrors) as info:
        read_text(path)
    assert str(info.value) == f"cannot read {path}: No such file or directory"


def test_without_libyaml_the_tree_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "on: push\na: &a {x: [1, '2', 0x3]}\nb:\n  <<: *a\n  y: |\n    text\n"
    with_libyaml = load_yaml(text, "f.yml")
    monkeypatch.setattr("yaml.__with_libyaml__", False)
    assert load_yaml(text, "f.yml") == with_libyaml
