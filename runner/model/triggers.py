"""`on:` of a workflow, normalised to one shape: event name -> its settings.

`on: push`, `on: [push, pull_request]` and the mapping form all become a
mapping whose values are mappings (`{}` when an event has no settings).
`schedule`'s list of `{cron: ...}` becomes `{"cron": [...]}`. The inputs,
outputs and secrets that `workflow_dispatch` and `workflow_call` declare are
collected as specs for the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.model.interface import (
    parse_call_inputs,
    parse_call_secrets,
    parse_dispatch_inputs,
    parse_outputs,
)
from runner.model.validate import (
    check_keys,
    describe,
    join,
    mapping,
    nonempty_string,
    string_list,
)
from runner.model.yaml_nodes import MappingNode, ScalarNode, SequenceNode

if TYPE_CHECKING:
    from runner.errors import SourcePos
    from runner.expressions.values import JSONValue
    from runner.model.types import InputSpec, OutputSpec, SecretSpec
    from runner.model.validate import Problems
    from runner.model.yaml_nodes import Node

KNOWN_EVENTS: tuple[str, ...] = (
    "branch_protection_rule",
    "check_run",
    "check_suite",
    "create",
    "delete",
    "deployment",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "fork",
    "gollum",
    "issue_comment",
    "issues",
    "label",
    "merge_group",
    "milestone",
    "page_build",
    "project",
    "project_card",
    "project_column",
    "public",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "pull_request_target",
    "push",
    "registry_package",
    "release",
    "repository_dispatch",
    "schedule",
    "status",
    "watch",
    "workflow_call",
    "workflow_dispatch",
    "workflow_run",
)
_FILTERED_EVENTS = ("push", "pull_request", "pull_request_target")
_FILTER_PAIRS = (
    ("branches", "branches-ignore"),
    ("tags", "tags-ignore"),
    ("paths", "paths-ignore"),
)
_LIST_SETTINGS = ("types", *(name for pair in _FILTER_PAIRS for name in pair))


@dataclass(frozen=True, slots=True, kw_only=True)
class Triggers:
    on: dict[str, dict[str, JSONValue]] = field(default_factory=dict)
    dispatch_inputs: dict[str, InputSpec] = field(default_factory=dict)
    call_inputs: dict[str, InputSpec] = field(default_factory=dict)
    call_outputs: dict[str, OutputSpec] = field(default_factory=dict)
    call_secrets: dict[str, SecretSpec] = field(default_factory=dict)


def parse_on(node: Node, problems: Problems, where: str = "on") -> Triggers:
    """Normalise `on:`, recording unknown events and malformed settings."""
    if isinstance(node, ScalarNode):
        event = nonempty_string(node, problems, where)
        if event is None:
            return Triggers()
        _check_event(event, node.pos, problems, where)
        return Triggers(on={event: {}})
    if isinstance(node, SequenceNode):
        if not node.value:
            problems.add("must name at least one event", node.pos, where)
        events = string_list(node, problems, where)
        for event, item in zip(events, node.value, strict=False):
            _check_event(event, item.pos, problems, where)
        return Triggers(on={event: {} for event in events})
    body = mapping(node, problems, where, "must be an event name, a list of events or")
    if body is None:
        return Triggers()
    if not body.value:
        problems.add("must name at least one event", body.pos, where)
    triggers = Triggers()
    for event, settings in body.items():
        at = join(where, event)
        _check_event(event, body.pos_of_key(event), problems, at)
        triggers.on[event] = _settings(event, settings, problems, at, triggers)
    return triggers


def _check_event(event: str, pos: SourcePos, problems: Problems, where: str) -> None:
    if event in KNOWN_EVENTS:
        return
    import difflib  # only for a mistake: not on every start-up

    close = difflib.get_close_matches(event, KNOWN_EVENTS, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    problems.add(
        f'unknown event "{event}"{hint}; known events are: {", ".join(KNOWN_EVENTS)}',
        pos,
        where,
    )


def _settings(
    event: str, node: Node, problems: Problems, where: str, triggers: Triggers
) -> dict[str, JSONValue]:
    if isinstance(node, ScalarNode) and node.value is None:
        return {}
    if event == "schedule":
        return {"cron": _crons(node, problems, where)}
    body = mapping(node, problems, where, "an event's settings must be")
    if body is None:
        return {}
    if event == "workflow_dispatch":
        check_keys(body, ("inputs",), problems, where)
        if (inputs := body.get("inputs")) is not None:
            triggers.dispatch_inputs.update(
                parse_dispatch_inputs(inputs, problems, join(where, "inputs"))
            )
    elif event == "workflow_call":
        check_keys(body, ("inputs", "outputs", "secrets"), problems, where)
        if (inputs := body.get("inputs")) is not None:
            triggers.call_inputs.update(parse_call_inputs(inputs, problems, join(where, "inputs")))
        if (outputs := body.get("outputs")) is not None:
            triggers.call_outputs.update(
                parse_outputs(outputs, problems, join(where, "outputs"), require_value=True)
            )
        if (secrets := body.get("secrets")) is not None:
            triggers.call_secrets.update(
                parse_call_secrets(secrets, problems, join(where, "secrets"))
            )
    else:
        _check_filters(event, body, problems, where)
    settings = body.to_json()
    return settings if isinstance(settings, dict) else {}


def _check_filters(event: str, body: MappingNode, problems: Problems, where: str) -> None:
    for key in _LIST_SETTINGS:
        if (value := body.get(key)) is not None:
            string_list(value, problems, join(where, key))
    if event not in _FILTERED_EVENTS:
        return
    for include, ignore in _FILTER_PAIRS:
        if include in body and ignore in body:
            problems.add(
                f'cannot use both "{include}" and "{ignore}" for the same event; '
                f'use "!" patterns in "{include}" to leave some out',
                body.pos_of_key(ignore),
                join(where, ignore),
            )


def _crons(node: Node, problems: Problems, where: str) -> list[JSONValue]:
    if not isinstance(node, SequenceNode):
        problems.add(
            f"must be a list of {{cron: ...}} entries, not {describe(node)}", node.pos, where
        )
        return []
    crons: list[JSONValue] = []
    for index, entry in enumerate(node.value):
        at = f"{where}[{index}]"
        body = mapping(entry, problems, at, "a schedule entry must be")
        if body is None:
            continue
        check_keys(body, ("cron",), problems, at)
        cron = body.get("cron")
        if cron is None:
            problems.add('missing required key "cron"', body.pos, at)
        elif (text := nonempty_string(cron, problems, join(at, "cron"))) is not None:
            crons.append(text)
    return crons
