"""JavaScript actions (`using: node*`), written with the official @actions/core, served
from the test's own actions server: the runner's contract, pre and post."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.actions import default_cache_dir
from runner.events.types import EventType
from tests.engine.conftest import needs_node

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine import WorkflowRun
    from tests.actions.git_server import GitServer
    from tests.engine.conftest import Runner, WatchingSink

pytestmark = needs_node


def _after_header(lines: list[str]) -> list[str]:
    """A step's lines after the action's `##[group]Run ...` header."""
    return lines[lines.index("##[endgroup]") + 1 :]


async def test_inputs_outputs_and_the_runner_variables(
    run_steps: Runner, actions_server: GitServer, workspace: Path
) -> None:
    sha = actions_server.publish_fixture("octo/greet", "greet")
    result = await run_steps("""
        - id: hi
          uses: octo/greet@v1
          with: {who: world, old: x}
        - uses: octo/greet@v1
          with: {who: again}
        - run: |
            echo "said=${{ steps.hi.outputs.greeting }} greeted=$GREETED"
            greet-tool
    """)
    assert result.conclusion == "success", result.logs()
    directory = default_cache_dir() / "commits" / "octo" / "greet" / sha
    lines = result.logs("j", 1)
    assert lines[0] == f"Download action repository 'octo/greet@v1' (SHA:{sha})"
    assert lines[1:5] == ["##[group]Run octo/greet@v1", "with:", "  who: world", "  old: x"]
    assert _after_header(lines) == [
        "Hello, world!",
        "python-version=3.12 event=push token=[]",
        # INPUT_ + the name upper-cased, spaces as `_`, hyphens kept; defaults included.
        "inputs: INPUT_EVENT INPUT_GREETING_WORD INPUT_OLD INPUT_PYTHON-VERSION INPUT_SECRET "
        "INPUT_TOKEN INPUT_WHO",
        "action=hi repository=octo/greet ref=v1",
        f"path={directory} cwd={workspace}",
    ]
    assert result.logs("j", 2)[0].startswith("Using cached action repository 'octo/greet@v1'")
    assert "action=__octo_greet repository=octo/greet ref=v1" in result.logs("j", 2)
    # $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH and the summary, written by core.
    assert result.output("j", 3) == ["said=Hello, world! greeted=again", "greet-tool says hi"]
    completed = result.of_type(EventType.STEP_COMPLETED)
    assert completed[0].data["outputs"] == {"greeting": "Hello, world!"}
    assert result.job("j").summary == "greeted world\ngreeted again"
    warnings = [a["message"] for a in result.annotations() if a["level"] == "warning"]
    assert warnings == ["Input 'old' has been deprecated with message: use who instead"]


async def test_a_required_input_left_out_fails_the_action_as_core_says(
    run_steps: Runner, actions_server: GitServer
) -> None:
    actions_server.publish_fixture("octo/greet", "greet")
    result = await run_steps("""
        - uses: octo/greet@v1
          with: {whom: typo}
    """)
    assert result.step_conclusions("j") == ["failure"]
    messages = [(a["level"], a["message"]) for a in result.annotations()]
    assert (
        "warning",
        "Unexpected input(s) 'whom', valid inputs are ['who', 'greeting word', "
        "'python-version', 'event', 'token', 'secret', 'old']",
    ) in messages
    assert ("warning", "Input required and not supplied: who") in messages
    assert any("Input required and not supplied: who" in line for line in result.logs("j", 1))
    assert result.job("j").steps[0].error == "Process completed with exit code 1."


async def test_a_value_the_action_masks_is_hidden_everywhere(
    run_steps: Runner, actions_server: GitServer
) -> None:
    actions_server.publish_fixture("octo/greet", "greet")
    result = await run_steps("""
        - uses: octo/greet@v1
          with: {who: world, secret: hush}
        - run: echo "later hush-derived"
    """)
    assert result.conclusion == "success"
    assert "the secret is ***" in result.logs("j", 1)
    assert result.output("j", 2) == ["later ***"]
    assert "hush-derived" not in result.all_json()


async def test_pre_and_post_run_in_github_order_and_share_state(
    run_steps: Runner, actions_server: GitServer
) -> None:
    actions_server.publish_fixture("octo/stages", "stages")
    result = await run_steps("""
        - uses: octo/stages@v1
          with: {name: first}
        - run: echo between
        - name: Second
          uses: octo/stages@v1
          with: {name: second}
    """)
    assert result.conclusion == "success", result.logs()
    steps = result.job("j").steps
    assert [(s.number, s.name) for s in steps] == [
        (1, "Pre Run octo/stages@v1"),
        (2, "Pre Second"),
        (3, "Run octo/stages@v1"),
        (4, "Run echo between"),
        (5, "Second"),
        (6, "Post Second"),
        (7, "Post Run octo/stages@v1"),
    ]
    assert [s.conclusion for s in steps] == ["success"] * 7
    assert [_after_header(result.logs("j", n))[-1] for n in (1, 2, 3, 5)] == [
        "pre first",
        "pre second",
        "main first state=pre-of-first",
        "main second state=pre-of-second",
    ]
    assert result.output("j", 4) == ["between"]
    assert result.logs("j", 6)[-2:] == [
        "Post job cleanup.",
        "post second pre=pre-of-second main=main-of-second",
    ]
    assert result.logs("j", 7)[-1] == "post first pre=pre-of-first main=main-of-first"
    started = [
        (e.step_number, e.data["step"]["name"]) for e in result.of_type(EventType.STEP_STARTED)
    ]  # type: ignore[index]
    assert started == [(s.number, s.name) for s in steps]


async def test_post_if_decides_after_a_failure(run_yaml: Runner, actions_server: GitServer) -> None:
    actions_server.publish_fixture("octo/stages", "stages")
    result = await run_yaml("""
        on: push
        jobs:
          green:
            runs-on: ubuntu-latest
            steps:
              - uses: octo/stages/on-failure@v1
          red:
            runs-on: ubuntu-latest
            steps:
              - uses: octo/stages/on-failure@v1
              - uses: octo/stages@v1
                with: {name: failing, fail: "true"}
              - run: echo never
    """)
    green = result.job("green").steps
    assert [(s.name, s.conclusion) for s in green] == [
        ("Run octo/stages/on-failure@v1", "success"),
        ("Post Run octo/stages/on-failure@v1", "skipped"),  # post-if: failure()
    ]
    red = result.job("red").steps
    assert [(s.name, s.conclusion) for s in red] == [
        ("Pre Run octo/stages@v1", "success"),
        ("Run octo/stages/on-failure@v1", "success"),
        ("Run octo/stages@v1", "failure"),
        ("Run echo never", "skipped"),
        # Due in the order their actions first ran (the pre, at the job's start, made
        # the second due first), run in reverse.
        ("Post Run octo/stages/on-failure@v1", "success"),  # post-if: failure()
        ("Post Run octo/stages@v1", "success"),  # post-if: always(), the default
    ]
    assert result.logs("red", 5)[-1] == "post on-failure pre=undefined main=main-of-on-failure"
    assert result.job("red").conclusion == "failure"
    assert result.job("red").steps[2].error == "Process completed with exit code 1."
    assert any(a["message"] == "failing failed" for a in result.annotations())


async def test_post_runs_after_a_cancel_with_the_state_main_saved(
    run_steps: Runner, actions_server: GitServer
) -> None:
    actions_server.publish_fixture("octo/stages", "stages")

    async def cancel_while_main_waits(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for_line("main waiter waiting")
        run.cancel("cancelled by the test")

    result = await run_steps(
        """
            - uses: octo/stages@v1
              with: {name: waiter, wait: "true"}
            - run: echo never
        """,
        control=cancel_while_main_waits,
    )
    assert result.conclusion == "cancelled"
    assert [(s.name, s.conclusion) for s in result.job("j").steps] == [
        ("Pre Run octo/stages@v1", "success"),
        ("Run octo/stages@v1", "cancelled"),
        ("Run echo never", "skipped"),
        ("Post Run octo/stages@v1", "success"),
    ]
    assert result.logs("j", 4)[-1] == "post waiter pre=pre-of-waiter main=main-of-waiter"


@pytest.mark.parametrize("setting", ["/nowhere/bin/node", "no-such-node"])
async def test_no_node_is_a_clear_step_failure(
    run_steps: Runner, actions_server: GitServer, settings: object, setting: str
) -> None:
    from dataclasses import replace

    actions_server.publish_fixture("octo/greet", "greet")
    result = await run_steps(
        """
            - uses: octo/greet@v1
              with: {who: world}
        """,
        settings_overrides={"actions": replace(settings.actions, node=setting)},  # type: ignore[attr-defined]
    )
    error = result.job("j").steps[0].error or ""
    assert error.startswith("JavaScript actions run with Node.js: ")
    assert setting in error
