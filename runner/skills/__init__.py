"""Skills: the catalog of skill definitions, their inputs, and starting an execution.

    load_catalog(dirs) -> SkillCatalog     every skill in the skill dirs, checked across files
    SkillCatalogs                          catalogs kept until a skill file changes
    resolve_skill_inputs / input_schema     a caller's inputs against a skill's declaration
    skill_summary / describe_skill          skills as JSON (the API and `stax skill ... --json`)
    new_trace_id / run_id_of_trace          execution ids (the run holding an execution is in its id)
    execution_request(skill, inputs, ...)   the RunRequest that executes one skill for a caller

The engine's `skill:` step (runner.engine.steps.skill) uses the catalog; the
API and the CLI start executions with `execution_request`. That one imports
the engine, so it is loaded on first use (the engine imports this package).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runner.skills.describe import describe_skill, skill_summary
from runner.skills.inputs import InputProblems, input_schema, resolve_skill_inputs
from runner.skills.skill_catalog import (
    SkillCatalog,
    SkillCatalogs,
    build_catalog,
    load_catalog,
    skill_files,
)
from runner.skills.trace import (
    CHANNEL_HEADER,
    CHANNELS,
    EXECUTION_EVENT,
    WORKFLOW_PREFIX,
    new_trace_id,
    run_id_of_trace,
)

if TYPE_CHECKING:
    from runner.skills.launch import execution_request, execution_workflow

_LAZY = {
    "execution_request": "runner.skills.launch",
    "execution_workflow": "runner.skills.launch",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runner.skills' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "CHANNELS",
    "CHANNEL_HEADER",
    "EXECUTION_EVENT",
    "WORKFLOW_PREFIX",
    "InputProblems",
    "SkillCatalog",
    "SkillCatalogs",
    "build_catalog",
    "describe_skill",
    "execution_request",
    "execution_workflow",
    "input_schema",
    "load_catalog",
    "new_trace_id",
    "resolve_skill_inputs",
    "run_id_of_trace",
    "skill_files",
    "skill_summary",
]
