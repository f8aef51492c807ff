"""Workflow commands on a step's stdout, as the GitHub runner handles them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.engine.commands import parse_command
from runner.engine.steps.output import annotation_properties
from tests.engine.workflows import one_job

if TYPE_CHECKING:
    from pathlib import Path

    from tests.engine.conftest import Runner


async def test_annotations_carry_their_properties(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "::notice::just so you know"
            echo "::warning file=app.js,line=1,col=5,endColumn=7,title=Semi::Missing semicolon"
            echo "::error file=src/a.py,line=10,endLine=12,title=Type error::bad%0Atwo lines"
            echo "after"
    """)
    assert result.conclusion == "success"  # an ::error:: alone does not fail a step
    annotations = result.annotations()
    assert annotations == [
        {"level": "notice", "message": "just so you know"},
        {
            "level": "warning",
            "message": "Missing semicolon",
            "file": "app.js",
            "line": 1,
            "col": 5,
            "endColumn": 7,
            "title": "Semi",
        },
        {
            "level": "error",
            "message": "bad\ntwo lines",
            "file": "src/a.py",
            "line": 10,
            "endLine": 12,
            "title": "Type error",
        },
    ]
    assert result.output("j", 1) == [
        "##[notice]just so you know",
        "##[warning]Missing semicolon",
        "##[error]bad\ntwo lines",
        "after",
    ]


async def test_group_and_endgroup_become_markers(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "::group::Install things"
            echo inside
            echo "::endgroup::"
            echo outside
    """)
    assert result.output("j", 1) == ["##[group]Install things", "inside", "##[endgroup]", "outside"]


async def test_debug_lines_show_only_with_step_debug(run_yaml: Runner) -> None:
    text = one_job("""
        - run: |
            echo "::debug::details"
            echo visible
    """)
    quiet = await run_yaml(text)
    assert quiet.output("j", 1) == ["visible"]
    loud = await run_yaml(text, secrets={"ACTIONS_STEP_DEBUG": "true"})
    assert loud.output("j", 1) == ["##[debug]details", "visible"]
    via_var = await run_yaml(text, vars={"ACTIONS_STEP_DEBUG": "TRUE"})
    assert via_var.output("j", 1) == ["##[debug]details", "visible"]


async def test_set_output_and_save_state_commands(run_steps: Runner) -> None:
    result = await run_steps("""
        - id: s
          run: |
            echo "::set-output name=answer::42"
            echo "::save-state name=token::abc"
            echo done
        - run: echo "answer=${{ steps.s.outputs.answer }}"
    """)
    assert result.output("j", 1) == ["done"]
    assert result.output("j", 2) == ["answer=42"]


async def test_stop_commands_until_the_token_comes_back(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "::stop-commands::pause-token"
            echo "::warning::not a warning"
            echo "::add-mask::notmasked"
            echo "notmasked"
            echo "::pause-token::"
            echo "::warning::a warning again"
    """)
    assert result.output("j", 1) == [
        "::warning::not a warning",
        "::add-mask::notmasked",
        "notmasked",
        "::pause-token::",
        "##[warning]a warning again",
    ]
    assert [a["message"] for a in result.annotations()] == ["a warning again"]


async def test_echo_on_shows_commands_and_off_hides_them(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "::set-output name=a::1"
            echo "::echo::on"
            echo "::set-output name=b::2"
            echo "::add-mask::hideme"
            echo "::echo::off"
            echo "::set-output name=c::3"
            echo "hideme"
    """)
    assert result.output("j", 1) == ["::set-output name=b::2", "::add-mask::***", "***"]


async def test_unknown_commands_are_printed_and_disabled_ones_fail(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo "::made-up::text"
        - run: echo "::set-env name=X::1"
    """)
    assert result.output("j", 1) == ["::made-up::text"]
    assert result.step_conclusions("j") == ["success", "failure"]
    assert any("set-env" in a["message"] for a in result.annotations())


