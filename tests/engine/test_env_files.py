"""$GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH, $GITHUB_STATE, $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.engine.env_files import parse_key_values
from runner.errors import RunError

if TYPE_CHECKING:
    from tests.engine.conftest import Runner


async def test_output_env_and_path_files_reach_later_steps(run_steps: Runner) -> None:
    result = await run_steps("""
        - id: first
          run: |
            echo "plain=value with = sign" >> "$GITHUB_OUTPUT"
            {
              echo "multi<<END_OF_VALUE"
              echo "line 1"
              echo ""
              echo "line 3"
              echo "END_OF_VALUE"
            } >> "$GITHUB_OUTPUT"
            echo "FROM_STEP=one" >> "$GITHUB_ENV"
            printf 'HEREDOC_ENV<<X\\na\\nb\\nX\\n' >> "$GITHUB_ENV"
            mkdir -p "$RUNNER_TEMP/tools"
            printf '#!/bin/sh\\necho tool ran\\n' > "$RUNNER_TEMP/tools/mytool"
            chmod +x "$RUNNER_TEMP/tools/mytool"
            echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
        - env:
            MULTI: ${{ steps.first.outputs.multi }}
          run: |
            echo "plain=${{ steps.first.outputs.plain }}"
            printf '%s|' "$MULTI"; echo
            echo "env=$FROM_STEP ctx=${{ env.FROM_STEP }}"
            printf '%s|' "$HEREDOC_ENV"; echo
            mytool
    """)
    assert result.conclusion == "success"
    assert result.output("j", 2) == [
        "plain=value with = sign",
        "line 1",
        "",
        "line 3|",
        "env=one ctx=one",
        "a",
        "b|",
        "tool ran",
    ]


async def test_each_step_gets_its_own_files(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo "$GITHUB_OUTPUT $GITHUB_ENV $GITHUB_PATH $GITHUB_STATE $GITHUB_STEP_SUMMARY"
        - run: |
            echo "$GITHUB_OUTPUT $GITHUB_ENV $GITHUB_PATH $GITHUB_STATE $GITHUB_STEP_SUMMARY"
            for f in "$GITHUB_OUTPUT" "$GITHUB_ENV" "$GITHUB_PATH" "$GITHUB_STATE" "$GITHUB_STEP_SUMMARY"; do
              test -f "$f" && test ! -s "$f"
            done
    """)
    assert result.conclusion == "success"
    first, second = result.output("j", 1)[0].split(), result.output("j", 2)[0].split()
    assert len(set(first) | set(second)) == 10


async def test_step_env_overrides_github_env_which_overrides_job_env(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        env: {LEVEL: workflow, WF_ONLY: wf}
        jobs:
          j:
            runs-on: ubuntu-latest
            env: {LEVEL: job}
            steps:
              - run: echo "$LEVEL $WF_ONLY"
              - run: echo "LEVEL=github_env" >> "$GITHUB_ENV"
              - run: echo "$LEVEL ${{ env.LEVEL }}"
              - env: {LEVEL: step}
                run: echo "$LEVEL ${{ env.LEVEL }}"
    """)
    assert result.output("j", 1) == ["job wf"]
    assert result.output("j", 3) == ["github_env github_env"]
    assert result.output("j", 4) == ["step step"]


async def test_step_summary_is_collected_on_the_job(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo "## Results" >> "$GITHUB_STEP_SUMMARY"
        - run: echo "- all green" >> "$GITHUB_STEP_SUMMARY"
    """)
    assert result.job("j").summary == "## Results\n\n- all green\n"


async def test_state_is_kept_per_step(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            echo "pid=123" >> "$GITHUB_STATE"
            echo "::save-state name=other::456"
    """)
    assert result.conclusion == "success"


async def test_a_malformed_output_file_fails_the_step(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo "no equals sign here" >> "$GITHUB_OUTPUT"
        - if: always()
          run: printf 'k<<EOF\\nnever closed\\n' >> "$GITHUB_ENV"
        - if: always()
          run: echo "=novalue" >> "$GITHUB_OUTPUT"
    """)
    assert result.conclusion == "failure"
    assert result.step_conclusions("j") == ["failure", "failure", "failure"]
    first = "\n".join(result.logs("j", 1))
    assert "$GITHUB_OUTPUT" in first
    assert "no equals sign here" in first
    second = "\n".join(result.logs("j", 2))
    assert "matching delimiter not found" in second
    assert "EOF" in second


def test_parse_key_values_follows_the_runner() -> None:
    assert parse_key_values("a=1\nb=\n\nc=x=y\n") == {"a": "1", "b": "", "c": "x=y"}
    assert parse_key_values("a<<EOF\r\nx\r\ny\r\nEOF\r\n") == {"a": "x\ny"}
    assert parse_key_values("a<<EOF\nEOF\n") == {"a": ""}
    assert parse_key_values("a=1\na=2\n") == {"a": "2"}
    with pytest.raises(RunError, match="invalid line"):
        parse_key_values("justtext\n")
    with pytest.raises(RunError, match="delimiter"):
        parse_key_values("a<<EOF\nno end\n")
    with pytest.raises(RunError):
        parse_key_values("=value\n")


async def test_a_file_past_the_bound_fails_the_step_without_being_read_whole(
    run_steps: Runner,
) -> None:
    """A step writing gigabytes to $GITHUB_OUTPUT would have taken the engine's memory
    (read whole); past 16 MiB it fails the step instead."""
    result = await run_steps("""
        - run: truncate -s 4G "$GITHUB_OUTPUT"
        - if: always()
          run: head -c 8000000 /dev/zero | tr '\\0' 'x' > "$GITHUB_STEP_SUMMARY"
    """)
    steps = result.job("j").steps
    assert [str(s.conclusion) for s in steps] == ["failure", "success"]
    assert steps[0].error == (
        "$GITHUB_OUTPUT holds more than 16,777,216 bytes, the most a step may hand on "
        "through one of these files"
    )
    assert len(result.job("j").summary) == 8_000_000  # under the bound: kept
