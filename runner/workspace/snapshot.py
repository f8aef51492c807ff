"""A snapshot of a git repository's working tree: what a fresh checkout of it would be,
plus what the user has not committed yet.

    create_snapshot(repo, dest)   dest/ gets the files `git ls-files -co --exclude-standard`
                                  lists (HEAD's files as they are on disk now, and untracked
                                  ones that are not ignored) and a .git of its own
    remove_snapshot(dest)         and it is gone

The files are copies, never hard links: a step that edits a file in place must not edit
the user's. Where the filesystem shares blocks (FICLONE, tried once per snapshot:
btrfs, XFS, bcachefs) each copy is a reflink, made file by file. Elsewhere two tars
joined by a pipe copy the list (one reads while the other writes, and no Python runs
per file); without tar, Python copies each file (copy_file_range for large ones).
Modes, symlinks and empty files are kept; mtimes are not (a fresh checkout's are "now"
too).

The snapshot's .git borrows the user's object store (objects/info/alternates) instead of
copying it, and has its own HEAD (the same branch or commit), refs (a packed copy of the
user's), index (a copy), config and shallow list. `git log`, `git describe`, `git diff`
and `git status` work and show the uncommitted changes as uncommitted; a commit, a tag
or a branch made in the snapshot stays there (new objects go to its own store, which the
user's repository never reads). A submodule (or a nested repository) that is checked out
becomes a snapshot of its own inside the snapshot.

Everything here is blocking file-system work: call it in a thread (the engine does).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import RunError
from runner.workspace.git_dir import GIT_TIMEOUT_S, git, git_environment, write_git_dir

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

_FICLONE = 0x40049409  # _IOW(0x94, 9, int): share the source's blocks (reflink)
_NO_CLONE = {errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS}
_CHUNK = 1 << 30
_COPY_TIMEOUT_S = 600.0
_SMALL = 1 << 18  # one read, one write: cheaper than asking the kernel to copy


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotStatistics:
    files: int  # files listed (HEAD's, staged, untracked)
    reflinked: bool  # copies share their blocks with the originals


def repository_root(directory: Path) -> Path | None:
    """The top of the git working tree `directory` is in; None outside one (or without
    git)."""
    try:
        return Path(git(directory, "rev-parse", "--show-toplevel").strip())
    except RunError:
        return None


def create_snapshot(repo: Path, dest: Path, *, exclude: Sequence[Path] = ()) -> SnapshotStatistics:
    """Copy the working tree of the repository at `repo` (its top) into `dest`, which must
    not exist, leaving out `exclude` (folders inside it, such as stax's data dir). Raises
    RunError when git fails; on any failure `dest` is removed again."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.mkdir()  # FileExistsError for a folder that is there: never ours to remove
    try:
        return _snapshot(repo.resolve(), dest, [p.resolve() for p in exclude])
    except BaseException:
        remove_snapshot(dest)
        raise


def remove_snapshot(dest: Path) -> None:
    """Remove a snapshot, with what a step left read-only in it."""
    try:
        shutil.rmtree(dest)
    except FileNotFoundError:
        return
    except OSError:  # a read-only folder (Go's module cache makes them): open it up, again
        for root, folders, _ in os.walk(dest):
            for folder in folders:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(root, folder), 0o700)
        shutil.rmtree(dest, ignore_errors=True)


def _snapshot(repo: Path, dest: Path, exclude: list[Path]) -> SnapshotStatistics:
    excluded = [p.relative_to(repo).as_posix() for p in exclude if p.is_relative_to(repo)]
    files, nested = _listing(repo, excluded)
    dest.mkdir(parents=True, exist_ok=True)
    copier = _Copier()
    if copier.reflinks(f"{repo}/", f"{dest}/", files) or shutil.which("tar") is None:
        copier.copy_all(f"{repo}/", f"{dest}/", files)
    else:
        _copy_through_tar(repo, dest, files)
    for name in nested:
        source, target = repo / name, dest / name
        if (source / ".git").exists():  # a submodule or a nested repository
            _snapshot(source, target, [])
        else:
            target.mkdir(parents=True, exist_ok=True)  # a submodule not checked out: empty
    write_git_dir(repo, dest)
    return SnapshotStatistics(files=len(files), reflinked=copier.reflinked)


def _listing(repo: Path, excluded: list[str]) -> tuple[list[str], list[str]]:
    """(files, nested repositories) of the working tree: what the index has (with its
    modes: a gitlink is a submodule) and what is untracked and not ignored (a nested
    repository is listed as `dir/`). Both asked of git at once."""
    leave_out = [f"--exclude=/{path}/" for path in excluded]
    with contextlib.ExitStack() as stack:
        tracked = stack.enter_context(_git_output(repo, "ls-files", "-z", "--stage"))
        others = stack.enter_context(
            _git_output(repo, "ls-files", "-z", "--others", "--exclude-standard", *leave_out)
        )
        staged, untracked = tracked.read(), others.read()
    files: dict[str, None] = {}  # ordered, and a conflicted file (one line per stage) once
    nested: list[str] = []
    for line in staged.split("\0"):
        meta, _, name = line.partition("\t")
        if meta.startswith("160000"):  # a gitlink
            nested.append(name)
        elif name:
            files.setdefault(name)
    for name in untracked.split("\0"):
        if name.endswith("/"):
            nested.append(name.rstrip("/"))
        elif name:
            files.setdefault(name)
    keep = [
        name for name in files if not any(name == e or name.startswith(f"{e}/") for e in excluded)
    ]
    return keep, nested


