"""`uses: actions/checkout@*` of the workflow's own repository, from the local clone.

Without `path:` and `ref:` (or with the ref the workspace already has) the
workspace is the repository: nothing to do. A `ref:` without `path:` replaces the
job's snapshot's files with the ref's (as GitHub checks a ref out into the
workspace); with `--bind`, where that would be the user's working tree, it is
refused. A `path:` gets a clone of the
local repository at `ref` (a branch, tag or commit; default the run's
commit), `fetch-depth` commits deep (0: all history), its submodules taken
from the local repository's own checkouts when `submodules:` asks for them.
Such a clone belongs to the job and is removed when the job ends, as a
GitHub runner's workspace goes with its job.

Another repository (`repository:`) comes from where actions come from: a
`--local-repository owner/repo@ref` folder, or git from the actions server
(runner.actions.clone), into a `path:`, or in place of the job's snapshot (never
of the working tree itself: `--bind`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from runner.actions import clone_repository
from runner.engine.steps.base import StepOutcome
from runner.engine.steps.shell import step_context
from runner.errors import RunError
from runner.events.types import Conclusion
from runner.expressions import interpolate, to_string

if TYPE_CHECKING:
    from runner.engine.scope import StepScope
    from runner.engine.steps.output import StepOutput
    from runner.model import Step


class CheckoutStep:
    async def execute(self, step: Step, scope: StepScope, io: StepOutput) -> StepOutcome:
        ctx = step_context(step, scope)
        given = {
            key: to_string(interpolate(value, ctx) if isinstance(value, str) else value)
            for key, value in step.with_.items()
        }
        github = scope.run.contexts.github
        own = str(github.get("repository", ""))
        repository = given.get("repository", "").strip() or own
        workspace = scope.run.contexts.workspace
        path, ref = given.get("path", "").strip(), given.get("ref", "").strip()
        target = (workspace / path).resolve()
        if target != workspace and not target.is_relative_to(workspace):
            raise RunError(f"path {path!r} is not under the workspace {workspace}")
        if repository.lower() != own.lower():
            return await _checkout_other(repository, ref, path, target, given, scope, io)
        # `root`: the workspace's repository, what an in-place checkout concerns.
        # `source`: the run's own repository, where clones come from (a job may have
        # moved or emptied its workspace).
        root = await _toplevel(workspace)
        source = scope.run.contexts.repository or root
        if target == workspace and root is None and not ref:
            await io.write(["Workspace already available"])
            return StepOutcome(outcome=Conclusion.SUCCESS)
        if source is None or (target == workspace and root is None):
            raise RunError(
                f"the workspace {workspace} is not a git repository: "
                "a ref or a path cannot be checked out from it"
            )
        if target == workspace and root is not None:
            commit, branch = await _resolve(root, ref, str(github.get("sha", "")))
            outputs = {"ref": f"refs/heads/{branch}" if branch else ref, "commit": commit}
            head = await _git(root, "rev-parse", "HEAD")
            if commit == head:
                await io.write(["Workspace already available"])
            elif scope.run.workspaces is None:
                raise RunError(
                    f"ref {ref!r} ({commit[:7]}) is not what the workspace has checked out "
                    f"({head[:7]}): checking it out in place would change your working tree; "
                    "give the step a `path:` to check it out beside it (or run without "
                    "--bind: each job then has a snapshot of its own)"
                )
            else:  # the job's own snapshot: as on GitHub, the ref replaces what is there
                await io.write([f"Checking out {ref} ({commit[:7]}) in the job's workspace"])
                await _checkout_in_place(root, commit, branch)
            return StepOutcome(outcome=Conclusion.SUCCESS, outputs=outputs)
        commit, branch = await _resolve(source, ref, str(github.get("sha", "")))
        outputs = {"ref": f"refs/heads/{branch}" if branch else ref, "commit": commit}
        if _occupied(target):
            raise RunError(f"path {path!r} already exists in the workspace: not overwriting it")
        depth = _depth(given.get("fetch-depth", "1"))
        shown = f"{ref} ({commit[:7]})" if ref else commit[:7]
        await io.write(
            [
                f"Syncing repository: {repository}",
                f"Checking out {shown} into {path} "
                f"({'all history' if depth == 0 else f'fetch-depth {depth}'})",
            ]
        )
        scope.job_env.checkouts.append(target)
        await _clone(source, target, commit, branch, depth)
        submodules = given.get("submodules", "false").strip().lower()
        if submodules in ("true", "recursive"):
            await _submodules(target, source, recursive=submodules == "recursive", io=io)
        return StepOutcome(outcome=Conclusion.SUCCESS, outputs=outputs)


async def _checkout_other(
    repository: str,
    ref: str,
    path: str,
    target: Path,
    given: dict[str, str],
    scope: StepScope,
    io: StepOutput,
) -> StepOutcome:
    """Another repository, from the action source, into `path`."""
    if target == scope.run.contexts.workspace:
        if scope.run.workspaces is None:
            raise RunError(
                f"checkout of another repository ({repository}) into the workspace would "
                "replace your working tree (jobs run in it with --bind, or outside a git "
                "repository): give the step a `path:`"
            )
        # The job's own snapshot: emptied, as actions/checkout empties a workspace that
        # holds another repository.
        await trio.to_thread.run_sync(_empty, target)
    elif _occupied(target):
        raise RunError(f"path {path!r} already exists in the workspace: not overwriting it")
    depth = _depth(given.get("fetch-depth", "1"))
    await io.write([f"Syncing repository: {repository}"])
    if target != scope.run.contexts.workspace:  # the snapshot goes with the job anyway
        scope.job_env.checkouts.append(target)
    submodules = given.get("submodules", "false").strip().lower()
    try:
        cloned = await clone_repository(
            scope.run.actions, repository, ref, target, depth=depth, submodules=submodules
        )
    except RunError as exc:
        raise RunError(f"checkout of {repository}: {exc}") from None
    shown = f"{ref} ({cloned.commit[:7]})" if ref else cloned.commit[:7]
    await io.write([f"Checked out {shown} from {cloned.where} into {path}"])
    return StepOutcome(
        outcome=Conclusion.SUCCESS, outputs={"ref": cloned.ref, "commit": cloned.commit}
    )


def _empty(folder: Path) -> None:
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _occupied(target: Path) -> bool:
    return target.exists() and (not target.is_dir() or any(target.iterdir()))


def _depth(text: str) -> int:
    try:
        depth = int(text.strip() or "1")
    except ValueError:
        raise RunError(f"fetch-depth must be a whole number, not {text!r}") from None
    if depth < 0:
        raise RunError(f"fetch-depth must be 0 (all history) or more, not {depth}")
    return depth


async def _toplevel(directory: Path) -> Path | None:
    try:
        return Path(await _git(directory, "rev-parse", "--show-toplevel"))  # already real
    except RunError:
        return None


async def _resolve(root: Path, ref: str, run_sha: str) -> tuple[str, str]:
    """(commit, branch name or "") of `ref` in the local repository; without a ref, the
    run's commit (HEAD when the repository does not have it)."""
    if not ref:
        for candidate in (run_sha, "HEAD"):
            if candidate and (commit := await _commit_of(root, candidate)):
                return commit, ""
        raise RunError("the repository has no commit to check out")
    short = ref.removeprefix("refs/heads/")
    for candidate, branch in (
        (f"refs/heads/{short}", short),
        (f"refs/remotes/origin/{short}", short),
        (f"refs/tags/{ref.removeprefix('refs/tags/')}", ""),
        (ref, ""),
    ):
        if commit := await _commit_of(root, candidate):
            return commit, branch
    raise RunError(
        f"ref {ref!r} is not in the local repository {root} (stax does not fetch): "
        "fetch it first, or give a branch, tag or commit it has"
    )


