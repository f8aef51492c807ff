"""Skills: the catalog of skill definitions, their inputs, and execution ids.

    load_catalog(dirs) -> SkillCatalog     every skill in the skill dirs, checked across files
    SkillCatalogs                          catalogs kept until a skill file changes
    resolve_skill_inputs / input_schema     a caller's inputs against a skill's declaration
    skill_summary / describe_skill          skills as JSON (the API and `stax skill ... --json`)
    new_trace_id / run_id_of_trace          execution ids (the run holding an execution is in its id)

The engine's `skill:` step (runner.engine.steps.skill) uses the catalog; the
API and the CLI start executions with runner.engine's `execution_request`
(this package sits below the engine and never imports it).
"""

from __future__ import annotations

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
    "input_schema",
    "load_catalog",
    "new_trace_id",
    "resolve_skill_inputs",
    "run_id_of_trace",
    "skill_files",
    "skill_summary",
]
