"""A Ray cluster on this machine, on loopback only: for trying the ray executor,
for its tests and its benchmark.

`ray start --node-ip-address=127.0.0.1` alone does not keep Ray on loopback:
Ray swaps 127.0.0.1 for the machine's outward address and its servers then
listen on every interface. The nodes are therefore started through this module
(`python -m runner.executors.ray_cluster start ...` takes `ray start`'s
arguments), which keeps the address given; every Ray server of the node then
listens on 127.0.0.1 only. Usage statistics are off.

A LoopbackCluster starts a head and more nodes in a temporary directory of its
own, and stops exactly the processes it started (those of its directory and
their children), never another Ray on the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

_START_TIMEOUT_S = 120.0
_STOP_GRACE_S = 3.0
RUNNER_NAME_VARIABLE = "STAX_RUNNER_NAME"


@dataclass(slots=True)
class LoopbackCluster:
    """Ray nodes started here: `address` is the head's GCS (127.0.0.1:port)."""

    temp_dir: Path
    address: str = ""
    nodes: dict[str, str] = field(default_factory=dict)  # runner name -> Ray node id

    @classmethod
    def start(
        cls, nodes: dict[str, dict[str, float]], *, env: dict[str, str] | None = None
    ) -> LoopbackCluster:
        """Start one node per entry (the first is the head): name -> its custom
        resources, e.g. {"alpha": {"label:alpha": 1000}}. Each has one CPU."""
        # Short: Ray's socket paths live under it and a Unix socket path is short.
        cluster = cls(temp_dir=Path(tempfile.mkdtemp(prefix="stax-ray-", dir="/tmp")))
        try:
            for index, (name, resources) in enumerate(nodes.items()):
                cluster._start_node(name, resources, head=index == 0, env=env)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @classmethod
    def attach(cls, temp_dir: Path, nodes: dict[str, dict[str, float]]) -> LoopbackCluster:
        """A cluster `start` left running in `temp_dir` (its nodes as they were given)."""
        cluster = cls(temp_dir=temp_dir, address=_head_address(temp_dir))
        raylets = cluster._raylets()
        cluster.nodes = {name: _node_id(raylets, resources) for name, resources in nodes.items()}
        return cluster

    def _start_node(
        self, name: str, resources: dict[str, float], *, head: bool, env: dict[str, str] | None
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "runner.executors.ray_cluster",
            "start",
            "--node-ip-address=127.0.0.1",
            "--num-cpus=1",
            f"--resources={json.dumps(resources)}",
            "--object-store-memory=100000000",
            "--disable-usage-stats",
            "--include-log-monitor=false",
        ]
        if head:
            args += [
                "--head",
                "--port=0",
                "--include-dashboard=false",
                f"--temp-dir={self.temp_dir}",
            ]
        else:
            args.append(f"--address={self.address}")
        environment = {
            **os.environ,
            **(env or {}),
            "RAY_USAGE_STATS_ENABLED": "0",
            RUNNER_NAME_VARIABLE: name,
        }
        done = subprocess.run(
            args,
            env=environment,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ray start ({name}) failed:\n{done.stdout}\n{done.stderr}")
        if head:
            self.address = _head_address(self.temp_dir)
        self.nodes[name] = _node_id(self._raylets(), resources)

    def _raylets(self) -> dict[int, str]:
        """The raylets of this cluster: PID -> command line."""
        return {
            pid: line for pid, line in _own_processes(self.temp_dir).items() if "raylet" in line
        }

    def kill_node(self, name: str) -> None:
        """SIGKILL node `name` (its raylet and every process under it): a node lost."""
        node_id = self.nodes[name]
        for pid, line in self._raylets().items():
            if f"--node_id={node_id}" in line:
                _kill_tree(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every process of this cluster: SIGTERM, a grace, then SIGKILL."""
        pids = _own_processes(self.temp_dir)
        everyone = {child for pid in pids for child in _tree(pid)}
        for pid in everyone:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_S
        while time.monotonic() < deadline and any(_alive(pid) for pid in everyone):
            time.sleep(0.05)
        for pid in everyone:
            _signal(pid, signal.SIGKILL)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _head_address(temp_dir: Path) -> str:
    address = (temp_dir / "ray_current_cluster").read_text().strip()
    if not address.startswith("127.0.0.1:"):
        raise RuntimeError(f"the head listens on {address}, not on loopback")
    return address


def _node_id(raylets: dict[int, str], resources: dict[str, float]) -> str:
    wanted = [f"{key}," for key in resources]
    for line in raylets.values():
        if all(piece in line for piece in wanted):
            for part in line.split():
                if part.startswith("--node_id="):
                    return part.removeprefix("--node_id=")
    raise RuntimeError(f"no raylet found with resources {resources}")


def _own_processes(temp_dir: Path) -> dict[int, str]:
    marker = str(temp_dir)
    found: dict[int, str] = {}
    ours = _ancestry()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in ours:
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in line:
            found[int(entry.name)] = line
    return found


def _ancestry() -> set[int]:
    """This process and those above it (their command lines may name the directory)."""
    pids, pid = set(), os.getpid()
    while pid > 1 and pid not in pids:
        pids.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
    return pids


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _tree(pid: int) -> set[int]:
    tree, found, stack = _children(), set(), [pid]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(tree.get(current, []))
    return found


def _kill_tree(pid: int, sig: int) -> None:
    for member in _tree(pid):
        _signal(member, sig)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def keep_loopback() -> None:
    """Make this process's Ray keep a loopback address as given (Ray would swap it for
    the machine's outward one). For a cluster on this machine only."""
    import ray._private.services as services

    services.resolve_ip_for_localhost = lambda host: host


def main() -> None:
    """`ray` with its arguments, but an address given as 127.0.0.1 stays 127.0.0.1."""
    from ray.scripts.scripts import main as ray_main

    keep_loopback()
    sys.argv[0] = "ray"
    ray_main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
