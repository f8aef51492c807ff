"""The parsed, typed shape of workflows and actions.

Everything here is immutable and pure. Values that GitHub lets an expression
decide at run time (`runs-on`, `timeout-minutes`, `continue-on-error`, a
matrix, `with:` and `env:` values, ...) stay *raw*: the JSONValue the YAML
gave, possibly a string holding ``${{ }}``. The engine evaluates them when it
has the contexts; the model only checks what can be checked before a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from runner.errors import SourcePos
    from runner.expressions.values import JSONValue


class StepKind(StrEnum):
    """What a step does, decided once at load time (the engine's step factory keys on it)."""

    RUN = "run"  # run: a script in a shell
    CHECKOUT = "checkout"  # uses: actions/checkout@* (the workspace is already here)
    LOCAL_ACTION = "local-action"  # uses: ./path (an action in the workspace)
    REMOTE_ACTION = "remote-action"  # uses: owner/repo[/path]@ref (from the actions server)
    DOCKER_ACTION = "docker-action"  # uses: docker://image (needs a container engine)
    SKILL = "skill"  # skill: some.skill (stax's extension)


@dataclass(frozen=True, slots=True, kw_only=True)
class Gate:
    """A safety gate bounding one skill step. Tripping it degrades the step."""

    timeout_seconds: float | None = None
    max_output_bytes: int | None = None
    allowed_exit_codes: tuple[int, ...] = (0,)
    on_trip: str = "degrade"  # "degrade" | "fail"
    fallback: Mapping[str, JSONValue] = field(default_factory=dict)
    pos: SourcePos | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a job, a composite action or a skill."""

    index: int  # 0-based position in its parent; the step number is index + 1
    pos: SourcePos
    kind: StepKind
    id: str | None = None
    name: str | None = None  # raw: may hold ${{ }}
    if_: str | None = None  # raw condition, with or without ${{ }}; None means success()
    run: str | None = None
    uses: str | None = None
    skill: str | None = None
    with_: Mapping[str, JSONValue] = field(default_factory=dict)
    env: Mapping[str, JSONValue] = field(default_factory=dict)
    shell: str | None = None
    working_directory: str | None = None
    continue_on_error: JSONValue = False  # bool or an expression string
    timeout_minutes: JSONValue = None  # number or an expression string; None = the job's
    gate: Gate | None = None  # skills only

    @property
    def display_name(self) -> str:
        """The name GitHub shows when `name:` is absent."""
        if self.name is not None:
            return self.name
        if self.run is not None:
            first = next((ln for ln in self.run.splitlines() if ln.strip()), "")
            return f"Run {first.strip()}"
        if self.uses is not None:
            return f"Run {self.uses}"
        if self.skill is not None:
            return f"Skill {self.skill}"
        return f"Step {self.index + 1}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Defaults:
    """`defaults.run`: the shell and working directory of run steps."""

    shell: str | None = None
    working_directory: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Concurrency:
    group: str  # raw
    cancel_in_progress: JSONValue = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    name: str  # raw
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Strategy:
    matrix: JSONValue  # a mapping, or an expression string (fromJSON(...)); None if absent
    fail_fast: JSONValue = True
    max_parallel: JSONValue = None
    pos: SourcePos | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InputSpec:
    """A declared input of workflow_dispatch, workflow_call, an action or a skill."""

    name: str
    type: str = "string"  # string | boolean | number | choice | environment
    description: str = ""
    required: bool = False
    default: JSONValue = None  # raw; may hold an expression for workflow_call/actions
    options: tuple[str, ...] = ()
    deprecation_message: str = ""  # actions: warned about when a step passes the input
    pos: SourcePos | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputSpec:
    """A declared output: its value expression and description."""

    name: str
    value: str = ""  # raw
    description: str = ""
    pos: SourcePos | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretSpec:
    name: str
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    id: str
    pos: SourcePos
    name: str | None = None  # raw
    needs: tuple[str, ...] = ()
    if_: str | None = None
    runs_on: JSONValue = None  # raw: str | list[str] | {group, labels}
    environment: Environment | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)  # raw value expressions
    env: Mapping[str, JSONValue] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    strategy: Strategy | None = None
    timeout_minutes: JSONValue = 360
    continue_on_error: JSONValue = False
    concurrency: Concurrency | None = None
    steps: tuple[Step, ...] = ()
    uses: str | None = None  # a reusable workflow (./.github/workflows/x.yml)
    with_: Mapping[str, JSONValue] = field(default_factory=dict)
    secrets: str | Mapping[str, JSONValue] | None = None  # "inherit" or a mapping
    container: JSONValue = None  # needs Docker: refused at run time
    services: JSONValue = None  # likewise
    key_pos: Mapping[str, SourcePos] = field(default_factory=dict)  # where each key was written


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    path: str
    pos: SourcePos
    name: str | None = None
    run_name: str | None = None
    on: Mapping[str, Mapping[str, JSONValue]] = field(default_factory=dict)  # event -> its config
    dispatch_inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    call_inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    call_outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    call_secrets: Mapping[str, SecretSpec] = field(default_factory=dict)
    env: Mapping[str, JSONValue] = field(default_factory=dict)
    defaults: Defaults = field(default_factory=Defaults)
    concurrency: Concurrency | None = None
    jobs: Mapping[str, Job] = field(default_factory=dict)  # in file order

    @property
    def display_name(self) -> str:
        """`name:`, else the file path as GitHub shows it."""
        return self.name or self.path


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """An action.yml / action.yaml: composite, JavaScript (`node*`) or Docker."""

    path: str  # the action.yml file
    pos: SourcePos
    name: str = ""
    description: str = ""
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    outputs: Mapping[str, OutputSpec] = field(default_factory=dict)
    using: str = "composite"  # as written; the engine refuses what it cannot run
    steps: tuple[Step, ...] = ()  # composite
    main: str = ""  # node: the main script
    # The pre and post stages: a script (node) or an entrypoint (docker:
    # pre-entrypoint, post-entrypoint); "" when the action has none.
    pre: str = ""
    post: str = ""
    pre_if: str = "always()"
    post_if: str = "always()"
    image: str = ""  # docker: an image (docker://...) or a Dockerfile in the action
    entrypoint: str = ""  # docker
    args: tuple[str, ...] = ()  # docker: raw, may hold ${{ inputs.x }}
    env: Mapping[str, JSONValue] = field(default_factory=dict)  # docker: raw
