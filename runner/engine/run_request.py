"""What a run is asked to do: the workflow, where, for which event, with what."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from runner.actions.services import ServiceAccess
    from runner.json_text import JSONValue
    from runner.model import Workflow


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    workflow: Workflow
    workdir: Path
    event_name: str | None = None  # None: the workflow's first trigger
    event_payload: dict[str, JSONValue] | None = None
    inputs: Mapping[str, JSONValue] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    jobs: tuple[str, ...] = ()  # --job: these and what they need
    matrix_filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # --matrix
    approve_all: bool = False
    actor: str | None = None  # github.actor; None: from the repository (git's user.name)
    run_id: str | None = None
    run_number: int = 1
    # --local-repository OWNER/REPO@REF=PATH (over stax.toml's), --action-offline-mode
    local_repositories: Mapping[str, str] = field(default_factory=dict)
    action_offline_mode: bool = False
    # Where the runner services are (artifacts, cache): the steps get ACTIONS_* for them.
    services: ServiceAccess | None = None
    bind: bool = False  # --bind: every job in the workdir itself, not in a snapshot
