"""The store's files: its schema (and the migration from older ones), and the lock that
makes one process its only writer.

Schema 2 keeps a log chunk's lines in `events.lines` (see commit.py); a schema 1 store
gains the column when a writer opens it, and readers ask whether it is there until then.
A store a newer stax wrote is refused rather than misread.

One writer per data dir: the lock a daemon (or a local run) holds while it writes.
It is two locks, because a lock file alone can be lost: `rm -rf .stax` (or `git clean
-x`) under a running daemon deletes `stax.lock` with the rest, and a second daemon
would then create a fresh one, lock it, and write a second store on the same path.

- `flock` on `<data_dir>/stax.lock`, which holds the writer's pid (for the message a
  second writer gets). It works on any filesystem, and only as long as the file is there.
- On Linux, an abstract Unix socket named after the data dir's real path. It lives in
  the kernel, not in the directory, so deleting the directory cannot release it; it
  goes with the process (even one killed by SIGKILL). Abstract names belong to a network
  namespace: two containers sharing a directory share only the flock.

A second writer is refused if either is held. The name is taken first, so a refused
writer does not even recreate a deleted data dir.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import sqlite3
import sys
from typing import TYPE_CHECKING
from urllib.parse import quote

from runner.config import create_data_dir
from runner.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

LOCK_NAME = "stax.lock"
SCHEMA_VERSION = "2"  # 2: events.lines
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL, run_id TEXT NOT NULL,
    job_id TEXT, step_number INTEGER, data TEXT NOT NULL, lines BLOB);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq);
CREATE INDEX IF NOT EXISTS events_logs ON events (run_id, job_id, step_number, seq)
    WHERE type = 'step.log';
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, workflow TEXT NOT NULL, status TEXT NOT NULL, conclusion TEXT,
    created_at INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    snapshot TEXT NOT NULL);
DROP INDEX IF EXISTS runs_by_created;
CREATE INDEX IF NOT EXISTS runs_by_seq ON runs (first_seq);
CREATE TABLE IF NOT EXISTS jobs (
    run_id TEXT NOT NULL, job_id TEXT NOT NULL, position INTEGER NOT NULL,
    snapshot TEXT NOT NULL, PRIMARY KEY (run_id, job_id));
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL, job_id TEXT NOT NULL, number INTEGER NOT NULL,
    snapshot TEXT NOT NULL, PRIMARY KEY (run_id, job_id, number));
CREATE TABLE IF NOT EXISTS run_numbers (workflow TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """A connection to the store at `path` in WAL mode, usable from any thread (each is
    used by one at a time). Only the writer creates the file: a reader must not make an
    empty store where the real one was deleted."""
    uri = f"file:{quote(str(path))}?mode={'rwc' if create else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    return conn


def create_schema(conn: sqlite3.Connection, path: Path) -> int:
    """Create (or migrate to) this stax's schema; returns the last seq committed.

    Raises ConfigError for a store a newer stax wrote."""
    conn.executescript(_SCHEMA)
    refuse_newer_schema(conn, path)
    if not has_lines_column(conn):  # a store from before schema 2
        conn.execute("ALTER TABLE events ADD COLUMN lines BLOB")
    conn.execute(
        "INSERT INTO meta VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE SET "
        "value = excluded.value",
        (SCHEMA_VERSION,),
    )
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('last_seq', '0')")
    conn.commit()
    return read_last_seq(conn)


def read_last_seq(conn: sqlite3.Connection) -> int:
    """The last seq committed, as the store records it (in the same transaction)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
    return int(row[0])


def rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction. SQLite has already rolled back on some errors (a full
    disk), and a second ROLLBACK would then hide the real error behind its own."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def refuse_newer_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A store a newer stax wrote may hold what this one would misread or overwrite."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row is not None and row[0].isdigit() and int(row[0]) > int(SCHEMA_VERSION):
        raise ConfigError(
            f"{path}: written by a newer stax (store schema {row[0]}; this stax knows "
            f"{SCHEMA_VERSION} at most): upgrade stax, or use another data dir"
        )


def has_lines_column(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "lines" for row in conn.execute("PRAGMA table_info(events)"))


class DataDirLock:
    """The data dir's lock, held from `acquire()` to `release()`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self.fd: int | None = None  # the flocked stax.lock
        self._name: socket.socket | None = None

    def acquire(self) -> None:
        """Take both locks, creating the data dir if needed.

        Raises ConfigError when another process holds either, or the dir cannot be made."""
        self._name = _take_name(self.data_dir, self.path)
        try:
            try:
                create_data_dir(self.data_dir)
            except OSError as exc:
                raise ConfigError(f"data dir {self.data_dir}: {exc.strerror}") from None
            self.fd = _take_file(self.path)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self._name is not None:
            self._name.close()
            self._name = None


def _in_use(data_dir: Path, holder: str) -> ConfigError:
    return ConfigError(
        f"the data dir {data_dir} is in use by {holder}; one daemon (or local run) per data dir"
    )


def _holder(lock_path: Path) -> str:
    """Who holds the lock, as its lock file says (when there still is one)."""
    with contextlib.suppress(OSError):
        return lock_path.read_text(errors="replace").strip() or "another process"
    return "another stax process (its lock file was deleted)"


def _take_name(data_dir: Path, lock_path: Path) -> socket.socket | None:
    if not sys.platform.startswith("linux"):
        return None
    digest = hashlib.sha256(os.path.realpath(data_dir).encode("utf-8", "surrogateescape"))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # not inherited by steps
    try:
        sock.bind(f"\0stax-data-dir:{digest.hexdigest()[:40]}")
    except OSError:
        sock.close()
        raise _in_use(data_dir, _holder(lock_path)) from None
    return sock


def _take_file(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise _in_use(path.parent, holder) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"stax pid {os.getpid()}".encode())
    return fd
