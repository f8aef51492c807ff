"""`uses:` steps: checkout, local composite actions, what fails clearly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.engine.conftest import Runner, write

if TYPE_CHECKING:
    from pathlib import Path


async def test_checkout_logs_that_the_workspace_is_already_there(run_steps: Runner) -> None:
    result = await run_steps("""
        - uses: actions/checkout@v4
          with: {fetch-depth: 0}
        - uses: actions/checkout@main
        - uses: actions/checkout@v4
          with: {repository: someone/else}
    """)
    assert result.output("j", 1) == ["Workspace already available"]
    assert result.output("j", 2) == ["Workspace already available"]
    assert result.step_conclusions("j") == ["success", "success", "failure"]
    assert any(
        "checkout of another repository (someone/else) into the workspace would replace" in line
        for line in result.logs("j", 3)
    )


async def test_a_missing_remote_action_and_a_docker_step_without_a_daemon_fail_clearly(
    run_steps: Runner, workspace: Path
) -> None:
    result = await run_steps("""
        - uses: actions/setup-python@v5
          with: {python-version: "3.12"}
        - if: always()
          uses: docker://alpine:3.20
        - if: always()
          run: echo still here
    """)
    assert result.conclusion == "failure"
    assert result.step_conclusions("j") == ["failure", "failure", "success"]
    server = (workspace.parent / "actions-server").as_uri()
    assert result.job("j").steps[0].error == (
        f"actions/setup-python@v5: git ls-remote failed: no repository at "
        f"{server}/actions/setup-python (or it is not readable without credentials)"
    )
    docker = result.job("j").steps[1].error or ""
    assert docker.startswith("uses: docker://alpine:3.20: Docker actions need a container engine")


def _greet_action(workspace: Path) -> None:
    write(
        workspace,
        "actions/greet/action.yml",
        """
        name: Greet
        inputs:
          who: {description: whom, required: true}
          greeting: {default: Hello}
          shout: {default: "${{ github.event_name }}"}
        outputs:
          message:
            description: what was said
            value: ${{ steps.say.outputs.text }}
          nested:
            value: ${{ steps.inner.outputs.upper }}
        runs:
          using: composite
          steps:
            - id: say
              shell: bash
              env: {INNER_ONLY: inner}
              run: |
                text="${{ inputs.greeting }}, ${{ inputs.who }}"
                echo "$text (event ${{ inputs.shout }}) $OUTER $INNER_ONLY"
                echo "text=$text" >> "$GITHUB_OUTPUT"
                echo "FROM_ACTION=set inside" >> "$GITHUB_ENV"
                test "$GITHUB_ACTION_PATH" = "${{ github.action_path }}"
                test -f "$GITHUB_ACTION_PATH/action.yml"
            - id: inner
              uses: ./actions/upper
              with:
                text: ${{ steps.say.outputs.text }}
            - if: ${{ inputs.who == 'nobody' }}
              shell: sh
              run: echo never
    """,
    )
    write(
        workspace,
        "actions/upper/action.yml",
        """
        name: Upper
        inputs:
          text: {required: true}
        outputs:
          upper: {value: "${{ steps.up.outputs.value }}"}
        runs:
          using: composite
          steps:
            - id: up
              shell: sh
              run: |
                value=$(echo "${{ inputs.text }}" | tr a-z A-Z)
                echo "$value"
                echo "value=$value" >> "$GITHUB_OUTPUT"
    """,
    )


async def test_a_composite_action_with_inputs_outputs_and_nesting(
    run_steps: Runner, workspace: Path
) -> None:
    _greet_action(workspace)
    result = await run_steps("""
        - id: hi
          uses: ./actions/greet
          env: {OUTER: outer}
          with: {who: world}
        - run: |
            echo "message=${{ steps.hi.outputs.message }}"
            echo "nested=${{ steps.hi.outputs.nested }}"
            echo "env=$FROM_ACTION inner=${INNER_ONLY:-unset} outer=${OUTER:-unset}"
    """)
    assert result.conclusion == "success"
    assert result.output("j", 1) == ["Hello, world (event push) outer inner", "HELLO, WORLD"]
    assert result.output("j", 2) == [
        "message=Hello, world",
        "nested=HELLO, WORLD",
        "env=set inside inner=unset outer=unset",
    ]
    completed = [e for e in result.events if e.type.value == "step.completed"]
    assert completed[0].data["outputs"] == {"message": "Hello, world", "nested": "HELLO, WORLD"}


async def test_a_failing_composite_step_fails_the_outer_step(
    run_steps: Runner, workspace: Path
) -> None:
    write(
        workspace,
        "actions/broken/action.yml",
        """
        runs:
          using: composite
          steps:
            - shell: bash
              run: echo inner; exit 4
            - shell: bash
              run: echo skipped
            - if: failure()
              shell: bash
              run: echo inner cleanup
    """,
    )
    result = await run_steps("""
        - uses: ./actions/broken
        - if: failure()
          run: echo outer cleanup
    """)
    assert result.conclusion == "failure"
    assert result.step_conclusions("j") == ["failure", "success"]
    assert result.output("j", 1) == [
        "inner",
        "##[error]Process completed with exit code 4.",
        "inner cleanup",
    ]


async def test_missing_and_unsupported_local_actions_fail_the_step(
    run_steps: Runner, workspace: Path
) -> None:
    write(workspace, "actions/node/action.yml", "runs: {using: node20, main: index.js}\n")
    write(workspace, "actions/old/action.yml", "runs: {using: node8, main: index.js}\n")
    write(workspace, "actions/bad/action.yml", "runs: {using: node20}\n")
    result = await run_steps("""
        - uses: ./actions/nowhere
        - if: always()
          uses: ./actions/node
        - if: always()
          uses: ./actions/old
        - if: always()
          uses: ./actions/bad
    """)
    assert result.step_conclusions("j") == ["failure"] * 4
    errors = [step.error or "" for step in result.job("j").steps]
    assert errors[0].startswith("uses: ./actions/nowhere: no action.yml or action.yaml in ")
    assert errors[1] == (
        f"uses: ./actions/node: its main script index.js is not in {workspace}/actions/node"
    )
    assert errors[2] == (
        f"uses: ./actions/old: {workspace}/actions/old/action.yml:1:15: runs.using: "
        "'using: node8' is not supported, use 'composite', 'docker', "
        "'node12', 'node16', 'node20' or 'node24'"
    )
    assert errors[3].endswith('runs: a JavaScript action needs "main" (the script to run)')


async def test_unexpected_and_missing_inputs_warn(run_steps: Runner, workspace: Path) -> None:
    _greet_action(workspace)
    result = await run_steps("""
        - uses: ./actions/greet
          with: {whom: typo}
    """)
    messages = [a["message"] for a in result.annotations() if a["level"] == "warning"]
    assert any("Unexpected input(s) 'whom'" in m for m in messages)
    assert any("Input required and not supplied: who" in m for m in messages)


async def test_a_steps_own_env_is_in_scope_in_its_with(run_yaml: Runner, workspace: Path) -> None:
    _greet_action(workspace)
    result = await run_yaml("""
        on: push
        env: {WHO: workflow}
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - uses: ./actions/greet
                env: {WHO: step, OUTER: o}
                with: {who: "${{ env.WHO }}", greeting: "${{ env.OUTER }}i"}
    """)
    assert result.conclusion == "success"
    assert result.output("j", 1)[0].startswith("oi, step (event push)")
