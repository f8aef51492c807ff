"""The watchdog ends the groups it was told of once their parent dies, even by SIGKILL;
a group it was told is gone, it leaves alone; it holds none of the parent's files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.real_daemon import alive

PARENT = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    from runner.process.watchdog import forget, start_watchdog, watch
    start_watchdog(grace_s=0.3)
    stubborn = "trap '' TERM; sleep 300 & echo $! > $OUT; while :; do sleep 0.05; done"
    def spawn(out):
        proc = subprocess.Popen(
            ["sh", "-c", stubborn], start_new_session=True, env={**os.environ, "OUT": out},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        while not (os.path.exists(out) and open(out).read().strip()):
            time.sleep(0.01)
        return proc.pid, int(open(out).read())
    watched, spared = spawn(sys.argv[1] + ".a"), spawn(sys.argv[1] + ".b")
    watch(watched[0])
    watch(spared[0])
    forget(spared[0])
    print(*watched, *spared, flush=True)
    sys.stdin.read()  # until the test has looked at the files the watchdog holds
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_the_watchdog_ends_the_watched_groups_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "pid")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    assert parent.stdin is not None
    leader, grandchild, spared_leader, spared_child = map(int, parent.stdout.readline().split())
    try:
        watchdog = next(
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit()
            and _ppid(int(pid)) == parent.pid
            and int(pid) not in (leader,)
            and int(pid) != spared_leader
        )
        # It holds no file of its parent's but its end of the pipe (and /dev/null).
        held = {
            os.readlink(f"/proc/{watchdog}/fd/{fd}") for fd in os.listdir(f"/proc/{watchdog}/fd")
        }
        assert held <= {os.devnull} | {h for h in held if h.startswith("pipe:")}
        assert len([h for h in held if h.startswith("pipe:")]) == 1
        parent.stdin.close()
        parent.wait(timeout=10)
        started = time.monotonic()
        while alive(leader) or alive(grandchild):
            assert time.monotonic() - started < 5, "the watched group outlived its parent"
            time.sleep(0.01)
        took = time.monotonic() - started
        assert 0.2 < took < 5  # SIGTERM (ignored), the 0.3 s grace, then SIGKILL
        assert alive(spared_leader)
        assert alive(spared_child)
        while alive(watchdog):  # it exits once it has sent SIGKILL
            assert time.monotonic() - started < 5, "the watchdog lingers"
            time.sleep(0.01)
    finally:
        for pid in (leader, grandchild, spared_leader, spared_child):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)  # started by this test
        parent.kill()
        parent.wait(timeout=10)
        parent.stdout.close()


def _ppid(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return -1
    return int(stat[stat.rfind(b")") + 2 :].split()[1])