async def test_commands_on_stderr_and_with_leading_space(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "  ::notice::indented" >&2
    """)
    assert [a["message"] for a in result.annotations()] == ["indented"]


def test_parse_command_escapes() -> None:
    command = parse_command("::error file=a%2Cb.py,title=x%3Ay::50%25 done%0D%0Anext")
    assert command is not None
    assert command.name == "error"
    assert command.properties == {"file": "a,b.py", "title": "x:y"}
    assert command.message == "50% done\r\nnext"
    assert parse_command("no command") is None
    assert parse_command("::unterminated") is None
    assert parse_command(":: ::x") is None


def test_the_older_command_form_is_read_anywhere_in_a_line_for_known_commands() -> None:
    command = parse_command("progress ##[warning file=a.py;line=3;x]50%AZP25 done%3B ok%5D")
    assert command is not None
    assert (command.name, command.properties) == ("warning", {"file": "a.py", "line": "3"})
    assert command.message == "50% done; ok]"
    matcher = parse_command("##[add-matcher]/actions/setup-node/.github/tsc.json")
    assert matcher is not None
    assert (matcher.name, matcher.message) == (
        "add-matcher",
        "/actions/setup-node/.github/tsc.json",
    )
    assert parse_command("##[section]Starting") is None  # not a command the runner knows
    assert parse_command("##[error no end") is None


async def test_the_older_command_form_acts_like_the_newer(
    run_steps: Runner, workspace: Path
) -> None:
    (workspace / "tsc.json").write_text('{"problemMatcher": []}')
    result = await run_steps("""
        - id: s
          run: |
            echo "##[add-matcher]tsc.json"
            echo "step ##[set-output name=answer]42"
            echo "##[warning file=a.py;line=3]careful"
            echo "##[section]kept as it is"
        - run: echo "answer=${{ steps.s.outputs.answer }}"
    """)
    assert result.output("j", 1) == ["##[warning]careful", "##[section]kept as it is"]
    assert result.output("j", 2) == ["answer=42"]
    warnings = [a for a in result.annotations() if a["level"] == "warning"]
    assert warnings == [{"level": "warning", "message": "careful", "file": "a.py", "line": 3}]


@pytest.mark.parametrize("level", ["workflow", "job", "step"])
async def test_allow_unsecure_commands_at_any_env_level_enables_set_env_and_add_path(
    run_yaml: Runner, level: str
) -> None:
    allow = "env: {ACTIONS_ALLOW_UNSECURE_COMMANDS: 'true'}"
    result = await run_yaml(f"""
        on: push
        {allow if level == "workflow" else ""}
        jobs:
          j:
            runs-on: ubuntu-latest
            {allow if level == "job" else ""}
            steps:
              - run: |
                  echo "::set-env name=GREETING::hello"
                  echo "::add-path::/opt/stax-test-bin"
                {allow if level == "step" else ""}
              - run: echo "$GREETING ${{{{ env.GREETING }}}} ${{PATH%%:*}}"
    """)
    assert result.conclusion == "success", result.annotations()
    assert result.output("j", 2) == ["hello hello /opt/stax-test-bin"]
    assert result.annotations() == []


@pytest.mark.parametrize(
    ("properties", "kept"),
    [
        # Not numbers: ignored, as GitHub ignores them (int() of these killed the daemon).
        ({"line": "²"}, {}),
        ({"line": "٣"}, {}),  # an Arabic-Indic digit: isdigit(), and int() takes it
        ({"line": "7" * 5000}, {}),
        ({"line": "99999999999"}, {}),  # past an Int32
        ({"line": "x", "col": "3"}, {}),  # a column needs a line
        ({"line": "3.5"}, {}),
        ({"line": " 12 ", "col": "+4"}, {"line": 12, "col": 4}),
        ({"line": "-1"}, {"line": -1}),  # an Int32 all the same
        # The runner's rules for ranges.
        ({"endLine": "5"}, {"line": 5, "endLine": 5}),
        ({"line": "5", "endColumn": "9"}, {"line": 5, "col": 9, "endColumn": 9}),
        ({"line": "5", "endLine": "6", "col": "1"}, {"line": 5, "endLine": 6}),
        ({"line": "9", "endLine": "3"}, {}),
        ({"line": "2", "col": "9", "endColumn": "3"}, {"line": 2}),
        ({"file": "a.py", "title": "T", "line": "1"}, {"file": "a.py", "title": "T", "line": 1}),
    ],
)
def test_annotation_positions_are_checked_as_the_runner_checks_them(
    properties: dict[str, str], kept: dict[str, object]
) -> None:
    assert annotation_properties(properties) == kept


async def test_a_malformed_position_is_dropped_and_the_annotation_kept(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "::error line=²,col=²,endLine=$(printf '9%.0s' $(seq 1 5000))::x"
            echo "::warning file=f,line=٣::y"
    """)
    assert result.conclusion == "success"
    assert result.annotations() == [
        {"level": "error", "message": "x"},
        {"level": "warning", "message": "y", "file": "f"},
    ]
