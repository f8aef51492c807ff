"""The tool cache: the host's interpreters laid out where the setup-* actions look, with
the real host programs and the real @actions/tool-cache `find()`."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runner.actions.toolcache import (
    discover_host_tools,
    needs_tool_cache,
    node_arch,
    prepare_tool_cache,
)
from runner.model import parse_workflow
from tests.requires import NODE_DIR

HOST_VERSION = platform.python_version()  # the Python running the tests is a host Python
MAJOR_MINOR = ".".join(HOST_VERSION.split(".")[:2])
requires_tool_cache_npm = pytest.mark.skipif(
    not (NODE_DIR / "node_modules" / "@actions" / "tool-cache").is_dir(),
    reason="node and @actions/tool-cache are needed (cd tests/node && npm install)",
)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    cache = tmp_path / "toolcache"
    prepare_tool_cache(cache, state_dir=tmp_path / "state")
    return cache


def _run(*argv: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, env=env, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_host_python_is_in_the_tool_cache_with_its_stdlib(cache: Path) -> None:
    home = cache / "Python" / HOST_VERSION / node_arch()
    assert home.with_name(f"{node_arch()}.complete").is_file()
    probe = "import json, sys, ssl, sqlite3; print(json.dumps([sys.prefix, sys.base_prefix]))"
    for name in ("python", "python3", f"python{MAJOR_MINOR}"):
        prefix, base = json.loads(_run(home / "bin" / name, "-c", probe))
        assert Path(prefix) == home  # an environment of its own ...
        assert Path(base) == Path(sys.base_prefix)  # ... over the host's installation


def test_pip_installs_into_the_tool_cache_never_into_the_host(cache: Path, tmp_path: Path) -> None:
    wheel = tmp_path / "stax_probe_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("stax_probe_pkg/__init__.py", "VALUE = 1\n")
        info = "stax_probe_pkg-1.0.dist-info"
        archive.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: stax-probe-pkg\nVersion: 1.0\n"
        )
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    bin_dir = cache / "Python" / HOST_VERSION / node_arch() / "bin"
    _run(bin_dir / "pip", "install", "--no-index", "--no-deps", wheel)
    where = _run(bin_dir / "python", "-c", "import stax_probe_pkg; print(stax_probe_pkg.__file__)")
    assert Path(where.strip()).is_relative_to(cache)
    host = subprocess.run(
        [sys.executable, "-c", "import stax_probe_pkg"], capture_output=True, check=False
    )
    assert host.returncode != 0
    # The pip the environment shares with other runs is not its to uninstall.
    kept = subprocess.run(
        [bin_dir / "pip", "uninstall", "-y", "pip"], capture_output=True, text=True, check=False
    )
    assert "outside environment" in kept.stdout + kept.stderr
    _run(bin_dir / "pip", "--version")


def test_a_shim_script_on_path_is_not_taken_for_a_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3.99"
    shim.write_text('#!/bin/sh\nexec python3 "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    tools = discover_host_tools(tmp_path / "state")
    assert all(not str(tool.executable).startswith(str(shims)) for tool in tools)
    assert HOST_VERSION in {tool.version for tool in tools if tool.name == "Python"}


def test_versions_are_asked_once_per_program_and_remembered(tmp_path: Path) -> None:
    state = tmp_path / "state"
    discover_host_tools(state)
    index = json.loads((state / "host.json").read_text())
    program = str(Path(sys.executable).resolve())
    assert index[program][1][1][:3] == list(sys.version_info[:3])
    # A remembered answer is used as long as the program is unchanged (size, mtime):
    index[program][1][1] = [3, 99, 1, "final", 0]
    (state / "host.json").write_text(json.dumps(index))
    assert "3.99.1" in {tool.version for tool in discover_host_tools(state)}


@requires_tool_cache_npm
def test_actions_tool_cache_find_accepts_the_layout(cache: Path) -> None:
    script = """
        import * as tc from "@actions/tool-cache";
        const [python, node] = process.argv.slice(1);
        console.log(JSON.stringify({
          python: tc.find("Python", python),
          versions: tc.findAllVersions("Python"),
          node: tc.find("node", node),
        }));
    """
    node_version = _run("node", "--version").strip().removeprefix("v")
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, MAJOR_MINOR, node_version],
        cwd=NODE_DIR,  # where the package resolves
        env={**os.environ, "RUNNER_TOOL_CACHE": str(cache)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])  # after the toolkit's ::debug:: lines
    assert found["python"] == str(cache / "Python" / HOST_VERSION / node_arch())
    assert HOST_VERSION in found["versions"]
    assert found["node"] == str(cache / "node" / node_version / node_arch())


@pytest.mark.parametrize(
    ("steps", "needed"),
    [
        ("- run: make test", False),
        ("- uses: actions/checkout@v4\n- run: make", False),
        ("- uses: actions/setup-python@v5", True),
        ("- uses: ./local-action", True),
        ('- run: ls "$RUNNER_TOOL_CACHE"', True),
        ("- run: ls\n  env: {DIR: '${{ runner.tool_cache }}'}", True),
    ],
)
def test_a_run_lays_out_its_tool_cache_only_when_it_may_look_there(
    steps: str, needed: bool
) -> None:
    text = "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n" + "".join(
        f"      {line}\n" for line in steps.splitlines()
    )
    assert needs_tool_cache(parse_workflow(text, "w.yml")) is needed
    called = "on: push\njobs:\n  j:\n    uses: ./.github/workflows/called.yml\n"
    assert needs_tool_cache(parse_workflow(called, "w.yml"))
