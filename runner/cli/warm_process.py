"""The warm process: stax imported once, a fork of it for each `stax run`.

    python -P -c BOOT PACKAGE_ROOT SOCKET    (warm_start.start_warm_process)

runner/cli/warm_start.py says why and is the client. This process takes a lock
(one warm process per socket), imports what a run needs, listens, and for each
request from this user forks a child that becomes the run (`_become_run`). It
never starts trio nor a thread, so each fork starts clean: the child gets a
process of its own with nothing running. It quits after IDLE_S without a run,
when its source files or the packages on its import path change (the next request is refused, so its client runs
cold and starts a fresh one), or when its socket is no longer its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import resource
import signal
import socket
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

from runner.cli.warm_start import (
    FORWARDED_SIGNALS,
    IDLE_S,
    installation,
    package_folder,
    receive_frame,
    send_frame,
)

if TYPE_CHECKING:
    from collections.abc import Callable

_CHECK_S = 5.0  # how often an idle warm process looks at its socket and sources
_REQUEST_TIMEOUT_S = 5.0  # a client that connects must send its request within this


def source_fingerprint(folder: str) -> tuple[int, int, int]:
    """(files, total size, newest mtime) of the package's .py files: changes when an
    edit or an upgrade changes what a fresh import would run."""
    files = size = newest = 0
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    files += 1
                    size += info.st_size
                    newest = max(newest, info.st_mtime_ns)
    return files, size, newest


def path_fingerprint(folders: list[str]) -> tuple[int, ...]:
    """The modification times of the import path's folders: installing, upgrading or
    removing a package (trio, PyYAML, ...) adds or removes an entry in one of them."""
    times = []
    for folder in folders:
        try:
            times.append(os.stat(folder or ".").st_mtime_ns)
        except OSError:
            times.append(0)
    return tuple(times)


def installed_fingerprint(package: str) -> tuple[object, ...]:
    """What a fresh process would import differently from this one when it changes."""
    return source_fingerprint(package), path_fingerprint(sys.path)


def preload() -> None:
    """Import what a local run imports, so that no child pays for it."""
    import runner.cli.client
    import runner.cli.main
    import runner.cli.run
    import runner.engine.steps
    import runner.events.store  # noqa: F401


class WarmProcess:
    """Accept requests on `listener` and fork a run for each."""

    def __init__(
        self,
        listener: socket.socket,
        path: str,
        fingerprint: Callable[[], object],
        lock: int | None = None,
    ) -> None:
        self.listener = listener
        self.lock = lock  # held for this process's life, not its runs'
        self.path = path
        self.fingerprint = fingerprint
        self.source = fingerprint()
        self.inode = os.stat(path).st_ino
        self.installation = installation()  # what a request must match

    def serve(self, idle_s: float = IDLE_S) -> None:
        last_run = time.monotonic()
        self.listener.settimeout(min(_CHECK_S, idle_s))
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                if time.monotonic() - last_run > idle_s or not self._still_ours():
                    return
                continue
            with conn:
                if not self.take(conn):
                    return
            last_run = time.monotonic()

    def take(self, conn: socket.socket) -> bool:
        """Handle one connection; False when this process should quit."""
        if not _same_user(conn):
            return True
        conn.settimeout(_REQUEST_TIMEOUT_S)
        try:
            request, fds = receive_frame(conn, max_fds=3)
        except (OSError, EOFError, ValueError):
            return True
        try:
            if not isinstance(request, dict) or len(fds) != 3:
                return True
            if self.fingerprint() != self.source:
                _refuse(conn, "stale")
                return False
            if tuple(request.get("installation", ())) != self.installation:
                _refuse(conn, "another installation")
                return True
            try:
                pid = os.fork()
            except OSError:  # out of processes or memory: this run goes cold
                _refuse(conn, "cannot fork")
                return True
            if pid == 0:
                code = 1
                try:
                    self.listener.close()
                    if self.lock is not None:
                        os.close(self.lock)
                    code = _become_run(conn, request, fds)
                finally:
                    os._exit(code)
            return True
        finally:
            for fd in fds:
                os.close(fd)

    def _still_ours(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    uid = int.from_bytes(creds[4:8], sys.byteorder)
    return uid == os.getuid()


def _refuse(conn: socket.socket, reason: str) -> None:
    with contextlib.suppress(OSError):
        send_frame(conn, ("refused", reason))


def _become_run(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> int:
    """In the forked child: take on the client's streams, environment and folder, run
    `stax <argv>` and report its exit code. Returns the code to exit with."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the warm process ignores it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in FORWARDED_SIGNALS[1:]:
        signal.signal(signum, signal.SIG_DFL)
    os.setsid()  # a group of its own: signals come from the client, one by one
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    _take_limits(request["limits"])
    sys.argv = [request["argv0"], *request["argv"]]
    _reopen_standard_streams(request["env"])
    conn.settimeout(None)
    send_frame(conn, ("pid", os.getpid()))

    from runner.cli.main import main
    from runner.engine import faults
    from runner.process.watchdog import start_watchdog

    faults.arm_from_environment()

    start_watchdog()  # before any thread: the steps die with this process
    finished = threading.Event()
    threading.Thread(target=_die_with_client, args=(conn, finished), daemon=True).start()
    code = _run_main(lambda argv: main(argv, warm=False), request["argv"])
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    finished.set()
    with contextlib.suppress(OSError):
        send_frame(conn, ("exit", code))
    return code


