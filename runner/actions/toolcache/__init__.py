"""The tool cache: RUNNER_TOOL_CACHE, seeded with the host's interpreters.

The setup-* actions (setup-python, setup-node, setup-uv) look for a version in the
tool cache before they download one. Each run gets a fresh tool cache in its temp
folder, laid out as they read it (layout.py) with the host's Pythons, Node.js and uv
(discovery.py): asking for a version the host has succeeds offline, in milliseconds,
and what a run installs into a tool cache Python is gone when the run ends, as on a
fresh virtual machine. What is shared between runs lives in the state folder
($XDG_CACHE_HOME/stax/tool-cache, or `[actions] tool_cache` in stax.toml): the
versions the host's programs reported, and the pip wheels unpacked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from runner.actions.toolcache.discovery import HostTool, discover_host_tools
from runner.actions.toolcache.layout import lay_out, node_arch, uv_arch

if TYPE_CHECKING:
    from runner.model import Workflow

__all__ = [
    "HostTool",
    "default_state_dir",
    "discover_host_tools",
    "lay_out",
    "needs_tool_cache",
    "node_arch",
    "prepare_tool_cache",
    "uv_arch",
]

# What a `run:` step would write to look in the tool cache itself.
_MENTIONS = ("RUNNER_TOOL_CACHE", "AGENT_TOOLSDIRECTORY", "runner.tool_cache")


def default_state_dir() -> Path:
    """$XDG_CACHE_HOME/stax/tool-cache, or ~/.cache/stax/tool-cache."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "stax" / "tool-cache"


def prepare_tool_cache(
    cache: Path, *, state_dir: Path | None = None, node: str | None = "node"
) -> list[HostTool]:
    """Seed `cache` (a folder that does not exist yet) with the host's tools; returns
    them. Blocking (a first run asks each interpreter its version): run it in a thread."""
    state = state_dir or default_state_dir()
    tools = discover_host_tools(state, node=node)
    lay_out(cache, tools, state)
    return tools


def needs_tool_cache(workflow: Workflow) -> bool:
    """Whether a run of `workflow` may look in its tool cache: it uses an action other
    than actions/checkout (a setup-* action, or one that may contain one), or a `run:`
    step names the tool cache. Otherwise the run's tool cache stays empty and costs
    nothing."""
    for job in workflow.jobs.values():
        if job.uses is not None:
            return True
        for step in job.steps:
            uses = (step.uses or "").lower()
            if uses and not uses.startswith("actions/checkout@"):
                return True
            texts = [step.run or "", *(v for v in step.env.values() if isinstance(v, str))]
            if any(name in text for text in texts for name in _MENTIONS):
                return True
    return False
