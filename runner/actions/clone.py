"""Another repository for `actions/checkout` (`repository: owner/repo`), had as actions are.

`clone_repository(source, ...)` makes a git clone of `owner/repo` at a ref in a
target folder, from where the action source finds repositories:

1. a `--local-repository owner/repo@ref=PATH` folder (the ref as the step
   writes it): its files copied as they are, its `.git` too when it has one;
2. git from the actions server (`SERVER/owner/repo`): the ref (a branch, a
   tag or a full commit SHA; without one, the server's default branch) fetched
   `depth` commits deep (0: all history), the remote named `origin` as
   actions/checkout leaves it.

Submodules come with the clone's own URLs (`git submodule update --init`).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import trio

from runner.actions.source import ActionReference
from runner.errors import RunError

if TYPE_CHECKING:
    from pathlib import Path

    from runner.actions.source import ActionSource

_FULL_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClonedRepository:
    commit: str  # "" for a local folder that is not a git repository
    ref: str  # refs/heads/<branch> for a branch, else the ref as given
    where: str  # one line for the step's log: where it came from


async def clone_repository(
    source: ActionSource,
    repository: str,
    ref: str,
    target: Path,
    *,
    depth: int,
    submodules: str = "false",
) -> ClonedRepository:
    """Clone `repository` (owner/repo) at `ref` into `target` (absent or empty).
    Raises RunError naming the repository when it cannot be had."""
    owner, _, repo = repository.partition("/")
    reference = ActionReference.parse(f"{repository}@{ref or 'HEAD'}")
    if reference is None or not owner or not repo or "/" in repo:
        raise RunError(f"repository {repository!r} is not of the form owner/repo")
    folder = source.local(reference) if ref else None
    if folder is not None:
        await trio.to_thread.run_sync(
            partial(shutil.copytree, folder.root, target, symlinks=True, dirs_exist_ok=True)
        )
        commit = await _head(target) if (target / ".git").exists() else ""
        return ClonedRepository(commit=commit, ref=ref, where=f"the local folder {folder.root}")
    url = source.url(reference)
    await trio.Path(target).mkdir(parents=True, exist_ok=True)
    await _git(target, "init", "--quiet")
    await _git(target, "remote", "add", "origin", url)
    commit, branch = await _resolve(target, url, repository, ref)
    deep = [] if depth == 0 else [f"--depth={depth}"]
    wanted = f"+refs/heads/{branch}:refs/remotes/origin/{branch}" if branch else commit
    try:
        await _git(target, "fetch", "--quiet", "--no-tags", *deep, "origin", wanted)
    except RunError:
        if branch:
            raise
        # A server that refuses a commit asked by its SHA: fetch its branches and tags.
        await _git(
            target,
            "fetch",
            "--quiet",
            *deep,
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/tags/*:refs/tags/*",
        )
    if branch:
        await _git(target, "checkout", "--quiet", "-B", branch, commit)
    else:
        await _git(target, "checkout", "--quiet", "--detach", commit)
    if submodules in ("true", "recursive"):
        recursive = ["--recursive"] if submodules == "recursive" else []
        await _git(target, "submodule", "update", "--init", "--quiet", *deep, *recursive)
    shown = f"refs/heads/{branch}" if branch else ref
    return ClonedRepository(commit=commit, ref=shown, where=url)


async def _resolve(target: Path, url: str, repository: str, ref: str) -> tuple[str, str]:
    """(commit, branch name or "") of `ref` on the server; no ref: its default branch."""
    if _FULL_SHA.fullmatch(ref):
        return ref, ""
    if not ref:
        listing = await _git(target, "ls-remote", "--symref", "origin", "HEAD")
        for line in listing.splitlines():
            if line.startswith("ref: ") and line.endswith("\tHEAD"):
                ref = line.removeprefix("ref: ").split("\t")[0].removeprefix("refs/heads/")
                break
        else:
            raise RunError(f"repository {repository} at {url} has no default branch")
    short = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    patterns = (f"refs/heads/{short}", f"refs/tags/{short}", f"refs/tags/{short}^{{}}")
    refs: dict[str, str] = {}
    for line in (await _git(target, "ls-remote", "origin", *patterns)).splitlines():
        sha, _, name = line.partition("\t")
        refs[name.strip()] = sha.strip()
    if (commit := refs.get(f"refs/heads/{short}")) and not ref.startswith("refs/tags/"):
        return commit, short
    commit = refs.get(f"refs/tags/{short}^{{}}") or refs.get(f"refs/tags/{short}")
    if commit is None:
        raise RunError(f"repository {repository}: no branch, tag or commit {ref!r} at {url}")
    return commit, ""


async def _head(folder: Path) -> str:
    try:
        return await _git(folder, "rev-parse", "HEAD")
    except RunError:
        return ""


async def _git(cwd: Path, *args: str) -> str:
    """Run git; its stdout, stripped. RunError with git's own last words when it fails."""
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",  # a missing repository must not ask for a password
        "GCM_INTERACTIVE": "never",
        "LC_ALL": "C",
        "GIT_ADVICE": "0",
    }
    try:
        done = await trio.run_process(
            ["git", "-c", "protocol.file.allow=always", *args],
            cwd=cwd,
            env=env,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    except OSError as exc:
        raise RunError(f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RunError(f"git {args[0]} failed: {lines[-1] if lines else done.returncode}")
    return done.stdout.decode(errors="replace").strip()