@contextlib.contextmanager
def _git_output(repo: Path, *args: str) -> Iterator[_Reader]:
    with subprocess.Popen(
        ["git", *args],
        cwd=repo,
        env=git_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        try:
            yield _Reader(process, args[0])
        finally:
            if process.poll() is None:
                process.kill()


class _Reader:
    def __init__(self, process: subprocess.Popen[bytes], what: str) -> None:
        self.process, self.what = process, what

    def read(self) -> str:
        out, err = self.process.communicate(timeout=GIT_TIMEOUT_S)
        if self.process.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines()
            raise RunError(f"git {self.what} failed: {lines[-1] if lines else ''}")
        return out.decode(errors="surrogateescape")


def _copy_through_tar(repo: Path, dest: Path, files: list[str]) -> None:
    """Copy `files` with two tars joined by a pipe: one reads while the other writes, and
    neither pays Python's cost per file (a third of the time at 5,000 files)."""
    reader = subprocess.Popen(
        ["tar", "-c", "-f", "-", "--null", "--no-recursion", "--ignore-failed-read", "-T", "-"],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # files deleted in the working tree: left out, quietly
    )
    assert reader.stdin is not None
    assert reader.stdout is not None
    writer = subprocess.Popen(
        ["tar", "-x", "-f", "-", "-m", "--no-same-owner"],
        cwd=dest,
        stdin=reader.stdout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    reader.stdout.close()  # the writer holds the pipe now
    try:
        reader.stdin.write("".join(f"{name}\0" for name in files).encode(errors="surrogateescape"))
        reader.stdin.close()
        _, err = writer.communicate(timeout=_COPY_TIMEOUT_S)
        reader.wait(timeout=_COPY_TIMEOUT_S)
    finally:
        for process in (reader, writer):
            if process.poll() is None:
                process.kill()
                process.wait()
    if writer.returncode != 0 or reader.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise RunError(f"copying the working tree failed: {lines[-1] if lines else ''}")


class _Copier:
    """Copies one entry at a time: a reflink while the filesystem allows it, else a small
    file in one read and one write, a large one with copy_file_range."""

    def __init__(self) -> None:
        self.reflinked = False
        self._try_clone = True
        self._try_copy_range = hasattr(os, "copy_file_range")

    def reflinks(self, source_root: str, target_root: str, files: list[str]) -> bool:
        """Whether this filesystem shares blocks between the repository and the snapshot:
        tried on the first file that has data."""
        for name in files:
            try:
                with open(source_root + name, "rb") as source:
                    if os.fstat(source.fileno()).st_size == 0:
                        continue
                    probe = f"{target_root}.stax-reflink-probe"
                    with open(probe, "wb") as target:
                        cloned = self._clone(source.fileno(), target.fileno())
                    os.unlink(probe)
                    return cloned
            except OSError:
                continue
        return False

    def copy_all(self, source_root: str, target_root: str, files: list[str]) -> None:
        made = {""}
        for name in files:
            parent = os.path.dirname(name)
            if parent not in made:
                os.makedirs(target_root + parent, exist_ok=True)
                made.add(parent)
            self.copy(source_root + name, target_root + name)

    def copy(self, source: str, target: str) -> None:
        try:
            info = os.lstat(source)
        except FileNotFoundError:
            return  # deleted in the working tree: so it is in the snapshot
        if stat.S_ISREG(info.st_mode):
            self._copy_file(source, target, info)
        elif stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), target)

    def _copy_file(self, source: str, target: str, info: os.stat_result) -> None:
        fd_in = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            fd_out = os.open(target, flags, stat.S_IMODE(info.st_mode) | stat.S_IWUSR)
            try:
                if info.st_size and not self._clone(fd_in, fd_out):
                    self._copy_data(fd_in, fd_out, info.st_size)
            finally:
                os.close(fd_out)
        finally:
            os.close(fd_in)

    def _clone(self, fd_in: int, fd_out: int) -> bool:
        if not self._try_clone:
            return False
        try:
            fcntl.ioctl(fd_out, _FICLONE, fd_in)
        except OSError as exc:
            if exc.errno not in _NO_CLONE:
                raise
            self._try_clone = False  # this filesystem cannot: don't ask for every file
            return False
        self.reflinked = True
        return True

    def _copy_data(self, fd_in: int, fd_out: int, size: int) -> None:
        if size > _SMALL and self._try_copy_range:
            try:
                while os.copy_file_range(fd_in, fd_out, _CHUNK):
                    pass
                return
            except OSError as exc:
                if exc.errno not in _NO_CLONE or os.lseek(fd_out, 0, os.SEEK_CUR):
                    raise
                self._try_copy_range = False  # e.g. across filesystems on some kernels
        while chunk := os.read(fd_in, max(size + 1, 1 << 16) if size <= _SMALL else 1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd_out, view) :]
