"""Docker actions (`using: docker`, `uses: docker://image`).

Without a reachable Docker or Podman daemon (this machine has the docker CLI and
no engine) a Docker step fails saying so. With one, the step's container is
`docker run` as GitHub's runner runs it: what stax hands the container CLI is
checked here with a stand-in `docker` (a script that answers `info` and records
`build` and `run`: the container engine is not stax's, and none can run here).
The test against a real daemon runs only where one answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.engine.conftest import write

if TYPE_CHECKING:
    from pathlib import Path

    from tests.engine.conftest import Runner

# A stand-in container CLI: `info` answers like a daemon; `build` and `run` are recorded
# (argv, and the values of the variables passed by name). `run` writes an output and a
# state through the mounted command files, as a container would.
FAKE_DOCKER = """\
import json, os, sys
args = sys.argv[1:]
log = os.environ["FAKE_DOCKER_LOG"]
if args[:1] == ["info"]:
    print("27.0.0")
    sys.exit(0)
entry = {"argv": args, "cli_home": os.environ.get("HOME")}
if args[:1] == ["run"]:
    env, mounts, i = {}, {}, 1
    while i < len(args):
        if args[i] == "-e":
            name, _, value = args[i + 1].partition("=")
            env[name] = value if _ else os.environ.get(name)
            i += 2
        elif args[i] == "-v":
            host, inside = args[i + 1].split(":")
            mounts[inside] = host
            i += 2
        else:
            i += 1
    entry["env"] = env
    for var, key in (("GITHUB_OUTPUT", "ran"), ("GITHUB_STATE", "container")):
        inside = env[var]
        host = mounts["/github/file_commands"] + inside[len("/github/file_commands"):]
        with open(host, "a") as f:
            f.write(f"{key}=yes\\n")
    print("container ran", args[-1])
with open(log, "a") as f:
    f.write(json.dumps(entry) + "\\n")
