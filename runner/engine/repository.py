"""What the `github` context says about the repository, read from the local .git.

Reading the files directly (HEAD, refs, packed-refs, config) costs
microseconds; running `git` three times would cost more than the whole of a
one-step run. Anything unreadable falls back to a neutral value: a workflow
can run outside a repository.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import subprocess
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class RepositoryInfo:
    root: Path | None  # the work tree, None outside a repository
    sha: str  # 40 hex digits, or 40 zeros without commits
    ref: str  # refs/heads/main, or "" on a detached HEAD
    repository: str  # owner/name
    owner: str
    actor: str
    default_branch: str
    git_dir: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Signature:
    """An author or committer line of a commit."""

    name: str
    email: str
    timestamp: str  # ISO 8601 with the commit's own UTC offset, as GitHub writes it


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    sha: str
    tree: str
    message: str
    author: Signature
    committer: Signature


_ZERO_SHA = "0" * 40


def read_repository(start: Path) -> RepositoryInfo:
    """Describe the repository containing `start` (or a stand-in when there is none)."""
    root, git_dir = _find_git_dir(start.resolve())
    actor = _actor(git_dir)
    if git_dir is None:
        name = start.resolve().name or "workspace"
        return RepositoryInfo(
            root=None,
            sha=_ZERO_SHA,
            ref="refs/heads/main",
            repository=f"{actor}/{name}",
            owner=actor,
            actor=actor,
            default_branch="main",
        )
    ref, sha = _head(git_dir)
    repository = _remote_slug(git_dir) or f"{actor}/{root.name if root else 'workspace'}"
    owner = repository.split("/", 1)[0]
    default_branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "main"
    return RepositoryInfo(
        root=root,
        sha=sha,
        ref=ref,
        repository=repository,
        owner=owner,
        actor=actor,
        default_branch=_origin_head(git_dir) or default_branch,
        git_dir=git_dir,
    )


def read_commit(repo: RepositoryInfo, sha: str) -> Commit | None:
    """The commit `sha` of `repo`, or None when it cannot be read.

    A loose object is inflated here (microseconds); a packed one is asked of
    `git cat-file`, which reads packs (a few milliseconds, bounded).
    """
    if repo.git_dir is None or not re.fullmatch(r"[0-9a-f]{40,64}", sha) or sha == _ZERO_SHA:
        return None
    raw = _loose_object(_common_dir(repo.git_dir) / "objects" / sha[:2] / sha[2:])
    if raw is None:
        raw = _git_cat_file(repo, sha)
    return _parse_commit(sha, raw) if raw is not None else None


def _loose_object(path: Path) -> bytes | None:
    try:
        data = zlib.decompress(path.read_bytes())
    except (OSError, zlib.error):
        return None
    header, _, body = data.partition(b"\0")
    return body if header.startswith(b"commit ") else None


def _git_cat_file(repo: RepositoryInfo, sha: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "cat-file", "commit", sha],
            cwd=repo.root,
            capture_output=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _parse_commit(sha: str, raw: bytes) -> Commit | None:
    text = raw.decode("utf-8", errors="replace")
    head, _, message = text.partition("\n\n")
    fields: dict[str, str] = {}
    for line in head.split("\n"):
        if line and not line.startswith(" "):  # a continuation (a signature) starts with a space
            key, _, value = line.partition(" ")
            fields.setdefault(key, value)
    author = _signature(fields.get("author", ""))
    committer = _signature(fields.get("committer", ""))
    if author is None or committer is None:
        return None
    return Commit(
        sha=sha,
        tree=fields.get("tree", ""),
        message=message.rstrip("\n"),
        author=author,
        committer=committer,
    )


_SIGNATURE = re.compile(
    r"(?P<name>.*?) ?<(?P<email>[^>]*)> (?P<seconds>-?\d+) (?P<offset>[+-]\d{4})"
)


def _signature(text: str) -> Signature | None:
    match = _SIGNATURE.fullmatch(text.strip())
    if match is None:
        return None
    offset = match["offset"]
    minutes = int(offset[1:3]) * 60 + int(offset[3:])
    zone = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    when = datetime.fromtimestamp(int(match["seconds"]), zone)
    stamp = when.isoformat()
    return Signature(
        name=match["name"],
        email=match["email"],
        timestamp=stamp.replace("+00:00", "Z") if offset in ("+0000", "-0000") else stamp,
    )


def _find_git_dir(start: Path) -> tuple[Path | None, Path | None]:
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return directory, dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return directory, (directory / target).resolve()
    return None, None


def _common_dir(git_dir: Path) -> Path:
    common = git_dir / "commondir"
    if common.is_file():
        return (git_dir / common.read_text(encoding="utf-8").strip()).resolve()
    return git_dir


def _head(git_dir: Path) -> tuple[str, str]:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return "", _ZERO_SHA
    if head.startswith("ref:"):
        ref = head.removeprefix("ref:").strip()
        return ref, _resolve_ref(git_dir, ref) or _ZERO_SHA
    return "", head if re.fullmatch(r"[0-9a-f]{40,64}", head) else _ZERO_SHA


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    for base in (git_dir, _common_dir(git_dir)):
        loose = base / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip()
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                parts = line.split(" ", 1)
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    return None


def _config(git_dir: Path | None) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    if git_dir is not None:
        with contextlib.suppress(configparser.Error, UnicodeDecodeError):
            parser.read(_common_dir(git_dir) / "config", encoding="utf-8")
    return parser


def _remote_slug(git_dir: Path) -> str | None:
    url = _config(git_dir).get('remote "origin"', "url", fallback="")
    # git@github.com:owner/name.git, https://host/owner/name(.git), ssh://git@host/owner/name
    match = re.search(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$", url)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def _origin_head(git_dir: Path) -> str | None:
    text = _resolve_symbolic(_common_dir(git_dir) / "refs/remotes/origin/HEAD")
    return text.removeprefix("refs/remotes/origin/") if text else None


def _resolve_symbolic(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text.removeprefix("ref:").strip() if text.startswith("ref:") else None


def _actor(git_dir: Path | None) -> str:
    name = _config(git_dir).get("user", "name", fallback="") if git_dir else ""
    if not name:
        global_config = Path.home() / ".gitconfig"
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read(global_config, encoding="utf-8")
            name = parser.get("user", "name", fallback="")
        except (configparser.Error, UnicodeDecodeError):
            name = ""
    if not name:
        import getpass  # seldom needed; it brings termios along

        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = os.environ.get("USER", "stax")
    return name.replace(" ", "-") or "stax"
