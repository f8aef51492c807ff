"""Where each job of a run runs: a snapshot of the repository of its own, as on GitHub,
where every job starts from a fresh checkout on a fresh machine.

A job gets a snapshot (runner.workspace) of the repository the run's workdir is in,
taken when the job starts (after its approval), under `[workspace] dir` (default
`<data dir>/workspaces`), and removed when the job ends, whatever its conclusion. Its
`github.workspace`, GITHUB_WORKSPACE and every step's default working directory are
that snapshot (the workdir's place in it, when the workdir is a folder of the
repository). Files pass between jobs only as artifacts.

Jobs run in the workdir itself, all of them, with `--bind` (act's flag; `[workspace]
bind = true`) and outside a git repository: there is no telling what belongs to the
project there (a copy could take a home folder along); `stax run` says so.

The workspace path is chosen when the scheduler plans the job, so that everything the
job evaluates sees it: its `env:`, its `github` context, and the workflow's `env:`
(evaluated once for the run, before any job has a workspace: a value naming the
workdir is moved to the job's workspace).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

import trio

from runner.errors import RunError
from runner.workspace import create_snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from runner.config import Settings
    from runner.engine.contexts import RunContexts
    from runner.expressions import JSONValue

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class JobWorkspace:
    snapshot: Path  # the folder the snapshot is taken into
    path: Path  # the job's workspace: the workdir's place in the snapshot


@dataclass(slots=True, kw_only=True)
class JobWorkspaces:
    """The run's repository, and where its jobs' snapshots go."""

    repo: Path  # the top of the repository's working tree
    workdir: Path  # the run's workdir: the repository or a folder in it
    folder: Path  # where snapshots are taken
    run_id: str
    exclude: tuple[Path, ...] = ()  # folders of the repository a snapshot leaves out
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def allocate(self, job_id: str) -> JobWorkspace:
        """A workspace path for the job instance `job_id` (nothing is made yet)."""
        name = _UNSAFE.sub("-", job_id).strip("-")[:60] or "job"
        snapshot = self.folder / f"{self.run_id}-{next(self._numbers)}-{name}"
        return JobWorkspace(snapshot=snapshot, path=snapshot / self.workdir.relative_to(self.repo))


def run_workspaces(
    workdir: Path, repo: Path, settings: Settings, run_id: str, run_temp: Path
) -> JobWorkspaces:
    """The snapshots of a run whose workdir is in the repository `repo`: in `[workspace]
    dir`, else in the run's temporary folder, which goes with the run. Not in the data
    dir: its path holds a dot folder (`.stax`), and tools refuse paths through one (e.g.
    express's `res.sendFile`), where a GitHub runner's `/home/runner/work/…` has none."""
    folder = settings.workspace.dir or run_temp / "work"
    return JobWorkspaces(
        repo=repo,
        workdir=workdir,
        folder=folder,
        run_id=run_id,
        exclude=tuple(p for p in (settings.data_dir, folder) if p.resolve().is_relative_to(repo)),
    )


def job_contexts(contexts: RunContexts, workspace: Path) -> RunContexts:
    """The run's contexts with `workspace` as the job's workspace."""
    return replace(
        contexts,
        workspace=workspace,
        github={**contexts.github, "workspace": str(workspace)},
        base_env={**contexts.base_env, "GITHUB_WORKSPACE": str(workspace)},
    )


def moved_env(env: Mapping[str, JSONValue], workdir: Path, workspace: Path) -> dict[str, JSONValue]:
    """`env` with the workdir's path, wherever a value names it (`${{ github.workspace
    }}/src`, evaluated for the run), replaced by the job's workspace."""
    pattern = re.compile(re.escape(str(workdir)) + r"(?=[/:;\s]|$)")
    moved = str(workspace)
    return {
        name: pattern.sub(lambda _: moved, value) if isinstance(value, str) else value
        for name, value in env.items()
    }


async def take_job_snapshot(workspaces: JobWorkspaces, workspace: JobWorkspace) -> None:
    """Take the job's snapshot (the caller points its contexts at it). Raises RunError when
    it cannot be taken (nothing is left behind then). The caller removes it
    (runner.workspace.remove_snapshot) once the job's processes are gone."""
    take = partial(create_snapshot, workspaces.repo, workspace.snapshot, exclude=workspaces.exclude)
    try:
        await trio.to_thread.run_sync(take)
    except (OSError, RunError) as exc:
        raise RunError(f"the job's workspace could not be made: {exc}") from None
