"""One step's action: where it is, what its action.yml says, and the state its
stages (pre, main, post) share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from runner.expressions import JSONValue
    from runner.model import Action


class Stage(StrEnum):
    PRE = "pre"
    MAIN = "main"
    POST = "post"


@dataclass(slots=True, kw_only=True)
class ActionInstance:
    """One step's action: where it is, what its action.yml says, and what its stages
    share."""

    uses: str
    directory: Path  # the action's folder (GITHUB_ACTION_PATH)
    action: Action
    repository: str = ""  # owner/repo of a remote action (GITHUB_ACTION_REPOSITORY)
    ref: str = ""  # its ref (GITHUB_ACTION_REF)
    origin: str = ""  # for the step's log: where a remote action came from
    state: dict[str, str] = field(default_factory=dict)  # saved by one stage for the next
    action_id: str | None = None  # `github.action` (GITHUB_ACTION), the same for every stage
    inputs: dict[str, JSONValue] | None = None  # as main (or pre) last saw them: post's
    env: dict[str, str] | None = None  # the step's `env:`, likewise
    image: str = ""  # a Docker action's image, once pulled or built for this step
    post_registered: bool = False

    @property
    def is_local(self) -> bool:
        return not self.repository


def action_id_base(instance: ActionInstance) -> str:
    """The `github.action` of an action step without an id: `__owner_repo`, `__self`."""
    if instance.is_local:
        return "__self"
    return "__" + re.sub(r"[^A-Za-z0-9_-]", "_", instance.repository.replace("/", "_"))
