"""The Node.js that runs JavaScript actions (`runs.using: node12|node16|node20|node24`).

GitHub's runner brings its own Node.js for each `using`; stax runs them with
the host's: `[actions] node` in stax.toml (a command name looked up on PATH, or
a path), `node` by default, or the one `[actions] node24` (and so on) names for
that `using`. An action written for a newer Node.js than the one that runs it
often fails in ways that say nothing of versions (a missing web API), so the
step is warned when the major version is lower than its `using` asks.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import TYPE_CHECKING

import trio

from runner.config import NODE_RUNTIMES as NODE_RUNTIMES
from runner.errors import RunError

if TYPE_CHECKING:
    from runner.config import ActionsSettings

_VERSION = re.compile(r"v(\d+)\.")
# A memo, as the tool cache keeps versions: a program (its real path, size and mtime)
# -> its major version. A Node.js replaced on disk is asked again.
_majors: dict[tuple[str, int, int], int | None] = {}


def node_setting(actions: ActionsSettings, using: str) -> str:
    """What runs `using` (node20, node24...): its own setting, else `[actions] node`."""
    return actions.runtimes.get(using.lower(), actions.node)


async def node_major(node: str) -> int | None:
    """The major version `node --version` gives (None when it says nothing usable);
    asked once for each program."""
    key = _identity(node)
    if key is None:
        return None
    if key not in _majors:
        try:
            with trio.fail_after(10):
                done = await trio.run_process(
                    [node, "--version"], capture_stdout=True, capture_stderr=True, check=False
                )
        except (OSError, trio.TooSlowError):
            return None
        match = _VERSION.match(done.stdout.decode("ascii", "replace").strip())
        _majors[key] = int(match[1]) if match else None
    return _majors[key]


def _identity(node: str) -> tuple[str, int, int] | None:
    try:
        real = os.path.realpath(node)
        status = os.stat(real)
    except OSError:
        return None
    return (real, status.st_size, status.st_mtime_ns)


def runtime_mismatch(using: str, node: str, major: int | None) -> str | None:
    """A warning when `node` (of version `major`) is older than `using` asks, else None."""
    wanted = int(using.lower().removeprefix("node"))
    if major is None or major >= wanted:
        return None
    return (
        f"this action runs on {using.lower()}, and {node} is Node.js {major}: it may fail "
        f"(set [actions] {using.lower()} in stax.toml to a Node.js {wanted})"
    )


def is_node_runtime(using: str) -> bool:
    return using.lower() in NODE_RUNTIMES


def find_node(setting: str = "node") -> str:
    """The path of the Node.js executable `setting` names. Raises RunError saying
    what is missing and how to fix it."""
    if os.sep in setting:
        if os.path.isfile(setting) and os.access(setting, os.X_OK):
            return setting
        raise RunError(
            f"JavaScript actions run with Node.js: {setting} ([actions] node in stax.toml) "
            "is not an executable file"
        )
    found = shutil.which(setting)
    if found is None:
        raise RunError(
            f"JavaScript actions run with Node.js: no {setting!r} on PATH "
            "(install Node.js, or set [actions] node in stax.toml)"
        )
    return found
