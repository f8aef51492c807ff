"""The Node.js that runs JavaScript actions (`runs.using: node12|node16|node20|node24`).

GitHub's runner brings its own Node.js for each `using`; stax runs them all
with the host's: `[actions] node` in stax.toml (a command name looked up on
PATH, or a path), `node` by default.
"""

from __future__ import annotations

import os
import shutil

from runner.errors import RunError

NODE_RUNTIMES = ("node12", "node16", "node20", "node24")


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
