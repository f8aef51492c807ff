"""The skills in the skill dirs, checked against each other.

A skill dir holds skill files directly (`<dir>/*.yml`) or one skill per
folder (`<dir>/<name>/skill.yml`, beside the scripts it runs). Each file is
parsed on its own (runner.model.skill); the catalog then checks what spans
files, reporting each problem at file:line:col:

* ids are unique (the first in skill-dir order wins);
* every `skill:` step names a skill that exists, gives only inputs that skill
  declares and every input it requires;
* calls never form a cycle (each cycle is reported once, as its path);
* a skill that calls an invalid skill is invalid too.

Only valid skills can run. A SkillCatalogs (one per run; the daemon's in runner.definitions)
keeps each catalog until a file's size or mtime changes, so asking for the catalog on every request costs a few stat() calls.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.errors import RunError, WorkflowError, WorkflowErrors
from runner.model import load_skill

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from runner.model import Skill, SkillCall

SKILL_SUFFIXES = (".yml", ".yaml")
SKILL_FILE_NAMES = ("skill.yml", "skill.yaml")


@dataclass(frozen=True, slots=True, kw_only=True)
class SkillCatalog:
    """Valid skills by id (sorted), and every problem found in the skill files."""

    skills: Mapping[str, Skill] = field(default_factory=dict)
    errors: tuple[WorkflowError, ...] = ()
    files: tuple[Path, ...] = ()
    invalid: Mapping[str, tuple[WorkflowError, ...]] = field(default_factory=dict)

    def get(self, skill_id: str) -> Skill | None:
        return self.skills.get(skill_id)

    def require(self, skill_id: str) -> Skill:
        """The valid skill `skill_id`; RunError saying why not (invalid, or unknown + hints)."""
        skill = self.skills.get(skill_id)
        if skill is not None:
            return skill
        raise RunError(self.missing_reason(skill_id))

    def missing_reason(self, skill_id: str) -> str:
        problems = self.invalid.get(skill_id)
        if problems:
            return f"skill {skill_id!r} is not valid: " + "; ".join(str(e) for e in problems)
        import difflib  # only for a mistake: not on every start-up

        close = difflib.get_close_matches(skill_id, list(self.skills), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        known = ", ".join(self.skills) or "none"
        return f"unknown skill {skill_id!r}{hint} (known skills: {known})"


def skill_files(dirs: Iterable[Path]) -> list[Path]:
    """Every skill file in `dirs`, in dir order then name order, each once."""
    found: dict[Path, None] = {}
    for directory in dirs:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_file() and entry.suffix in SKILL_SUFFIXES:
                found.setdefault(entry.resolve(), None)
            elif entry.is_dir() and not entry.name.startswith("."):
                for name in SKILL_FILE_NAMES:
                    if (entry / name).is_file():
                        found.setdefault((entry / name).resolve(), None)
                        break
    return list(found)


def build_catalog(files: Sequence[Path]) -> SkillCatalog:
    """Parse `files` and check them against each other."""
    errors: list[WorkflowError] = []
    parsed: dict[str, Skill] = {}
    invalid: dict[str, list[WorkflowError]] = {}
    for path in files:
        try:
            skill = load_skill(path)
        except WorkflowErrors as exc:
            errors.extend(exc.errors)
            skill_id = _id_of_invalid(path)
            if skill_id:
                invalid.setdefault(skill_id, []).extend(exc.errors)
            continue
        first = parsed.get(skill.id)
        if first is not None:
            error = WorkflowError(
                f'duplicate skill id "{skill.id}" (already defined in {first.path}); '
                "this file is ignored",
                pos=skill.pos,
                where="id",
            )
            errors.append(error)
            continue
        parsed[skill.id] = skill

    bad: dict[str, list[WorkflowError]] = {}
    for skill in parsed.values():
        for call in skill.calls:
            problem = _call_problem(call, parsed, invalid)
            if problem is not None:
                bad.setdefault(skill.id, []).append(
                    WorkflowError(problem, pos=call.pos, where=f"steps[{call.step_index}].skill")
                )
    for cycle, call in _cycles(parsed):
        shown = " -> ".join([*cycle, cycle[0]])
        bad.setdefault(cycle[0], []).append(
            WorkflowError(
                f"skill calls form a cycle: {shown}",
                pos=call.pos,
                where=f"steps[{call.step_index}].skill",
            )
        )
        for member in cycle[1:]:
            bad.setdefault(member, [])
    # A skill calling an invalid one cannot run either.
    changed = True
    while changed:
        changed = False
        for skill in parsed.values():
            if skill.id in bad:
                continue
            for call in skill.calls:
                if call.skill_id in bad:
                    bad[skill.id] = [
                        WorkflowError(
                            f"calls skill {call.skill_id!r}, which is not valid",
                            pos=call.pos,
                            where=f"steps[{call.step_index}].skill",
                        )
                    ]
                    changed = True
                    break
    for skill_id, problems in bad.items():
        errors.extend(problems)
        invalid.setdefault(skill_id, []).extend(problems)
    valid = {key: parsed[key] for key in sorted(parsed) if key not in bad}
    errors.sort(key=lambda e: (e.pos.path, e.pos.line, e.pos.col) if e.pos else ("", 0, 0))
    return SkillCatalog(
        skills=valid,
        errors=tuple(errors),
        files=tuple(files),
        invalid={key: tuple(value) for key, value in invalid.items()},
    )


def _call_problem(
    call: SkillCall, parsed: Mapping[str, Skill], invalid: Mapping[str, list[WorkflowError]]
) -> str | None:
    callee = parsed.get(call.skill_id)
    if callee is None:
        if call.skill_id in invalid:
            return f"calls skill {call.skill_id!r}, which is not valid"
        import difflib  # only for a mistake: not on every start-up

        close = difflib.get_close_matches(call.skill_id, list(parsed), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f"unknown skill {call.skill_id!r}{hint}"
    unknown = [key for key in call.with_keys if key not in callee.inputs]
    if unknown:
        declared = ", ".join(callee.inputs) or "none"
        return f"skill {callee.id!r} has no input {unknown[0]!r} (its inputs: {declared})"
    missing = [
        name
        for name, spec in callee.inputs.items()
        if spec.required and spec.default is None and name not in call.with_keys
    ]
    if missing:
        return f"skill {callee.id!r} requires input {missing[0]!r}"
    return None


def _cycles(parsed: Mapping[str, Skill]) -> list[tuple[list[str], SkillCall]]:
    """Each cycle of calls once, as (its skills from the smallest id on, the call closing
    the first edge)."""
    found: dict[tuple[str, ...], tuple[list[str], SkillCall]] = {}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[tuple[str, SkillCall | None]] = []

    def visit(skill_id: str) -> None:
        # Iterative enough for skill graphs (depth = longest call chain, small).
        state[skill_id] = 1
        skill = parsed[skill_id]
        for call in skill.calls:
            target = call.skill_id
            if target not in parsed:
                continue
            if state.get(target) == 1:
                ids = [sid for sid, _ in path] + [skill_id]
                cycle = ids[ids.index(target) :]
                start = cycle.index(min(cycle))
                rotated = cycle[start:] + cycle[:start]
                key = tuple(rotated)
                if key not in found:
                    first = parsed[rotated[0]]
                    nxt = rotated[1] if len(rotated) > 1 else rotated[0]
                    closing = next(c for c in first.calls if c.skill_id == nxt)
                    found[key] = (rotated, closing)
            elif state.get(target) is None:
                path.append((skill_id, call))
                visit(target)
                path.pop()
        state[skill_id] = 2

    for skill_id in sorted(parsed):
        if state.get(skill_id) is None:
            visit(skill_id)
    return list(found.values())


def _id_of_invalid(path: Path) -> str | None:
    """The `id:` written in a file that did not parse (for "skill x is not valid")."""
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("id:"):
                return line[3:].split("#", 1)[0].strip().strip("\"'") or None
    except OSError:
        return None
    return None


class SkillCatalogs:
    """Catalogs by skill dirs, each rebuilt only when a skill file was added, removed or
    changed (so asking on every request costs a few stat() calls). Safe to share
    between threads: the daemon builds catalogs in worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[
            tuple[Path, ...], tuple[tuple[tuple[str, int, int], ...], SkillCatalog]
        ] = {}

    def load(self, dirs: Sequence[Path]) -> SkillCatalog:
        """The catalog of `dirs`, as it is now."""
        files = skill_files(dirs)
        stamp = tuple(_stamp(file) for file in files)
        key = tuple(dirs)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == stamp:
                return kept[1]
        catalog = build_catalog(files)
        with self._lock:
            self._kept[key] = (stamp, catalog)
        return catalog


def load_catalog(dirs: Sequence[Path]) -> SkillCatalog:
    """The catalog of `dirs`, read now (a SkillCatalogs keeps one while no file changes)."""
    return build_catalog(skill_files(dirs))


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), -1, -1)
    return (str(path), info.st_mtime_ns, info.st_size)
