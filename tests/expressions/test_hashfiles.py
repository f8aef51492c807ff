"""hashFiles(): GitHub's glob rules, file order and digest."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest

from runner.expressions import EvalContext, ExpressionError, evaluate

if TYPE_CHECKING:
    from pathlib import Path


def expected_hash(*contents: bytes) -> str:
    total = hashlib.sha256()
    for content in contents:
        total.update(hashlib.sha256(content).digest())
    return total.hexdigest()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    files = {
        "a.txt": b"A",
        "a-b": b"AB",
        "a/b.txt": b"B",
        "a/c/d.txt": b"D",
        ".hidden/x.txt": b"X",
        "src/[x].txt": b"Q",
        "pkg/package-lock.json": b"L1",
        "pkg/sub/package-lock.json": b"L2",
    }
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return tmp_path


def hash_files(workspace: Path, *patterns: str) -> str:
    args = ", ".join("'" + p.replace("'", "''") + "'" for p in patterns)
    result = evaluate(f"hashFiles({args})", EvalContext(contexts={}, workspace=str(workspace)))
    assert isinstance(result, str)
    return result


def test_single_file(workspace: Path) -> None:
    assert hash_files(workspace, "a.txt") == expected_hash(b"A")
    assert hash_files(workspace, "./a.txt") == expected_hash(b"A")


def test_no_match_is_empty_string(workspace: Path) -> None:
    assert hash_files(workspace, "**/nothing", "nope/*") == ""


def test_globstar_matches_any_depth_including_dot_directories(workspace: Path) -> None:
    assert hash_files(workspace, "**/*.txt") == expected_hash(b"X", b"B", b"D", b"A", b"Q")


def test_files_are_hashed_depth_first_in_byte_order(workspace: Path) -> None:
    # "a" < "a-b" < "a.txt" by bytes, and a directory's files come right after it:
    # not the order of sorting whole paths ("a-b" < "a.txt" < "a/b.txt").
    assert hash_files(workspace, "a*") == expected_hash(b"B", b"D", b"AB", b"A")


def test_a_pattern_matching_a_directory_includes_everything_below(workspace: Path) -> None:
    assert hash_files(workspace, "a") == expected_hash(b"B", b"D")
    assert hash_files(workspace, "a/") == expected_hash(b"B", b"D")


def test_exclusions_apply_in_order(workspace: Path) -> None:
    assert hash_files(workspace, "**/*.txt", "!a/**") == expected_hash(b"X", b"A", b"Q")
    # An exclusion before the inclusion it would cancel has no effect.
    assert hash_files(workspace, "!a/**", "**/*.txt") == expected_hash(b"X", b"B", b"D", b"A", b"Q")
    assert hash_files(workspace, "**/package-lock.json", "!pkg/sub/**") == expected_hash(b"L1")


def test_patterns_in_one_argument_split_on_newlines_and_skip_comments(workspace: Path) -> None:
    assert hash_files(workspace, "# comment\n  a.txt  \n\n!a.txt\na-b") == expected_hash(b"AB")


def test_escaped_and_bracketed_literals(workspace: Path) -> None:
    assert hash_files(workspace, "src/\\[x].txt") == expected_hash(b"Q")
    assert hash_files(workspace, "src/[[]x].txt") == expected_hash(b"Q")
    assert hash_files(workspace, "src/[!y]x].txt") == expected_hash(b"Q")  # "[" is not "y"
    assert hash_files(workspace, "src/[!\\[]*") == ""
    assert hash_files(workspace, "?.txt") == expected_hash(b"A")


def test_absolute_patterns_inside_the_workspace(workspace: Path) -> None:
    root = os.path.realpath(workspace)
    assert hash_files(workspace, f"{root}/a.txt") == expected_hash(b"A")
    assert hash_files(workspace, "/**/a/b.txt") == expected_hash(b"B")
    assert hash_files(workspace, "/definitely/elsewhere/**") == ""


def test_symlinks_are_not_followed_unless_asked(workspace: Path) -> None:
    (workspace / "link").symlink_to(workspace / "a", target_is_directory=True)
    (workspace / "filelink").symlink_to(workspace / "a.txt")
    assert hash_files(workspace, "link/**") == ""
    assert hash_files(workspace, "--follow-symbolic-links", "link/**") == expected_hash(b"B", b"D")
    # A symlink to a file is hashed by its target's content either way.
    assert hash_files(workspace, "filelink") == expected_hash(b"A")


def test_symlink_cycles_end(workspace: Path) -> None:
    (workspace / "a" / "loop").symlink_to(workspace / "a", target_is_directory=True)
    assert hash_files(workspace, "--follow-symbolic-links", "a/**/*.txt") == expected_hash(
        b"B", b"D"
    )


def test_broken_symlink_is_an_error(workspace: Path) -> None:
    (workspace / "broken").symlink_to(workspace / "missing")
    with pytest.raises(ExpressionError, match="cannot hash"):
        hash_files(workspace, "broken")


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (("../x",), "relative pathing"),
        (("a/./b",), "relative pathing"),
        (("--follow",), "invalid glob option --follow"),
        (("!",), "it is empty"),
    ],
)
def test_bad_patterns(workspace: Path, patterns: tuple[str, ...], message: str) -> None:
    with pytest.raises(ExpressionError, match=message) as info:
        hash_files(workspace, *patterns)
    assert info.value.offset == 0


def test_missing_workspace_hashes_nothing(tmp_path: Path) -> None:
    assert hash_files(tmp_path / "absent", "**") == ""
