"""Parsed workflow, action and skill definitions. Pure: never imports trio.

Other packages import from here only:

    load_workflow / parse_workflow   a workflow file -> Workflow (WorkflowErrors lists every problem)
    load_action / parse_action       an action.yml -> Action
    expand_matrix / matrix_filter    strategy.matrix -> its combinations, in GitHub's order;
    matrix_values                    what --matrix may pick from
    load_yaml / to_json / Node ...   YAML 1.2 with positions, for other definition files
    parse_steps                      the step parser, for skills (pass parse_gate to allow `gate:`)
    load_skill / parse_skill         a skill file -> Skill (calls to other skills in Skill.calls)
"""

from __future__ import annotations

from runner.model.action import load_action, parse_action
from runner.model.gate import parse_gate
from runner.model.matrix import (
    MAX_COMBINATIONS,
    contains_expression,
    expand_matrix,
    matrix_filter,
    matrix_values,
)
from runner.model.skill import SKILL_ID, Skill, SkillCall, load_skill, parse_skill
from runner.model.skill_interface import SKILL_INPUT_TYPES
from runner.model.steps import COMPOSITE_STEP_KEYS, WORKFLOW_STEP_KEYS, GateParser, parse_steps
from runner.model.types import (
    Action,
    Concurrency,
    Defaults,
    Environment,
    Gate,
    InputSpec,
    Job,
    OutputSpec,
    SecretSpec,
    Step,
    StepKind,
    Strategy,
    Workflow,
)
from runner.model.validate import Problems
from runner.model.workflow import load_workflow, parse_workflow
from runner.model.yaml_loader import MAX_DEFINITION_BYTES, load_yaml, read_text
from runner.model.yaml_nodes import MappingNode, Node, ScalarNode, SequenceNode, to_json

__all__ = [
    "COMPOSITE_STEP_KEYS",
    "MAX_COMBINATIONS",
    "MAX_DEFINITION_BYTES",
    "SKILL_ID",
    "SKILL_INPUT_TYPES",
    "WORKFLOW_STEP_KEYS",
    "Action",
    "Concurrency",
    "Defaults",
    "Environment",
    "Gate",
    "GateParser",
    "InputSpec",
    "Job",
    "MappingNode",
    "Node",
    "OutputSpec",
    "Problems",
    "ScalarNode",
    "SecretSpec",
    "SequenceNode",
    "Skill",
    "SkillCall",
    "Step",
    "StepKind",
    "Strategy",
    "Workflow",
    "contains_expression",
    "expand_matrix",
    "load_action",
    "load_skill",
    "load_workflow",
    "load_yaml",
    "matrix_filter",
    "matrix_values",
    "parse_action",
    "parse_gate",
    "parse_skill",
    "parse_steps",
    "parse_workflow",
    "read_text",
    "to_json",
]
