"""One writer per data dir: the lock a daemon (or a local run) holds while it writes.

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
import sys
from typing import TYPE_CHECKING

from runner.config import create_data_dir
from runner.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

LOCK_NAME = "stax.lock"


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
