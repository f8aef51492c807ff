"""Warm start: a `stax run` handed to a process that has imported stax already.

A cold `stax run` spends most of its wall time importing trio and the engine
(~200 ms here) before a one-step run takes ~50 ms. So the first `stax run` starts
a warm process in the background (runner/cli/warm_process.py), which imports what
a run needs and waits on a Unix socket. Each later `stax run` connects and passes
its argv, environment, working directory, umask and standard streams (the
descriptors themselves, SCM_RIGHTS); the warm process forks a child that becomes
the run, with all of those. This process stays as the child's stand-in: it
forwards the signals it gets (Ctrl-C, SIGTERM, ...) and exits with the child's
exit code. If it dies, even by kill -9, the child sees the socket close and kills
itself, and its step watchdog ends the steps, as with a cold run killed so.

A warm process serves one installation: its socket's name hashes the interpreter
and the package's folder, and it checks both. It quits when its source files
change, when a package on its import path is installed, upgraded or removed, and
after IDLE_S without a run. `STAX_WARM=0` turns all of this off.

Only the standard library's cheapest modules are imported here: this runs before
anything else in a warm `stax run`.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import socket
import struct
import sys
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

ENV_SWITCH = "STAX_WARM"  # "0" turns warm starts off (tests set it: they start their own)
IDLE_S = 900.0  # a warm process quits after this long without a run
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_HEADER = struct.Struct("!I")
_MAX_FRAME = 16 << 20  # an environment bigger than this is not a request
_PER_RUN = frozenset(("PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE"))
# The warm process's start: this package first on its path, then as its caller has it.
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from runner.cli.warm_process import main; sys.exit(main(sys.argv[2:]))"
)


def enabled() -> bool:
    """Warm starts are on unless STAX_WARM=0, or the interpreter runs with options a
    warm process would not share (-X, -W, dev mode); on Linux only (SO_PEERCRED)."""
    if os.environ.get(ENV_SWITCH, "1") == "0" or sys.platform != "linux":
        return False
    return not (sys._xoptions or sys.warnoptions or sys.flags.dev_mode)


def package_folder() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def installation() -> tuple[str, str, str]:
    """What a warm process must share with its client: the interpreter, the package's
    folder, and the environment variables that change what the interpreter imports
    (PYTHONPATH, PYTHONHOME, ...; not those a run's streams read)."""
    interpreter = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith("PYTHON") and name not in _PER_RUN
    )
    return sys.executable, package_folder(), repr(interpreter)


def socket_path(where: tuple[str, ...] | None = None) -> str | None:
    """The socket of installation `where` (this one by default), in a folder only this
    user may enter (None if the folder cannot be made so)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("TMPDIR") or "/tmp"
    folder = os.path.join(base, f"stax-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    info = os.lstat(folder)
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or not os.path.isdir(folder):
        return None  # not ours alone: someone else could answer as the warm process
    key = zlib.crc32("\0".join(where or installation()).encode())
    return os.path.join(folder, f"warm-{key:08x}.sock")


def resource_limits() -> dict[int, tuple[int, int]]:
    """This process's resource limits (`ulimit`), which the run must have, not the
    warm process's."""
    import resource

    limits = {}
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            number = getattr(resource, name)
            limits[number] = resource.getrlimit(number)
    return limits


# -- frames: a length, then a marshalled value ------------------------------------
def send_frame(sock: socket.socket, value: Any, fds: Sequence[int] = ()) -> None:
    body = marshal.dumps(value)
    data = _HEADER.pack(len(body)) + body
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
    sent = sock.sendmsg([data], ancillary if fds else [])
    if sent < len(data):
        sock.sendall(data[sent:])


def receive_frame(sock: socket.socket, max_fds: int = 0) -> tuple[object, list[int]]:
    """One frame and the descriptors sent with it. EOFError if the peer closed first."""
    fds: list[int] = []
    space = socket.CMSG_SPACE(max_fds * 4) if max_fds else 0
    data = b""
    while len(data) < _HEADER.size:
        chunk, ancillary, _flags, _addr = sock.recvmsg(_HEADER.size - len(data), space)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.extend(struct.unpack(f"{len(payload) // 4}i", payload))
        if not chunk:
            _close(fds)
            raise EOFError
        data += chunk
    (size,) = _HEADER.unpack(data)
    if size > _MAX_FRAME:
        _close(fds)
        raise EOFError
    body = bytearray()
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            _close(fds)
            raise EOFError
        body += chunk
    return marshal.loads(body), fds


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


# -- the client -----------------------------------------------------------------------
def run_warm(argv: Sequence[str]) -> int | None:
    """Run `stax <argv>` in a warm process; its exit code, or None when no warm process
    took it (none is up, it is stale, or this process cannot hand over its streams)."""
    where = installation()
    path = socket_path(where)
    if path is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        for fd in (0, 1, 2):
            os.fstat(fd)  # a closed standard stream cannot be handed over
        mask = os.umask(0)
        os.umask(mask)
        request = {
            "installation": where,
            "argv": list(argv),
            "argv0": sys.argv[0],
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "umask": mask,
            "limits": resource_limits(),
        }
        send_frame(sock, request, fds=(0, 1, 2))
        reply, _ = receive_frame(sock)
    except (OSError, EOFError, ValueError):
        sock.close()
        return None
    if not (isinstance(reply, tuple) and reply[0] == "pid"):
        sock.close()
        return None  # refused: stale, or another installation's
    return _stand_in(sock, int(reply[1]))


def _stand_in(sock: socket.socket, pid: int) -> int:
    """Be the run's process to whoever started us: pass on signals, return its code."""

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    try:
        reply, _ = receive_frame(sock)
    except (OSError, EOFError, ValueError):
        reply = None
    finally:
        sock.close()
    if isinstance(reply, tuple) and reply[0] == "exit":
        return int(reply[1])
    sys.stderr.write("stax: the run's process ended without an exit code\n")
    return 1


def start_warm_process() -> None:
    """Start this installation's warm process in the background, for the next run
    (if one is up already, the new one sees it and quits)."""
    path = socket_path()
    if path is None:
        return
    import subprocess  # only on the cold path, which has imported it already

    root = os.path.dirname(package_folder())
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-P", "-c", _BOOT, root, path],
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
