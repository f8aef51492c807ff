"""The catalog: skills across files, their calls checked, cycles found at load time."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from runner.errors import RunError
from runner.skills import SkillCatalogs, build_catalog, load_catalog, skill_files
from tests.skills.conftest import EXAMPLES, write_skill

if TYPE_CHECKING:
    from pathlib import Path


def test_the_examples_make_a_valid_catalog() -> None:
    catalog = load_catalog([EXAMPLES])
    assert catalog.errors == ()
    assert list(catalog.skills) == ["text.classify", "text.report", "text.summarize"]
    # Folders with a skill.yml count; other folders (workflows/) and files do not.
    assert [p.relative_to(EXAMPLES.resolve()).as_posix() for p in catalog.files] == [
        "text-classify/skill.yml",
        "text-report/skill.yml",
        "text-summarize/skill.yml",
    ]


def test_calls_are_checked_against_the_called_skill(skills_dir: Path) -> None:
    write_skill(
        skills_dir,
        "leaf",
        """
        id: leaf
        inputs:
          need: {required: true}
          opt: {default: x}
        steps: [{run: echo}]
    """,
    )
    write_skill(
        skills_dir,
        "callers",
        """
        id: callers
        steps:
          - skill: leef
          - skill: leaf
            with: {need: 1, nope: 2}
          - skill: leaf
            with: {opt: 1}
    """,
    )
    catalog = build_catalog(skill_files([skills_dir]))
    # One problem per call, each where its `skill:` is written; the skill is not usable.
    assert [str(e) for e in catalog.errors] == [
        f"{skills_dir / 'callers.yml'}:4:12: steps[0].skill: unknown skill 'leef' "
        '(did you mean "leaf"?)',
        f"{skills_dir / 'callers.yml'}:5:12: steps[1].skill: skill 'leaf' has no input 'nope' "
        "(its inputs: need, opt)",
        f"{skills_dir / 'callers.yml'}:7:12: steps[2].skill: skill 'leaf' requires input 'need'",
    ]
    assert list(catalog.skills) == ["leaf"]
    with pytest.raises(RunError, match=r"skill 'callers' is not valid: .*callers.yml:4:12"):
        catalog.require("callers")
    with pytest.raises(RunError, match=r"unknown skill 'lea' \(did you mean \"leaf\"\?\)"):
        catalog.require("lea")


def test_cycles_are_reported_once_as_their_path(skills_dir: Path) -> None:
    write_skill(skills_dir, "a", "id: a\nsteps:\n  - run: echo\n  - skill: b\n")
    write_skill(skills_dir, "b", "id: b\nsteps:\n  - skill: c\n")
    write_skill(skills_dir, "c", "id: c\nsteps:\n  - skill: a\n")
    write_skill(skills_dir, "self", "id: self\nsteps:\n  - skill: self\n")
    write_skill(skills_dir, "user", "id: user\nsteps:\n  - skill: b\n")
    write_skill(skills_dir, "fine", "id: fine\nsteps:\n  - run: echo\n")
    catalog = build_catalog(skill_files([skills_dir]))
    assert [str(e) for e in catalog.errors] == [
        f"{skills_dir / 'a.yml'}:4:12: steps[1].skill: skill calls form a cycle: a -> b -> c -> a",
        f"{skills_dir / 'self.yml'}:3:12: steps[0].skill: skill calls form a cycle: self -> self",
        f"{skills_dir / 'user.yml'}:3:12: steps[0].skill: calls skill 'b', which is not valid",
    ]
    assert list(catalog.skills) == ["fine"]
    assert "cycle: a -> b -> c -> a" in catalog.missing_reason("a")


def test_duplicates_and_broken_files(tmp_path: Path, skills_dir: Path) -> None:
    other = tmp_path / "other"
    write_skill(skills_dir, "one", "id: same\nsteps: [{run: echo one}]\n")
    write_skill(other, "two", "id: same\nsteps: [{run: echo two}]\n")
    write_skill(skills_dir, "broken", "id: broken\nsteps: [{run: echo, gate: 3}]\n")
    write_skill(skills_dir, "calls-broken", "id: calls-broken\nsteps: [{skill: broken}]\n")
    catalog = build_catalog(skill_files([skills_dir, other]))
    assert [str(e) for e in catalog.errors] == [  # sorted by file
        f'{other / "two.yml"}:1:1: id: duplicate skill id "same" (already defined in '
        f"{skills_dir / 'one.yml'}); this file is ignored",
        f"{skills_dir / 'broken.yml'}:2:27: steps[0].gate: a gate must be a mapping, not a number",
        f"{skills_dir / 'calls-broken.yml'}:2:17: steps[0].skill: calls skill 'broken', which is "
        "not valid",
    ]
    assert catalog.skills["same"].path == str(skills_dir / "one.yml")
    assert "a gate must be a mapping" in catalog.missing_reason("broken")


def test_loading_is_cached_until_a_file_changes(skills_dir: Path) -> None:
    path = write_skill(skills_dir, "s", "id: s\nsteps: [{run: echo one}]\n")
    catalogs = SkillCatalogs()
    first = catalogs.load([skills_dir])
    assert catalogs.load([skills_dir]) is first
    path.write_text("id: s\ndescription: changed\nsteps: [{run: echo two}]\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = catalogs.load([skills_dir])
    assert second is not first
    assert second.skills["s"].description == "changed"
    write_skill(skills_dir, "t", "id: t\nsteps: [{run: echo}]\n")
    assert list(catalogs.load([skills_dir]).skills) == ["s", "t"]


def test_missing_dirs_are_empty(tmp_path: Path) -> None:
    catalog = load_catalog([tmp_path / "nowhere"])
    assert (catalog.skills, catalog.errors) == ({}, ())
    assert catalog.missing_reason("x") == "unknown skill 'x' (known skills: none)"
