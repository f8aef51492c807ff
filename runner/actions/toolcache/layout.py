"""A tool cache folder, laid out as @actions/tool-cache's `find()` reads it.

    <cache>/<tool>/<semver>/<arch>/      the tool
    <cache>/<tool>/<semver>/<arch>.complete

`find('Python', '3.11')` picks the highest 3.11.x with its `.complete` marker;
setup-python then puts `<arch>` and `<arch>/bin` on PATH. The arch is node's
`os.arch()` for Python and Node.js (x64, arm64), the target triple's first part
for uv (x86_64, aarch64).

Each host Python becomes a virtual environment of its own (pyvenv.cfg, and bin/python
linking the host's program): its stdlib is the host's, but what a step installs goes
into the environment, never into the host's Python, and a system Python's "externally
managed" guard does not apply. pip (and setuptools, before 3.12) come from the wheels
the Python bundles, unpacked once into the state folder and put on the environment's
path by a .pth file: `pip install -U pip` installs the new pip into the environment
and leaves the shared copy alone (pip never uninstalls outside an environment).
Node.js and uv get a folder of links to the host's programs.
"""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import zipfile
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from runner.actions.toolcache.discovery import HostTool

_NODE_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}
_UV_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
_NODE_COMPANIONS = ("node", "npm", "npx", "corepack")
# pip's own entry point has moved between versions; `python -m pip` has not.
_PIP_SCRIPT = """#!{python}
import runpy
import sys
sys.argv[0] = "pip"
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""


def node_arch() -> str:
    """What node's os.arch() says on this machine (x64, arm64)."""
    machine = platform.machine().lower()
    return _NODE_ARCH.get(machine, machine)


def uv_arch() -> str:
    machine = platform.machine().lower()
    return _UV_ARCH.get(machine, machine)


def lay_out(cache: Path, tools: Sequence[HostTool], state_dir: Path) -> None:
    """Write an entry for each tool into `cache` (an empty or missing folder).
    Blocking: run it in a thread."""
    cache.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        arch = uv_arch() if tool.name == "uv" else node_arch()
        home = cache / tool.name / tool.version / arch
        try:
            home.mkdir(parents=True)
            if tool.name == "Python":
                _python_environment(home, tool, state_dir)
            elif tool.name == "node":
                _links(home / "bin", tool.executable, _NODE_COMPANIONS)
            else:
                _links(home, tool.executable, ("uv", "uvx"))
        except OSError:
            continue  # without its marker, find() passes over a half-made entry
        home.with_name(f"{arch}.complete").touch()


def _python_environment(home: Path, tool: HostTool, state_dir: Path) -> None:
    major_minor = ".".join(tool.version.split(".")[:2])
    bin_dir = home / "bin"
    bin_dir.mkdir()
    for name in ("python", "python3", f"python{major_minor}"):
        (bin_dir / name).symlink_to(tool.executable)
    site = home / "lib" / f"python{major_minor}" / "site-packages"
    site.mkdir(parents=True)
    (home / "lib64").symlink_to("lib")
    (home / "pyvenv.cfg").write_text(
        f"home = {tool.executable.parent}\n"
        "include-system-site-packages = false\n"
        f"version = {tool.version}\n"
        f"executable = {tool.executable}\n",
        encoding="utf-8",
    )
    unpacked = [folder for wheel in tool.wheels if (folder := _unpacked(wheel, state_dir))]
    if not unpacked:
        return
    (site / "_stax_bundled.pth").write_text(
        "".join(f"{folder}\n" for folder in unpacked), encoding="utf-8"
    )
    if any(folder.name.startswith("pip-") for folder in unpacked):
        script = _PIP_SCRIPT.format(python=bin_dir / "python")
        for name in ("pip", "pip3", f"pip{major_minor}"):
            path = bin_dir / name
            path.write_text(script, encoding="utf-8")
            path.chmod(0o755)


def _unpacked(wheel: Path, state_dir: Path) -> Path | None:
    """The wheel's contents, unpacked once into the state folder (built aside and
    renamed into place, so concurrent runs never see half of one); None if it cannot
    be read."""
    target = state_dir / "wheels" / wheel.name.removesuffix(".whl")
    if target.is_dir():
        return target
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(partial)
        os.rename(partial, target)
    except (OSError, zipfile.BadZipFile):  # unreadable, or another run unpacked it first
        shutil.rmtree(partial, ignore_errors=True)
        return target if target.is_dir() else None
    return target


def _links(folder: Path, program: Path, names: Sequence[str]) -> None:
    """`folder/<name>` linking each of `names` found beside `program` (its own name
    first, as the host calls it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / names[0]).symlink_to(program)
    for name in names[1:]:
        companion = shutil.which(name, path=str(program.parent)) or shutil.which(name)
        if companion:
            (folder / name).symlink_to(companion)
