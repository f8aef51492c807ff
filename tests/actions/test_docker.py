"""`docker run` for an action: mounts at the runner's paths, variables by name."""

from __future__ import annotations

from pathlib import Path

from runner.actions import Mounts, run_argv

MOUNTS = Mounts(
    workspace=Path("/work/repo"),
    file_commands=Path("/dev/shm/stax-1"),
    home=Path("/tmp/stax-1/_github_home"),
    workflow=Path("/tmp/stax-1"),
    temp=Path("/tmp/stax-1/temp"),
)


def test_paths_translate_to_the_innermost_mount() -> None:
    assert MOUNTS.translate("/work/repo") == "/github/workspace"
    assert MOUNTS.translate("/work/repo/src/x.py") == "/github/workspace/src/x.py"
    assert MOUNTS.translate("/work/repository") == "/work/repository"
    assert MOUNTS.translate("/tmp/stax-1/event.json") == "/github/workflow/event.json"
    assert MOUNTS.translate("/tmp/stax-1/temp/a") == "/github/runner_temp/a"
    assert MOUNTS.translate("/tmp/stax-1/_github_home") == "/github/home"
    assert MOUNTS.translate("plain value") == "plain value"


def test_variables_go_by_name_and_paths_by_value() -> None:
    argv = run_argv(
        "docker",
        "alpine:3.20",
        name="stax-x-1",
        mounts=MOUNTS,
        env={"TOKEN": "s3cret", "GITHUB_OUTPUT": "/dev/shm/stax-1/output_3"},
        entrypoint="/run.sh",
        args=["a b", "c"],
    )
    assert argv == [
        "docker", "run", "--rm", "--name", "stax-x-1", "--workdir", "/github/workspace",
        "-e", "TOKEN",
        "-e", "GITHUB_OUTPUT=/github/file_commands/output_3",
        "-v", "/work/repo:/github/workspace",
        "-v", "/dev/shm/stax-1:/github/file_commands",
        "-v", "/tmp/stax-1/_github_home:/github/home",
        "-v", "/tmp/stax-1:/github/workflow",
        "-v", "/tmp/stax-1/temp:/github/runner_temp",
        "--entrypoint", "/run.sh",
        "alpine:3.20", "a b", "c",
    ]  # fmt: skip
