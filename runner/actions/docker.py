"""Container engines for Docker actions: one whose daemon answers, and the commands
that build and run an action's container the way GitHub's runner does.

The runner runs a Docker action as

    docker run --rm --workdir /github/workspace -e NAME ... \\
        -v WORKSPACE:/github/workspace -v FILE_COMMANDS:/github/file_commands \\
        -v HOME:/github/home -v WORKFLOW:/github/workflow -v TEMP:/github/runner_temp \\
        [--entrypoint ENTRYPOINT] IMAGE ARGS...

Variables are passed by name (`-e NAME`): docker reads their values from its own
environment, so no secret shows in a process list. Those holding a path under a
mount (GITHUB_WORKSPACE, GITHUB_OUTPUT, HOME, ...) are passed as `-e NAME=VALUE`
with the path the container sees.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from runner.errors import RunError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

CONTAINER_ENGINES = ("docker", "podman")
_PROBE_TIMEOUT_S = 10.0
# Where the runner mounts things in an action's container.
WORKSPACE = "/github/workspace"
FILE_COMMANDS = "/github/file_commands"
HOME = "/github/home"
WORKFLOW = "/github/workflow"
RUNNER_TEMP = "/github/runner_temp"


async def find_container_engine() -> str:
    """The path of a docker (or podman) CLI whose daemon answers. Raises RunError saying
    why none does. Cancellation stops the probe."""
    reasons: list[str] = []
    for name in CONTAINER_ENGINES:
        program = shutil.which(name)
        if program is None:
            continue
        with trio.move_on_after(_PROBE_TIMEOUT_S) as waited:
            probe = await trio.run_process(
                [program, "info", "--format", "{{.ServerVersion}}"],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                stdin=b"",
            )
        if waited.cancelled_caught:
            reasons.append(f"{name}: no answer within {_PROBE_TIMEOUT_S:g} s")
            continue
        if probe.returncode == 0 and probe.stdout.strip():
            return program
        said = (probe.stderr or probe.stdout).decode(errors="replace").strip().splitlines()
        reasons.append(f"{name}: {said[-1] if said else f'exit code {probe.returncode}'}")
    why = "; ".join(reasons) if reasons else "neither docker nor podman is on PATH"
    raise RunError(f"no reachable Docker or Podman daemon ({why})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Mounts:
    """The host folders a container sees at the runner's paths."""

    workspace: Path
    file_commands: Path
    home: Path
    workflow: Path  # holds event.json
    temp: Path  # RUNNER_TEMP

    def pairs(self) -> list[tuple[str, str]]:
        return [
            (str(self.workspace), WORKSPACE),
            (str(self.file_commands), FILE_COMMANDS),
            (str(self.home), HOME),
            (str(self.workflow), WORKFLOW),
            (str(self.temp), RUNNER_TEMP),
        ]

    def translate(self, value: str) -> str:
        """A host path under one of the mounts as the container sees it (the innermost
        mount wins); else `value`."""
        found = [
            (host, inside)
            for host, inside in self.pairs()
            if value == host or value.startswith(host + "/")
        ]
        if not found:
            return value
        host, inside = max(found, key=lambda pair: len(pair[0]))
        return inside + value[len(host) :]


def run_argv(
    engine: str,
    image: str,
    *,
    name: str,
    mounts: Mounts,
    env: Mapping[str, str],
    entrypoint: str = "",
    args: Sequence[str] = (),
) -> list[str]:
    """`docker run` for an action: `env` holds the variables the container gets."""
    argv = [engine, "run", "--rm", "--name", name, "--workdir", WORKSPACE]
    for variable, value in env.items():
        inside = mounts.translate(value)
        argv += ["-e", variable if inside == value else f"{variable}={inside}"]
    for host, inside in mounts.pairs():
        argv += ["-v", f"{host}:{inside}"]
    if entrypoint:
        argv += ["--entrypoint", entrypoint]
    argv.append(image)
    argv.extend(args)
    return argv


def build_argv(engine: str, tag: str, context: Path, dockerfile: str) -> list[str]:
    """`docker build` of an action's Dockerfile (`runs.image: Dockerfile`)."""
    return [engine, "build", "-t", tag, "-f", str(context / dockerfile), str(context)]


def image_tag(directory: Path) -> str:
    """The tag stax gives the image it builds for the action in `directory`."""
    digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
    return f"stax-action-{digest}"
