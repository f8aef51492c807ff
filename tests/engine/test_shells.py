"""`run:` steps: shells with GitHub's exact command lines, working-directory, defaults.run."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from runner.engine.shells import resolve_shell

if TYPE_CHECKING:
    from pathlib import Path

    from tests.engine.conftest import Runner

BASH = shutil.which("bash")
SH = shutil.which("sh")


def _shell_line(result: object, job: str, step: int) -> str:
    lines = result.logs(job, step)  # type: ignore[attr-defined]
    return next(line for line in lines if line.startswith("shell: "))


async def test_default_shell_is_bash_e_and_shows_githubs_header(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: |
            false | true
            echo "pipefail off: $-"
        - shell: bash
          run: |
            echo "bash: $-"
            false | true
            echo never
        - if: always()
          shell: sh
          run: echo "sh"
        - if: always()
          shell: python
          run: |
            import sys
            print("python", sys.version_info[0])
    """)
    assert _shell_line(result, "j", 1) == f"shell: {BASH} -e {{0}}"
    assert _shell_line(result, "j", 2) == f"shell: {BASH} --noprofile --norc -e -o pipefail {{0}}"
    assert _shell_line(result, "j", 3) == f"shell: {SH} -e {{0}}"
    assert _shell_line(result, "j", 4).startswith("shell: ")
    assert _shell_line(result, "j", 4).endswith("python {0}") or _shell_line(
        result, "j", 4
    ).endswith("python3 {0}")
    assert result.output("j", 1)[0].startswith("pipefail off: ")
    assert result.step_conclusions("j") == ["success", "failure", "success", "success"]
    assert result.output("j", 3) == ["sh"]
    assert result.output("j", 4) == ["python 3"]


async def test_the_header_echoes_the_script_and_the_step_env(run_steps: Runner) -> None:
    result = await run_steps("""
        - env: {GREETING: hi}
          run: |
            echo "$GREETING"
            echo two
    """)
    logs = result.logs("j", 1)
    assert logs[: logs.index("##[endgroup]") + 1] == [
        '##[group]Run echo "$GREETING"',
        'echo "$GREETING"',
        "echo two",
        f"shell: {BASH} -e {{0}}",
        "env:",
        "  GREETING: hi",
        "##[endgroup]",
    ]


async def test_custom_shell_templates(run_steps: Runner, workspace: Path) -> None:
    result = await run_steps("""
        - shell: bash -x {0}
          run: echo traced
        - shell: cat {0}
          run: printed as it is
        - shell: perl-does-not-exist {0}
          run: echo never
    """)
    assert _shell_line(result, "j", 1) == f"shell: {BASH} -x {{0}}"
    assert "+ echo traced" in result.output("j", 1)
    assert result.output("j", 2) == ["printed as it is"]
    assert result.step_conclusions("j") == ["success", "success", "failure"]
    assert any("perl-does-not-exist" in line for line in result.logs("j", 3))


async def test_the_process_exit_code_is_reported_githubs_way(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: exit 42
        - if: always()
          shell: python
          run: raise SystemExit(3)
        - if: always()
          run: kill -9 $$
    """)
    assert "##[error]Process completed with exit code 42." in result.logs("j", 1)
    assert "##[error]Process completed with exit code 3." in result.logs("j", 2)
    assert any("signal 9" in line for line in result.logs("j", 3))
    assert result.job("j").steps[0].error == "Process completed with exit code 42."


async def test_working_directory_and_defaults_run(run_yaml: Runner, workspace: Path) -> None:
    (workspace / "sub" / "deeper").mkdir(parents=True)
    (workspace / "jobdir").mkdir()
    result = await run_yaml("""
        on: push
        defaults:
          run:
            shell: sh
            working-directory: sub
        jobs:
          wf_default:
            runs-on: ubuntu-latest
            steps:
              - run: pwd
              - working-directory: sub/deeper
                run: pwd
          job_default:
            runs-on: ubuntu-latest
            defaults:
              run: {working-directory: jobdir, shell: bash}
            steps:
              - run: pwd; echo "$0"
              - working-directory: ${{ github.workspace }}/sub
                run: pwd
          missing:
            runs-on: ubuntu-latest
            steps:
              - working-directory: nope
                run: echo never
    """)
    ws = workspace
    assert result.output("wf_default", 1) == [str(ws / "sub")]
    assert result.output("wf_default", 2) == [str(ws / "sub" / "deeper")]
    assert _shell_line(result, "wf_default", 1) == f"shell: {SH} -e {{0}}"
    assert result.output("job_default", 1)[0] == str(ws / "jobdir")
    assert _shell_line(result, "job_default", 1).endswith("--noprofile --norc -e -o pipefail {0}")
    assert result.output("job_default", 2) == [str(ws / "sub")]
    assert result.job("missing").conclusion == "failure"
    assert any(
        "working-directory 'nope' does not exist" in line for line in result.logs("missing", 1)
    )


def test_resolve_shell_templates() -> None:
    assert resolve_shell(None, None).template == "bash -e {0}"
    assert resolve_shell("bash", None).template == "bash --noprofile --norc -e -o pipefail {0}"
    assert resolve_shell("sh", None).template == "sh -e {0}"
    assert resolve_shell("pwsh", None).template == "pwsh -command \". '{0}'\""
    assert resolve_shell("node {0} --flag", None).template == "node {0} --flag"
    assert resolve_shell("node", None).template == "node {0}"
    with pytest.raises(Exception, match="Windows"):
        resolve_shell("cmd", None)


def test_without_bash_the_default_is_sh(tmp_path: Path) -> None:
    only_sh = tmp_path / "bin"
    only_sh.mkdir()
    assert SH is not None
    (only_sh / "sh").symlink_to(SH)
    assert resolve_shell(None, str(only_sh)).template == "sh -e {0}"


async def test_a_script_that_moves_itself_away_is_no_crash(run_steps: Runner) -> None:
    result = await run_steps("""
        - run: echo moved
          shell: mv {0} kept.sh
        - run: cat kept.sh
    """)
    assert result.conclusion == "success"
    assert result.output("j", 2) == ["echo moved"]
