"""Whether the store can still be trusted, and why not.

Two things can go wrong under a running daemon that SQLite does not report by itself:

- Its files are deleted or replaced (`rm -rf .stax`, `git clean -x`, a restore from a
  backup). SQLite goes on writing the files it has open, unlinked now: what the daemon
  records from then on vanishes when it stops. Found by comparing the device and inode
  of `stax.db` and `stax.lock` at their paths with the ones opened (`check_files`: two
  stat calls), now and then and before each run starts.
- A page is damaged (a disk error, a stray write). Only a query that reads that page
  fails (SQLITE_CORRUPT), so health looked fine while every run start failed. Found by
  any query that meets it (`noticed`), and by `PRAGMA quick_check` now and then
  (`check_integrity`, on a connection of its own, so it reads the disk, not a cache).

Either makes the store *degraded*, for good (until the daemon restarts): health says
why, new runs are refused (StoreUnavailable: a 503 over HTTP), and what still reads
keeps being served; runs in flight go on writing while SQLite lets them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import StoreSettings

log = logging.getLogger("stax.store")

_DAMAGE_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_damage(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying the database file is damaged (or not one at all)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.DatabaseError) or code is None:
        return False
    return (code & 0xFF) in _DAMAGE_CODES  # the primary code of an extended one


@dataclass(frozen=True, slots=True)
class FileId:
    device: int
    inode: int


def file_id(path: Path) -> FileId | None:
    """The identity of the file at `path` now, or None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return FileId(info.st_dev, info.st_ino)


class StoreHealth:
    """The store's degradation, once found: `problem` says why (None while sound)."""

    def __init__(self, db_path: Path, lock_path: Path) -> None:
        self.db_path = db_path
        self.lock_path = lock_path
        self.problem: str | None = None
        self._files: dict[Path, FileId | None] = {}

    def remember_files(self, *, lock_fd: int | None = None) -> None:
        """Note which files the store opened (the lock by its descriptor, if held)."""
        lock = None
        if lock_fd is not None:
            info = os.fstat(lock_fd)
            lock = FileId(info.st_dev, info.st_ino)
        self._files = {self.db_path: file_id(self.db_path), self.lock_path: lock}
        if lock is None:  # a reader: the lock file as it is now, if there is one
            self._files[self.lock_path] = file_id(self.lock_path)

    @property
    def files_lost(self) -> bool:
        """The paths no longer lead to the files opened: nothing may open them again."""
        return self.problem is not None and self.problem.startswith(_LOST)

    def check_files(self) -> str | None:
        """Compare the files at the paths with the ones opened; the problem, if any."""
        if self.problem is None:
            for path, opened in self._files.items():
                if opened is None:
                    continue
                now = file_id(path)
                if now != opened:
                    how = "is gone" if now is None else "is another file now"
                    self._degrade(
                        f"{_LOST} ({path} {how}): what it records now is lost when it stops; "
                        "restart it"
                    )
                    break
        return self.problem

    def same_file(self) -> bool:
        """Whether the database's path still leads to the file opened (for a new
        connection: a file created there since is not the store)."""
        opened = self._files.get(self.db_path)
        return opened is None or file_id(self.db_path) == opened

    def noticed(self, exc: BaseException) -> bool:
        """A query failed with `exc`: if it is damage, the store is degraded. Returns
        whether it was."""
        if not is_damage(exc):
            return False
        self._degrade(_damaged(str(exc)))
        return True

    def check_integrity(self) -> str | None:
        """`PRAGMA quick_check` on a fresh connection (blocking: call it in a thread).
        Returns the problem, if any."""
        if self.problem is not None or not self.same_file():
            return self.check_files()
        try:
            conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        except sqlite3.Error:
            return self.check_files()
        try:
            rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        except sqlite3.DatabaseError as exc:
            if not self.noticed(exc):
                log.warning("the store's integrity check could not run: %s", exc)
        else:
            found = [str(row[0]) for row in rows if row[0] != "ok"]
            if found:
                self._degrade(_damaged("; ".join(found)))
        finally:
            conn.close()
        return self.problem

    async def watch(self, settings: StoreSettings) -> None:
        """Check the files every `file_check_seconds`, and the pages once at the start and
        then every `quick_check_seconds`, until degraded (or cancelled)."""
        next_integrity = trio.current_time()
        while self.problem is None:
            if self.check_files() is not None:
                return
            if trio.current_time() >= next_integrity:
                await trio.to_thread.run_sync(self.check_integrity, abandon_on_cancel=True)
                next_integrity = trio.current_time() + settings.quick_check_seconds
            await trio.sleep(settings.file_check_seconds)

    def _degrade(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem
            log.error("the event store is degraded: %s", problem)


_LOST = "the store's files were deleted or replaced under the daemon"


def _damaged(detail: str) -> str:
    return (
        f"the store is damaged ({detail}): stop the daemon, then recover stax.db "
        "(sqlite3 stax.db .recover) or move it aside"
    )