async def _commit_of(root: Path, name: str) -> str:
    try:
        return await _git(root, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
    except RunError:
        return ""


async def _clone(root: Path, target: Path, commit: str, branch: str, depth: int) -> None:
    if depth == 0:
        # All history: objects shared with the local repository, nothing copied.
        await _git(root, "clone", "--quiet", "--shared", "--no-checkout", str(root), str(target))
    else:
        await _git(root, "init", "--quiet", str(target))
        await _git(target, "remote", "add", "origin", str(root))
        await _git(
            target,
            "fetch",
            "--quiet",
            "--no-tags",
            f"--depth={depth}",
            f"file://{root}",
            commit,
        )
    if branch:
        await _git(target, "checkout", "--quiet", "-B", branch, commit)
    else:
        await _git(target, "checkout", "--quiet", "--detach", commit)


async def _checkout_in_place(root: Path, commit: str, branch: str) -> None:
    """What actions/checkout does to a workspace (clean: true): the ref's files and
    nothing else."""
    if branch:
        await _git(root, "checkout", "--quiet", "--force", "-B", branch, commit)
    else:
        await _git(root, "checkout", "--quiet", "--force", "--detach", commit)
    await _git(root, "clean", "-ffdxq")


async def _submodules(clone: Path, source: Path, *, recursive: bool, io: StepOutput) -> None:
    """Initialise the clone's submodules from the source's own checkouts of them (no
    network): a submodule the source has not checked out cannot be had."""
    if not (clone / ".gitmodules").is_file():
        return
    try:
        listing = await _git(
            clone, "config", "--file", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$"
        )
    except RunError:
        return  # no submodules
    found: list[str] = []
    for line in listing.splitlines():
        key, _, sub_path = line.partition(" ")
        name = key.removeprefix("submodule.").removesuffix(".path")
        local = source / sub_path
        if not (local / ".git").exists():
            raise RunError(
                f"submodule {sub_path!r} is not checked out in {source}: "
                "stax takes submodules from the local repository (run `git submodule update "
                "--init` there first)"
            )
        await _git(clone, "config", f"submodule.{name}.url", str(local))
        found.append(sub_path)
    await _git(
        clone, "-c", "protocol.file.allow=always", "submodule", "update", "--init", "--quiet"
    )
    await io.write([f"Submodule checked out: {sub_path}" for sub_path in found])
    if recursive:
        for sub_path in found:
            await _submodules(clone / sub_path, source / sub_path, recursive=True, io=io)


async def _git(cwd: Path, *args: str) -> str:
    """Run git; its stdout, stripped. RunError with git's own words when it fails."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ADVICE": "0"}
    try:
        done = await trio.run_process(
            ["git", *args], cwd=cwd, env=env, capture_stdout=True, capture_stderr=True, check=False
        )
    except OSError as exc:
        raise RunError(f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RunError(f"git {args[0]} failed: {message[-1] if message else done.returncode}")
    return done.stdout.decode(errors="replace").strip()
