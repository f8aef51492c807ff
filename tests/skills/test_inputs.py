"""A caller's inputs against a skill's declaration: JSON strictly, command lines leniently."""

from __future__ import annotations

import textwrap

import pytest

from runner.model import parse_skill
from runner.skills import InputProblems, input_schema, resolve_skill_inputs

SKILL = parse_skill(
    textwrap.dedent("""
        id: typed
        inputs:
          text: {type: string, required: true, description: the text}
          count: {type: integer, default: 3}
          ratio: {type: number}
          loud: {type: boolean, default: false}
          mode: {type: string, options: [short, long], default: short}
          meta: {type: object}
          tags: {type: array}
        steps: [{run: echo}]
    """),
    "typed.yml",
)


def test_defaults_and_empty_values_fill_in() -> None:
    assert resolve_skill_inputs(SKILL, {"text": "hi"}, strict=True) == {
        "text": "hi",
        "count": 3,
        "ratio": 0,
        "loud": False,
        "mode": "short",
        "meta": {},
        "tags": [],
    }


def test_json_inputs_must_have_their_type_and_every_problem_is_listed() -> None:
    with pytest.raises(InputProblems) as info:
        resolve_skill_inputs(
            SKILL,
            {
                "count": "3",
                "ratio": True,
                "loud": "yes",
                "mode": "medium",
                "meta": [],
                "tags": {},
                "extra": 1,
            },
            strict=True,
        )
    assert info.value.problems == (
        "input 'count': expected a whole number, got a string ('3')",
        "input 'ratio': expected a number, got a boolean (true)",
        "input 'loud': expected true or false, got a string ('yes')",
        "input 'mode': expected one of short, long, got 'medium'",
        "input 'meta': expected an object, got an array",
        "input 'tags': expected an array, got an object",
        "unknown input 'extra' (declared: text, count, ratio, loud, mode, meta, tags)",
        "input 'text' is required",
    )
    assert str(info.value).startswith("invalid inputs for skill 'typed': input 'count'")


def test_command_line_values_are_converted() -> None:
    values = resolve_skill_inputs(
        SKILL,
        {
            "text": "5",
            "count": "7",
            "ratio": "0.5",
            "loud": "TRUE",
            "meta": '{"a": 1}',
            "tags": "[1, 2]",
        },
        strict=False,
    )
    assert values == {
        "text": "5",
        "count": 7,
        "ratio": 0.5,
        "loud": True,
        "meta": {"a": 1},
        "tags": [1, 2],
        "mode": "short",
    }
    with pytest.raises(InputProblems, match=r"input 'count': expected a whole number, got 2\.5"):
        resolve_skill_inputs(SKILL, {"text": "x", "count": "2.5"}, strict=False)
    assert resolve_skill_inputs(SKILL, {"text": 12}, strict=False)["text"] == "12"
    with pytest.raises(InputProblems, match="expected a string, got a number"):
        resolve_skill_inputs(SKILL, {"text": 12}, strict=True)


def test_input_schema_is_json_schema() -> None:
    schema = input_schema(SKILL)
    assert schema["required"] == ["text"]
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert properties["text"] == {"type": "string", "description": "the text"}
    assert properties["mode"] == {"type": "string", "default": "short", "enum": ["short", "long"]}
    assert properties["count"] == {"type": "integer", "default": 3}
