"""What stax.toml can say, as frozen data: Settings and its sections (read by
runner.config)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The `runs.using` of JavaScript actions; [actions] may name a Node.js for each.
NODE_RUNTIMES = ("node12", "node16", "node20", "node24")

if TYPE_CHECKING:
    from collections.abc import Mapping

CONFIG_NAME = "stax.toml"

# runs-on labels that mean "this machine" unless stax.toml says otherwise.
_HOST_LABELS = (
    "self-hosted",
    "linux",
    "x64",
    "arm64",
    "ubuntu-latest",
    "ubuntu-24.04",
    "ubuntu-22.04",
    "ubuntu-20.04",
    "ubuntu-slim",
    "local",
    "stax",
)
# ... and the ones that cannot run here (their jobs are skipped with a notice).
_FOREIGN_PREFIXES = ("macos", "windows")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentSettings:
    approval: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthSettings:
    read: str = "open"  # "open": GET streams need no token on loopback; "token": they do
    tokens: tuple[str, ...] = ()  # extra accepted tokens (personal access tokens, API keys)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitSettings:
    requests: int = 60
    window_seconds: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSettings:
    ping_seconds: float = 30.0  # /api/events keepalive (seed 003)
    heartbeat_seconds: float = 15.0  # execution threads heartbeat (seed 000)
    agent_heartbeat_seconds: float = 5.0
    agent_idle_close_seconds: float = 300.0
    write_timeout_seconds: float = 30.0  # a stream whose client takes no bytes is ended
    # Events queued per live subscriber (a log chunk counts its lines) before it is dropped
    # to catch up from the store. Shared with other subscribers, not copied.
    subscriber_buffer: int = 50_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionSettings:
    """How long the daemon keeps a connection that has stopped making progress."""

    # No request in progress (between keep-alive requests, or a request head that never
    # completes): the connection is closed.
    idle_timeout_seconds: float = 75.0
    # A request whose head arrived must have its body whole within this: else 408, closed.
    body_timeout_seconds: float = 30.0
    # Bytes sent that the peer has not acknowledged for this long end the connection
    # (TCP_USER_TIMEOUT): a peer that vanished without closing (a half-open connection).
    unacknowledged_timeout_seconds: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionsSettings:
    """Where `uses: owner/repo@ref` actions come from, and what runs JavaScript actions."""

    server: str = "https://github.com"  # the actions server (a GitHub Enterprise host, a mirror)
    node: str = "node"  # the Node.js that runs `using: node*` actions: a name on PATH or a path
    # "node24" -> the Node.js for that `using` alone (GitHub's runner has one per version)
    runtimes: Mapping[str, str] = field(default_factory=dict)
    offline_mode: bool = False  # use cached actions only, never the network
    # "owner/repo@ref" (any server) or "https://host/owner/repo@ref" -> a local folder
    local_repositories: Mapping[str, Path] = field(default_factory=dict)
    # What the tool caches of all runs share (host tools' versions, unpacked pip); None:
    # $XDG_CACHE_HOME/stax/tool-cache
    tool_cache: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceSettings:
    """Where jobs run: each in a snapshot of the repository, or all in the workdir."""

    bind: bool = False  # every job in the workdir itself (as `stax run --bind`)
    dir: Path | None = None  # where the snapshots are taken; None: <data_dir>/workspaces


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreSettings:
    """How often the daemon checks that its store can still be trusted (runner.events.store.health)."""

    file_check_seconds: float = 5.0  # stax.db and stax.lock are still the files it opened
    quick_check_seconds: float = 600.0  # PRAGMA quick_check of every page (and once at start)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicesSettings:
    """The runner services the official actions call (artifacts, cache)."""

    # `stax run --local` starts its loopback services server: "auto" when the workflow
    # may call them (see runner/actions/services/needs.py), "always", or "never".
    local: str = "auto"
    cache_size_mb: float = 10240.0  # GitHub's 10 GB per repository; then LRU eviction


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorSettings:
    """Where jobs run: "local" (in the engine, on this machine) or "ray" (a Ray cluster)."""

    kind: str = "local"
    address: str = ""  # the Ray cluster's GCS address (host:port); "" uses RAY_ADDRESS
    # How long a job waits for a node that offers its runs-on labels before it fails.
    placement_timeout_s: float = 300.0


EXECUTOR_KINDS = ("local", "ray")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    root: Path  # the directory holding stax.toml (or the cwd without one)
    config_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 4800
    allow_remote: bool = False
    data_dir: Path = Path(".stax")
    workflow_dirs: tuple[Path, ...] = (Path("workflows"), Path(".github/workflows"))
    skills_dirs: tuple[Path, ...] = (Path("skills"), Path("workflows/skills"))
    secrets_file: Path = Path(".secrets")
    max_parallel_jobs: int = 0  # 0: one per CPU
    retention_runs: int = 500
    step_kill_grace_seconds: float = 5.0
    # How long a request waits for the daemon to parse workflow and skill files.
    parse_timeout_seconds: float = 10.0
    labels: Mapping[str, str] = field(default_factory=dict)  # runs-on label -> "host" | "skip"
    environments: Mapping[str, EnvironmentSettings] = field(default_factory=dict)
    auth: AuthSettings = field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    streams: StreamSettings = field(default_factory=StreamSettings)
    connections: ConnectionSettings = field(default_factory=ConnectionSettings)
    actions: ActionsSettings = field(default_factory=ActionsSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    services: ServicesSettings = field(default_factory=ServicesSettings)
    workspace: WorkspaceSettings = field(default_factory=WorkspaceSettings)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    agent_protocol: bool = True

    @property
    def parallel_jobs(self) -> int:
        return self.max_parallel_jobs or (os.cpu_count() or 1)

    def label_target(self, label: str) -> str:
        """Where a runs-on label runs: "host", or "skip" for labels this machine can't serve."""
        lowered = label.lower()
        for key, value in self.labels.items():
            if key.lower() == lowered:
                return value
        if lowered in _HOST_LABELS:
            return "host"
        if lowered.startswith(_FOREIGN_PREFIXES):
            return "skip"
        return "host"

    def label_is_generic(self, label: str) -> bool:
        """Whether every machine serves `label`: one of the labels that mean "this
        machine" (ubuntu-latest, self-hosted ...) or one stax.toml maps to "host"."""
        lowered = label.lower()
        mapped = [value for key, value in self.labels.items() if key.lower() == lowered]
        if mapped:
            return mapped[0] == "host"
        return lowered in _HOST_LABELS

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)
