"""Actions: where a `uses:` comes from, and the runtimes that run what it names.

    ActionSource / ActionReference   owner/repo[/path]@ref -> a folder: a --local-repository
                                     folder, the cache (by commit), or git from the server
    find_node / node_setting / ...   the host's Node.js for `using: node*` actions
    clone_repository                 another repository for actions/checkout, from the same places
    find_container_engine, run_argv  a reachable Docker/Podman daemon, and `docker run`
                                     for a Docker action

The engine runs actions (runner.engine.steps.action); this package knows
nothing of runs, jobs or events. The runner services the official actions call
(artifacts, cache) live in `runner.actions.services`.
"""

from runner.actions.clone import ClonedRepository, clone_repository
from runner.actions.docker import (
    Mounts,
    build_argv,
    find_container_engine,
    image_tag,
    run_argv,
)
from runner.actions.node import (
    NODE_RUNTIMES,
    find_node,
    is_node_runtime,
    node_major,
    node_setting,
    runtime_mismatch,
)
from runner.actions.source import (
    ActionReference,
    ActionSource,
    FetchedAction,
    SourceStatistics,
    default_cache_dir,
)

__all__ = [
    "NODE_RUNTIMES",
    "ActionReference",
    "ActionSource",
    "ClonedRepository",
    "FetchedAction",
    "Mounts",
    "SourceStatistics",
    "build_argv",
    "clone_repository",
    "default_cache_dir",
    "find_container_engine",
    "find_node",
    "image_tag",
    "is_node_runtime",
    "node_major",
    "node_setting",
    "run_argv",
    "runtime_mismatch",
]
