"""Skill files: what parses, and every problem at file:line:col."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from runner.errors import SourcePos, WorkflowErrors
from runner.model import Gate, StepKind, load_skill, parse_skill
from tests.skills.conftest import EXAMPLES


def problems(text: str) -> list[str]:
    with pytest.raises(WorkflowErrors) as info:
        parse_skill(textwrap.dedent(text), "s.yml")
    return [str(e) for e in info.value.errors]


def test_the_example_skills_parse() -> None:
    summarize = load_skill(EXAMPLES / "text-summarize" / "skill.yml")
    assert summarize.id == "text.summarize"
    assert summarize.version == "1.0"
    assert list(summarize.inputs) == ["text", "max_words", "shout"]
    assert summarize.inputs["max_words"].type == "integer"
    assert summarize.inputs["max_words"].default == 12
    assert summarize.inputs["text"].required
    assert [s.id for s in summarize.steps] == ["analyze", "shout"]
    assert summarize.steps[1].if_ == "inputs.shout"
    assert summarize.outputs["words"].description == "How many words the whole text has"
    assert summarize.directory == (EXAMPLES / "text-summarize").resolve()

    classify = load_skill(EXAMPLES / "text-classify" / "skill.yml")
    gate = classify.steps[0].gate
    assert gate is not None
    assert (gate.timeout_seconds, gate.max_output_bytes, gate.allowed_exit_codes) == (
        10.0,
        65536,
        (0,),
    )
    assert (gate.on_trip, dict(gate.fallback)) == ("degrade", {"label": "neutral", "score": "0"})

    report = load_skill(EXAMPLES / "text-report" / "skill.yml")
    assert [(c.skill_id, c.step_index, c.with_keys) for c in report.calls] == [
        ("text.summarize", 0, ("text", "max_words")),
        ("text.classify", 1, ("text", "lexicon")),
    ]
    assert (report.calls[0].pos.line, report.calls[0].pos.col) == (21, 12)  # the `skill:` value
    assert report.steps[0].kind is StepKind.SKILL


def test_a_minimal_skill_and_output_shorthands() -> None:
    skill = parse_skill(
        textwrap.dedent("""
            id: a.b-c_d.e1
            steps:
              - run: echo hi
                gate: {}
            outputs:
              short: ${{ steps.x.outputs.y }}
              long: {value: "${{ 1 }}", description: one}
        """),
        "s.yml",
    )
    assert skill.id == "a.b-c_d.e1"
    assert skill.display_name == "a.b-c_d.e1"
    assert skill.steps[0].gate == Gate(pos=SourcePos(path="s.yml", line=5, col=11))
    assert skill.outputs["short"].value == "${{ steps.x.outputs.y }}"
    assert skill.outputs["long"].description == "one"


def test_every_problem_is_reported_with_its_position() -> None:
    assert problems("""
        id: bad id
        nme: x
        inputs:
          n: {type: number, default: ten}
          t: {type: text}
          o: {type: integer, options: [a]}
          c: {type: string, options: [a, b], default: z}
        steps:
          - id: one
            uses: ./x
          - run: sleep 1
            gate:
              timeout-seconds: -1
              max-output-bytes: 1.5
              allowed-exit-codes: [0, 300]
              on-trip: explode
              bogus: 1
          - skill: other.skill
            gate: {allowed-exit-codes: 1}
          - run: exit 1
            gate: {on-trip: fail, fallback: {x: 1}}
          - run: echo ${{ inputs.n +}}
    """) == [
        's.yml:2:5: id: invalid skill id "bad id": use letters, digits, "-" and "_" in '
        'dot-separated parts (e.g. "text.summarize")',
        's.yml:3:1: nme: unknown key "nme" (did you mean "name"?); allowed keys are: id, name, '
        "description, version, inputs, outputs, env, steps",
        's.yml:5:30: inputs.n.default: the default of a "number" input must be a number',
        's.yml:6:13: inputs.t.type: invalid input type "text"; allowed types are: string, '
        "number, integer, boolean, object, array",
        's.yml:7:31: inputs.o.options: "options" only applies to "string" inputs',
        "s.yml:8:47: inputs.c.default: the default 'z' is not one of the options (a, b)",
        's.yml:10:5: steps[0]: a step must have one of "run" or "skill"',
        's.yml:11:5: steps[0].uses: unknown key "uses"; allowed keys are: id, if, name, run, '
        "shell, with, env, working-directory, continue-on-error, timeout-minutes, skill, gate",
        "s.yml:14:24: steps[1].gate.timeout-seconds: must be a positive number, not a number",
        "s.yml:15:25: steps[1].gate.max-output-bytes: must be a positive whole number, "
        "not a number",
        "s.yml:16:31: steps[1].gate.allowed-exit-codes: must be an exit code (0 to 255) or a "
        "list of them, not a number",
        's.yml:17:16: steps[1].gate.on-trip: invalid on-trip "explode": use "degrade" '
        '(fallback outputs stand in and the skill goes on) or "fail"',
        's.yml:18:7: steps[1].gate.bogus: unknown key "bogus"; allowed keys are: '
        "timeout-seconds, max-output-bytes, allowed-exit-codes, on-trip, fallback",
        's.yml:20:12: steps[2].gate.allowed-exit-codes: "allowed-exit-codes" only applies to '
        '"run" steps (a called skill that fails always trips its gate)',
        's.yml:22:27: steps[3].gate.fallback: "fallback" only applies with on-trip: degrade',
        "s.yml:23:28: steps[4].run: invalid expression \"inputs.n +\": Unexpected symbol: '+'",
    ]


def test_missing_keys_empty_steps_and_reserved_ids() -> None:
    assert problems("description: nothing\n") == [
        's.yml:1:1: missing required key "id"',
        's.yml:1:1: missing required key "steps"',
    ]
    assert problems("id: executions\nsteps: []\n") == [
        's.yml:1:5: id: "executions" is reserved and cannot be a skill id',
        "s.yml:2:8: steps: a skill needs at least one step",
    ]
    assert problems("") == ["s.yml:1:1: the skill file is empty"]
    assert problems("- a\n") == ['s.yml:1:1: a skill must be a mapping with "id" and "steps"']


def test_model_and_skills_never_import_trio_or_the_http_stack() -> None:
    code = (
        "import sys, runner.model, runner.skills, runner.api.skills.projection;"
        "bad = [m for m in ('trio', 'quart', 'hypercorn') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