def _take_limits(limits: dict[int, tuple[int, int]]) -> None:
    """The caller's resource limits. A hard limit above the warm process's cannot be
    raised by an unprivileged process: that one keeps the lower limit."""
    for number, (soft, hard) in limits.items():
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(number, (soft, hard))


def _run_main(main: Callable[[list[str]], int], argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors, --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # a bug: its traceback goes where a cold run's would
        traceback.print_exc()
        return 1


def _die_with_client(conn: socket.socket, finished: threading.Event) -> None:
    """The client only waits for our exit code: when it goes before that, however it
    went, end this process as if it had been killed (the watchdog ends the steps)."""
    with contextlib.suppress(OSError):
        while conn.recv(1):
            pass
    if not finished.is_set():
        os.kill(os.getpid(), signal.SIGKILL)


def _reopen_standard_streams(env: dict[str, str]) -> None:
    """sys.std* of the warm process were made for its own (/dev/null) streams: make
    them again for the client's, as Python makes them at start-up for its environment
    (block-buffered stdout unless a terminal; PYTHONUNBUFFERED; PYTHONIOENCODING)."""
    encoding, _, errors = env.get("PYTHONIOENCODING", "").partition(":")
    encoding = encoding or sys.stdout.encoding
    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    stdin = io.BufferedReader(io.FileIO(0, "r", closefd=False))
    sys.stdin = io.TextIOWrapper(stdin, encoding, errors or None)
    sys.stdout = _writer(1, encoding, errors or "strict", os.isatty(1), unbuffered)
    sys.stderr = _writer(2, encoding, "backslashreplace", True, unbuffered)


def _writer(fd: int, encoding: str, errors: str, line: bool, unbuffered: bool) -> io.TextIOWrapper:
    raw = io.FileIO(fd, "w", closefd=False)
    buffer = io.BufferedWriter(raw)
    return io.TextIOWrapper(buffer, encoding, errors, line_buffering=line, write_through=unbuffered)


def _quit(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str]) -> int:
    (path,) = argv
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another warm process serves this socket
    os.ftruncate(lock, 0)
    os.write(lock, f"{os.getpid()}\n".encode())  # who holds it, for people and tests
    preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the runs
    signal.signal(signal.SIGTERM, _quit)  # and leave no socket behind
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = f"{path}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(staging)
    listener.bind(staging)
    listener.listen(64)
    os.rename(staging, path)  # atomically replaces a dead process's socket
    package = package_folder()
    warm = WarmProcess(listener, path, lambda: installed_fingerprint(package), lock)
    try:
        warm.serve()
    finally:
        if warm._still_ours():
            os.unlink(path)
    return 0