"""


def _fake_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(f"#!{sys.executable}\n{FAKE_DOCKER}")
    script.chmod(0o755)
    log = tmp_path / "docker.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    return log


def _docker_action(workspace: Path) -> None:
    write(
        workspace,
        "actions/dock/action.yml",
        """
        inputs:
          who: {default: world}
        runs:
          using: docker
          image: Dockerfile
          entrypoint: /main.sh
          post-entrypoint: /post.sh
          args: ["--who", "${{ inputs.who }}"]
          env: {FROM_ACTION: "for ${{ inputs.who }}"}
    """,
    )
    write(workspace, "actions/dock/Dockerfile", "FROM busybox\n")


async def test_without_a_daemon_a_docker_step_says_why(
    run_steps: Runner, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _docker_action(workspace)
    bin_dir = tmp_path / "no-daemon"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(
        "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
        "Is the docker daemon running?' >&2\nexit 1\n"
    )
    (bin_dir / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = await run_steps("""
        - uses: ./actions/dock
        - if: always()
          uses: docker://alpine:3.20
    """)
    errors = [s.error for s in result.job("j").steps]
    reason = (
        "Docker actions need a container engine: no reachable Docker or Podman daemon "
        "(docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
        "Is the docker daemon running?)"
    )
    assert errors == [
        f"uses: ./actions/dock: {reason}",
        f"uses: docker://alpine:3.20: {reason}",
        f"uses: ./actions/dock: {reason}",  # its post, due once its main was tried
    ]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    bare = await run_steps("""
        - uses: docker://alpine:3.20
    """)
    assert (bare.job("j").steps[0].error or "").endswith("(neither docker nor podman is on PATH)")


async def test_a_docker_action_is_built_and_run_as_the_runner_runs_it(
    run_yaml: Runner, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _docker_action(workspace)
    log = _fake_docker(tmp_path, monkeypatch)
    result = await run_yaml(
        """
        on: push
        env: {WORKFLOW_VAR: from-workflow}
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - id: d
                uses: ./actions/dock
                with: {who: you}
                env: {SECRET_VALUE: "${{ secrets.TOKEN }}"}
              - run: echo "ran=${{ steps.d.outputs.ran }}"
        """,
        secrets={"TOKEN": "s3cret"},
    )
    assert result.conclusion == "success", result.logs()
    build, main, post = (json.loads(line) for line in log.read_text().splitlines())
    dockerfile = workspace / "actions" / "dock" / "Dockerfile"
    tag = build["argv"][2]
    assert build["argv"] == ["build", "-t", tag, "-f", str(dockerfile), str(dockerfile.parent)]
    argv = main["argv"]
    assert argv[:5] == ["run", "--rm", "--name", argv[3], "--workdir"]
    assert argv[-5:] == ["--entrypoint", "/main.sh", tag, "--who", "you"]
    mounts = [argv[i + 1] for i, a in enumerate(argv) if a == "-v"]
    assert f"{workspace}:/github/workspace" in mounts
    assert {m.split(":")[1] for m in mounts} == {
        "/github/workspace",
        "/github/file_commands",
        "/github/home",
        "/github/workflow",
        "/github/runner_temp",
    }
    env = main["env"]
    assert env["INPUT_WHO"] == "you"
    assert env["FROM_ACTION"] == "for you"
    assert env["WORKFLOW_VAR"] == "from-workflow"
    assert env["SECRET_VALUE"] == "s3cret"
    assert argv[argv.index("SECRET_VALUE") - 1] == "-e"  # by name: not in the process list
    assert "s3cret" not in " ".join(argv)
    assert env["GITHUB_WORKSPACE"] == "/github/workspace"
    assert env["HOME"] == "/github/home"
    assert main["cli_home"] == os.environ["HOME"]  # the CLI keeps the user's config
    assert env["GITHUB_OUTPUT"].startswith("/github/file_commands/")
    assert env["GITHUB_EVENT_PATH"] == "/github/workflow/event.json"
    assert env["RUNNER_TEMP"] == "/github/runner_temp"
    assert "PATH" not in env  # the host's environment stays on the host
    assert result.output("j", 2) == ["ran=yes"]
    assert post["argv"][-5:] == ["--entrypoint", "/post.sh", tag, "--who", "you"]
    assert post["env"]["STATE_container"] == "yes"
    assert [s.name for s in result.job("j").steps] == [
        "Run ./actions/dock",
        'Run echo "ran=yes"',
        "Post Run ./actions/dock",
    ]


async def test_a_docker_image_step_takes_args_and_entrypoint_from_with(
    run_steps: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_docker(tmp_path, monkeypatch)
    result = await run_steps("""
        - uses: docker://alpine:3.20
          with: {entrypoint: /bin/sh, args: "-c 'echo hi there'"}
    """)
    assert result.conclusion == "success", result.logs()
    (run,) = (json.loads(line) for line in log.read_text().splitlines())
    assert run["argv"][-5:] == ["--entrypoint", "/bin/sh", "alpine:3.20", "-c", "echo hi there"]
    assert "container ran echo hi there" in result.logs("j", 1)


def _daemon_answers() -> bool:
    docker = shutil.which("docker") or shutil.which("podman")
    if docker is None:
        return False
    probe = subprocess.run(
        [docker, "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        check=False,
        timeout=30,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _daemon_answers(), reason="no Docker or Podman daemon is reachable on this machine"
)
async def test_a_docker_action_on_a_real_daemon(run_steps: Runner, workspace: Path) -> None:
    # Pulls busybox: run it only where a daemon and its registry are at hand.
    write(
        workspace,
        "actions/hello/action.yml",
        """
        inputs:
          who: {default: world}
        runs:
          using: docker
          image: Dockerfile
          args: ["${{ inputs.who }}"]
    """,
    )
    write(
        workspace,
        "actions/hello/Dockerfile",
        'FROM busybox\nENTRYPOINT ["/bin/sh", "-c", '
        '"echo hello $1 && echo said=$1 >> $GITHUB_OUTPUT", "--"]\n',
    )
    result = await run_steps(
        """
        - id: h
          uses: ./actions/hello
          with: {who: docker}
        - run: echo "${{ steps.h.outputs.said }}"
        """,
        limit_s=600,
    )
    assert result.conclusion == "success", result.logs()
    assert "hello docker" in result.logs("j", 1)
    assert result.output("j", 2) == ["docker"]
