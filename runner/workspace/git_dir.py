"""The .git of a snapshot: the user's objects borrowed, everything else its own.

    .git/objects/info/alternates   the user's object store (read, never written)
    .git/HEAD                      the user's branch (or commit, when detached)
    .git/packed-refs               the user's refs, as they are now
    .git/index                     a copy of the user's index (what is staged stays staged)
    .git/config, info/exclude      copies; `shallow` too for a shallow clone

Three git processes (where the repository's folders are, its refs, its HEAD's name),
a few small files: a couple of milliseconds beside the copying of the tree.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from runner.errors import RunError

GIT_TIMEOUT_S = 60.0
_WORKTREE_KEY = re.compile(r"\s*worktree\s*(=|$)", re.IGNORECASE)


def write_git_dir(repo: Path, dest: Path) -> None:
    """Give the snapshot at `dest` of the working tree at `repo` a .git of its own."""
    git_dir_text, common_text, object_dir = git(
        repo,
        "rev-parse",
        "--absolute-git-dir",
        "--git-common-dir",
        "--git-path",
        "objects",
    ).splitlines()[:3]
    git_dir = Path(git_dir_text)
    common = (repo / common_text).resolve() if not os.path.isabs(common_text) else Path(common_text)
    objects = (repo / object_dir).resolve() if not os.path.isabs(object_dir) else Path(object_dir)
    target = dest / ".git"
    for folder in ("objects/info", "objects/pack", "refs/heads", "refs/tags", "info"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    (target / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
    refs = git(repo, "for-each-ref", "--format=%(objectname) %(refname)")
    (target / "packed-refs").write_text(refs, encoding="utf-8")
    head = git(repo, "symbolic-ref", "-q", "HEAD", check=False).strip()
    if not head:
        head = git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False).strip()
    (target / "HEAD").write_text(f"ref: {head}\n" if head.startswith("refs/") else f"{head}\n")
    _write_config(common / "config", target / "config")
    _copy_if_present(git_dir / "config.worktree", target / "config.worktree")
    _copy_if_present(common / "info" / "exclude", target / "info" / "exclude")
    _copy_if_present(common / "shallow", target / "shallow")
    if not any(git_dir.glob("sharedindex.*")):  # a split index does not travel alone
        _copy_if_present(git_dir / "index", target / "index")


def _write_config(source: Path, target: Path) -> None:
    """The user's config, less what would point git elsewhere: the snapshot is its own
    working tree (a submodule's config names its superproject's folder as `worktree`)."""
    try:
        lines = source.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except FileNotFoundError:
        lines = ["[core]", "\trepositoryformatversion = 0"]
    kept = [line for line in lines if not _WORKTREE_KEY.match(line)]
    kept.append("[core]\n\tbare = false")
    target.write_text("\n".join(kept) + "\n", encoding="utf-8", errors="surrogateescape")


def _copy_if_present(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.copyfile(source, target)


def git_environment() -> dict[str, str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR"):
        env.pop(name, None)  # variables of an outer git (a hook, say) must not redirect ours
    return env


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """git's stdout; RunError with git's own words when it fails (and `check`)."""
    env = git_environment()
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise RunError(f"cannot run git: {exc}") from None
    if check and done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise RunError(f"git {args[0]} failed in {cwd}: {message[-1] if message else ''}")
    return done.stdout.decode(errors="surrogateescape")
