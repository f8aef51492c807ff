"""Where a `uses: owner/repo[/path]@ref` comes from: a local folder, the cache, or git.

`ActionSource.fetch(reference)` returns the folder holding the repository at
that ref, looking in this order:

1. `--local-repository OWNER/REPO@REF=PATH` (and `[actions.local_repositories]`),
   act's override: the folder is used as it is, never copied or cached. A key
   `owner/repo@ref` matches on any server, `https://host/owner/repo@ref` on that
   server only.
2. The cache, shared by every run of this user ($XDG_CACHE_HOME/stax/actions,
   default ~/.cache/stax/actions):

       commits/<owner>/<repo>/<sha>/        the repository's files at that commit
       refs/<server>/<owner>/<repo>/<ref>   the commit the ref last resolved to

3. git, from the actions server: `git ls-remote` resolves a tag or branch to
   its commit (a full SHA needs no resolving), and only a commit missing from
   the cache is fetched (`git fetch --depth 1`).

Offline mode (`--action-offline-mode`) never runs git: a ref resolves to the
commit recorded when it was last fetched, and a ref never fetched is an error.

Invariant: a folder under commits/ is complete. It is built in the cache's
tmp/ and renamed into place in one step, so concurrent runs, in this process
or another, never see half of one; the loser of a race discards its copy.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import trio

from runner.errors import RunError
from runner.process.spawn import StepProcess, run_process

if TYPE_CHECKING:
    from collections.abc import Mapping

_REFERENCE = re.compile(r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?:/([^@\s]+))?@([^@\s]+)")
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_SHORT_SHA = re.compile(r"[0-9a-f]{7,39}")
_GIT_GRACE_S = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionReference:
    """`owner/repo[/path]@ref`, as a step's or a job's `uses:` writes it."""

    owner: str
    repo: str
    path: str  # inside the repository; "" for its root
    ref: str

    @classmethod
    def parse(cls, uses: str) -> ActionReference | None:
        match = _REFERENCE.fullmatch(uses)
        if match is None:
            return None
        owner, repo, path, ref = match.groups()
        path = (path or "").strip("/")
        if {owner, repo} & {".", ".."} or ".." in path.split("/"):
            return None  # no such name on GitHub, and no way out of the repository
        return cls(owner=owner, repo=repo, path=path, ref=ref)

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.repo}"

    def __str__(self) -> str:
        path = f"/{self.path}" if self.path else ""
        return f"{self.repository}{path}@{self.ref}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchedAction:
    """A repository at a ref, on disk."""

    reference: ActionReference
    root: Path  # the repository's files
    commit: str | None  # None for a local folder
    how: str  # "local" (a --local-repository folder), "cached" or "fetched"

    @property
    def directory(self) -> Path:
        """The action's own folder (the repository's root, or `path` inside it)."""
        return self.root / self.reference.path if self.reference.path else self.root

    def describe(self) -> str:
        """One line for the step's log: where the action came from."""
        if self.commit is None:
            return f"Using action repository '{self.reference}' from the local folder {self.root}"
        verb = "Download" if self.how == "fetched" else "Using cached"
        return f"{verb} action repository '{self.reference}' (SHA:{self.commit})"


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/stax/actions, or ~/.cache/stax/actions (a relative
    XDG_CACHE_HOME is ignored, as the XDG spec says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "stax" / "actions"


@dataclass(slots=True, kw_only=True)
class SourceStatistics:
    resolved: int = 0  # refs resolved with `git ls-remote`
    fetched: int = 0  # commits fetched with `git fetch`


@dataclass(slots=True)
class ActionSource:
    """Finds actions for one run (it remembers what it resolved, so a ref resolves once
    a run); the cache it fills is shared with every other run."""

    server: str = "https://github.com"
    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False
    local_repositories: Mapping[str, Path] = field(default_factory=dict)
    _found: dict[tuple[str, str], FetchedAction] = field(default_factory=dict)
    _locks: dict[tuple[str, str], trio.Lock] = field(default_factory=dict)
    _statistics: SourceStatistics = field(default_factory=SourceStatistics)

    def statistics(self) -> SourceStatistics:
        return SourceStatistics(
            resolved=self._statistics.resolved, fetched=self._statistics.fetched
        )

    async def fetch(self, reference: ActionReference) -> FetchedAction:
        """The repository of `reference` at its ref. Raises RunError naming the
        reference when it cannot be had. Cancellation stops a running git (its
        whole process group) and leaves nothing half-written in the cache."""
        key = (reference.repository.lower(), reference.ref)
        lock = self._locks.setdefault(key, trio.Lock())
        async with lock:  # one fetch per ref at a time: the second waits and reuses it
            found = self._found.get(key)
            if found is None:
                found = self.local(reference) or await self._from_cache_or_git(reference)
                self._found[key] = found
                how = found.how
            else:
                how = "local" if found.how == "local" else "cached"
        return FetchedAction(reference=reference, root=found.root, commit=found.commit, how=how)

    # -- 1. local folders --------------------------------------------------
    def local(self, reference: ActionReference) -> FetchedAction | None:
        """The `--local-repository` folder of `reference`, if one is given."""
        # act's keys: `owner/repo@ref` on any server, `https://host/owner/repo@ref` on one.
        # Repository names compare without case, as GitHub's do; refs exactly.
        names = {reference.repository.lower(), f"{self.server}/{reference.repository}".lower()}
        for key, folder in self.local_repositories.items():
            repository, _, ref = key.rpartition("@")
            if ref != reference.ref or repository.rstrip("/").lower() not in names:
                continue
            if not folder.is_dir():
                raise RunError(
                    f"{reference}: the local repository folder {folder} "
                    f"(--local-repository {key}) does not exist"
                )
            return FetchedAction(reference=reference, root=folder, commit=None, how="local")
        return None

    # -- 2. and 3. the cache, then git ---------------------------------------
    async def _from_cache_or_git(self, reference: ActionReference) -> FetchedAction:
        commit = await self._resolve(reference)
        folder = self._commit_dir(reference, commit)
        how = "cached"
        if not folder.is_dir():
            if self.offline:
                raise RunError(
                    f"{reference}: commit {commit} is not in the action cache "
                    f"({self.cache_dir}), and offline mode does not fetch"
                )
            await self._fetch_commit(reference, commit, folder)
            how = "fetched"
        if not self.offline and not _FULL_SHA.fullmatch(reference.ref):
            # For offline mode: the ref's commit, once that commit is in the cache.
            _write_atomically(self._ref_file(reference), commit + "\n")
        return FetchedAction(reference=reference, root=folder, commit=commit, how=how)

    async def _resolve(self, reference: ActionReference) -> str:
        """The commit the ref names now (offline: when it was last resolved)."""
        ref = reference.ref
        if _FULL_SHA.fullmatch(ref):
            return ref
        if self.offline:
            try:
                return self._ref_file(reference).read_text(encoding="ascii").strip()
            except OSError:
                raise RunError(
                    f"{reference}: never fetched, and offline mode does not fetch "
                    "(run once without --action-offline-mode to cache it)"
                ) from None
        self._statistics.resolved += 1
        url = self.url(reference)
        patterns = (f"refs/tags/{ref}", f"refs/tags/{ref}^{{}}", f"refs/heads/{ref}")
        listing = await self._git(reference, "ls-remote", url, *patterns)
        refs: dict[str, str] = {}
        for line in listing.splitlines():
            sha, _, name = line.partition("\t")
            refs[name.strip()] = sha.strip()
        # A tag wins over a branch of the same name; an annotated tag names its commit
        # through the peeled `^{}` entry.
        commit = (
            refs.get(f"refs/tags/{ref}^{{}}")
            or refs.get(f"refs/tags/{ref}")
            or refs.get(f"refs/heads/{ref}")
        )
        if commit is None:
            if _SHORT_SHA.fullmatch(ref):
                raise RunError(
                    f"{reference}: no tag or branch {ref!r} in {url}; a shortened commit SHA "
                    "is not supported, use the full SHA"
                )
            raise RunError(f"{reference}: no tag or branch {ref!r} in {url}")
        return commit

    async def _fetch_commit(self, reference: ActionReference, commit: str, folder: Path) -> None:
        self._statistics.fetched += 1
        url = self.url(reference)
        tmp_root = self.cache_dir / "tmp"
        tmp_root.mkdir(parents=True, exist_ok=True)
        build = tmp_root / f"{reference.repo}-{commit[:12]}-{secrets.token_hex(4)}"
        try:
            await self._git(reference, "init", "-q", str(build))
            try:
                await self._git(
                    reference,
                    "-C",
                    str(build),
                    "fetch",
                    "-q",
                    "--depth",
                    "1",
                    "--no-tags",
                    url,
                    commit,
                )
            except RunError:
                # A server that refuses to serve a commit by its SHA: fetch its refs.
                await self._git(
                    reference,
                    "-C",
                    str(build),
                    "fetch",
                    "-q",
                    "--no-tags",
                    url,
                    "+refs/heads/*:refs/remotes/origin/*",
                    "+refs/tags/*:refs/tags/*",
                )
            try:
                await self._git(
                    reference,
                    "-C",
                    str(build),
                    "-c",
                    "advice.detachedHead=false",
                    "checkout",
                    "-q",
                    "--detach",
                    commit,
                )
            except RunError:
                raise RunError(f"{reference}: no commit {commit} in {url}") from None
            shutil.rmtree(build / ".git")
            if not _move_into_place(build, folder):
                raise RunError(f"{reference}: cannot store it in the action cache at {folder}")
        finally:
            shutil.rmtree(build, ignore_errors=True)

    async def _git(self, reference: ActionReference, *args: str) -> str:
        """Run git; its stdout. A failure raises RunError with git's own last word."""
        git = shutil.which("git")
        if git is None:
            raise RunError(f"{reference}: remote actions are fetched with git: no git on PATH")
        out: dict[str, list[str]] = {"stdout": [], "stderr": []}

        async def collect(stream: str, lines: list[str]) -> None:
            out[stream].extend(lines)

        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",  # a missing repository must not ask for a password
            "GCM_INTERACTIVE": "never",
            "LC_ALL": "C",
            # A transfer that stalls (under 1 KB/s for a minute) fails instead of hanging.
            "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
            "GIT_HTTP_LOW_SPEED_TIME": "60",
        }
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            outcome = await run_process(
                StepProcess(argv=[git, *args], cwd=str(self.cache_dir), env=env),
                collect,
                grace_s=_GIT_GRACE_S,
            )
        except OSError as exc:
            raise RunError(f"{reference}: cannot run git: {exc.strerror or exc}") from None
        if outcome.exit_code != 0:
            command = args[2] if args[0] == "-C" else args[0]
            words = _last_words(out["stderr"], self.url(reference))
            raise RunError(f"{reference}: git {command} failed: {words}")
        return "\n".join(out["stdout"])

    # -- places ------------------------------------------------------------
    def url(self, reference: ActionReference) -> str:
        return f"{self.server}/{reference.repository}"

    def _commit_dir(self, reference: ActionReference, commit: str) -> Path:
        return (
            self.cache_dir / "commits" / reference.owner.lower() / reference.repo.lower() / commit
        )

    def _ref_file(self, reference: ActionReference) -> Path:
        return (
            self.cache_dir
            / "refs"
            / quote(self.server, safe="")
            / reference.owner.lower()
            / reference.repo.lower()
            / quote(reference.ref, safe="")
        )


def _last_words(stderr: list[str], url: str) -> str:
    """What git said, in one line; a repository that is not there, in plain words."""
    text = " ".join(line.strip() for line in stderr if line.strip())
    lowered = text.lower()
    if (
        "does not appear to be a git repository" in lowered
        or "repository not found" in lowered
        or "could not read username" in lowered
        or ("not found" in lowered and "remote" in lowered)
    ):
        return f"no repository at {url} (or it is not readable without credentials)"
    return text or "no message"


def _move_into_place(build: Path, folder: Path) -> bool:
    """Rename the finished `build` to `folder` (atomic); True once `folder` holds the
    commit, whether this rename or a concurrent run's put it there."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        build.rename(folder)
    except OSError:
        return folder.is_dir()  # another run was first: its copy is as good
    return True


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(text, encoding="ascii")
    os.replace(tmp, path)
