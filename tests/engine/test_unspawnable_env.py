"""What no process environment can hold (NUL, `=` in a name, a lone surrogate) fails the
step that would be given it, with a message naming the variable; it once made the spawn
raise and killed the daemon. Every route in: `env:`, a dispatch input, $GITHUB_ENV,
$GITHUB_PATH, a working directory, the run request itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from runner.engine import RunRequest, WorkflowRun
from runner.errors import RunError
from runner.model import parse_workflow
from runner.process.spawn import environment_problem

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import Settings
    from tests.engine.conftest import Runner


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"A=B": "1"}, "environment variable 'A=B': a name cannot hold ="),
        ({"A\0": "1"}, "environment variable 'A\\x00': a name cannot hold a NUL character"),
        ({"A": "a\0b"}, "environment variable 'A': its value holds a NUL character"),
        ({"A": "\ud800"}, "environment variable 'A': its value holds '\\ud800', a lone surrogate"),
        ({"\udfff": "1"}, "environment variable '\\udfff': its name holds '\\udfff'"),
        ({"A": "é\udc80", "B": "ok"}, None),  # \udc80 stands for the byte 0x80: fine
    ],
)
def test_environment_problems_name_the_variable(env: dict[str, str], problem: str | None) -> None:
    found = environment_problem(env)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(problem)


async def check_step_fails(result: object, message: str) -> None:
    run = result.record  # type: ignore[attr-defined]
    assert run.conclusion == "failure"
    steps = run.jobs["j"].steps
    assert [str(s.conclusion) for s in steps] == ["failure", "success"]
    assert steps[0].error is not None
    assert message in steps[0].error, steps[0].error
    assert not steps[0].error.startswith("internal error")
    assert result.output("j", 2) == ["after"]  # type: ignore[attr-defined]


WITH_ENV = """
    on:
      workflow_dispatch:
        inputs:
          value:
            type: string
    jobs:
      j:
        runs-on: ubuntu-latest
        steps:
          - run: echo "never"
            env:
              %s
          - if: always()
            run: echo after
"""


@pytest.mark.parametrize(
    ("env_line", "message"),
    [
        ("A: ${{ fromJSON('\"a\\u0000b\"') }}", "variable 'A': its value holds a NUL"),
        ("A: ${{ fromJSON('\"\\ud800\"') }}", "variable 'A': its value holds '\\ud800'"),
        ('"A=B": x', "variable 'A=B': a name cannot hold ="),
        ('"A\\0B": x', "variable 'A\\x00B': a name cannot hold a NUL"),
        ("A: ${{ inputs.value }}", "variable 'A': its value holds a NUL"),
    ],
)
async def test_a_step_whose_env_cannot_be_set_fails(
    run_yaml: Runner, env_line: str, message: str
) -> None:
    result = await run_yaml(
        WITH_ENV % env_line, event_name="workflow_dispatch", inputs={"value": "x\0y"}
    )
    await check_step_fails(result, f"the step's environment cannot be set: environment {message}")


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("printf 'X=a\\0b\\n' >> \"$GITHUB_ENV\"", "$GITHUB_ENV: environment variable 'X'"),
        ("printf 'X<<E\\na\\0b\\nE\\n' >> \"$GITHUB_ENV\"", "$GITHUB_ENV: environment variable"),
        ("printf '/bin\\0/x\\n' >> \"$GITHUB_PATH\"", "$GITHUB_PATH: '/bin\\x00/x' holds a NUL"),
    ],
)
async def test_a_step_handing_on_what_no_environment_holds_fails(
    run_steps: Runner, script: str, message: str
) -> None:
    result = await run_steps(f"""
        - run: {script}
        - if: always()
          run: echo after
    """)
    await check_step_fails(result, message)


async def test_a_working_directory_no_path_can_be_fails_the_step(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo never
          working-directory: ${{ fromJSON('"a\\u0000b"') }}
        - if: always()
          run: echo after
    """)
    await check_step_fails(result, "is not a usable path")


def test_a_run_request_whose_env_cannot_be_set_is_refused(
    workspace: Path, settings: Settings
) -> None:
    path = workspace / "w.yml"
    path.write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: x\n"
    )
    request = RunRequest(
        workflow=parse_workflow(path.read_text(), str(path)), workdir=workspace, env={"A": "\0"}
    )
    with pytest.raises(RunError, match="env: environment variable 'A': its value holds a NUL"):
        WorkflowRun(request, settings, sink=None).prepare()  # type: ignore[arg-type]


async def test_a_command_line_no_process_can_take_fails_the_step(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo never
          shell: ${{ fromJSON('"bash -e {0} a\\u0000b"') }}
        - if: always()
          run: echo after
    """)
    await check_step_fails(result, "embedded null byte")
