"""The host's interpreters and tools, with their versions, as the tool cache offers them.

Found: every `python3.X` on PATH that is a program (not a shim script: pyenv's,
asdf's), pyenv's Pythons (`$PYENV_ROOT/versions/*`), uv's managed Pythons (`uv
python dir`'s folder), the Node.js that runs JavaScript actions, and `uv`.

A version is what the program says when asked, and asking costs a process (20-50 ms
each); the answers are kept in `host.json` in the state folder, by the program's
real path, size and mtime, so a run asks only about what changed since the last one
(an upgraded interpreter is asked again; a removed one is simply no longer found).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner import json_text

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

_PROBE_TIMEOUT_S = 10.0
_PYTHON_NAME = re.compile(r"python3\.\d+")
_EXECUTABLE_MAGIC = (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")  # ELF, Mach-O
# Asked of a Python, one answer a line: its implementation, version (major, minor, micro,
# release level, serial), stdlib folder and whether it is a free-threaded build. Python 2
# fails it (no sys.implementation) and is left out.
_PYTHON_PROBE = (
    "import sys, sysconfig; print(sys.implementation.name);"
    " print(*sys.version_info, sep=' '); print(sysconfig.get_path('stdlib'));"
    " print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
)
_RELEASE_LEVELS = {"alpha": "alpha", "beta": "beta", "candidate": "rc"}


@dataclass(frozen=True, slots=True, kw_only=True)
class HostTool:
    """One program of the host, under the name and version the tool cache gives it."""

    name: str  # the tool cache's folder: "Python", "node", "uv"
    version: str  # semver, as the setup-* actions compare them: 3.11.7, 3.14.0-rc.1
    executable: Path  # the program itself (symlinks resolved)
    wheels: tuple[Path, ...] = ()  # Python: the pip (and setuptools) wheels it bundles


def discover_host_tools(state_dir: Path, *, node: str | None = "node") -> list[HostTool]:
    """The host's Pythons, its Node.js (`node`: a name on PATH or a path; None for
    none) and uv, one per version (the first found wins). Blocking: run it in a thread."""
    index_path = state_dir / "host.json"
    index = _read_index(index_path)
    seen: dict[str, list[object]] = {}
    tools: dict[tuple[str, str], HostTool] = {}
    for name, kind, path in _candidates(node):
        try:
            real = path.resolve(strict=True)
            stat = real.stat()
        except OSError:
            continue
        key = str(real)
        if key in seen:
            continue
        stamp = [stat.st_mtime_ns, stat.st_size]
        entry = index.get(key)
        answer = entry[1] if isinstance(entry, list) and entry[0] == stamp else _probe(kind, real)
        seen[key] = [stamp, answer]
        tool = _tool(name, kind, real, answer)
        if tool is not None:
            tools.setdefault((tool.name, tool.version), tool)
    if seen != index:
        _write_index(index_path, seen)
    return list(tools.values())


def _candidates(node: str | None) -> Iterator[tuple[str, str, Path]]:
    """(tool name, kind of probe, path) of every program worth asking, best first."""
    for folder in _path_dirs():
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if _PYTHON_NAME.fullmatch(name) and _is_program(folder / name):
                yield "Python", "python", folder / name
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for prefix in _subfolders(pyenv):
        if prefix.name[:1].isdigit():  # CPython; pypy-*, miniconda-* are not "Python"
            yield "Python", "python", prefix / "bin" / "python3"
    for prefix in _subfolders(_uv_python_dir()):
        if prefix.name.startswith("cpython-") and "+" not in prefix.name:
            yield "Python", "python", prefix / "bin" / "python3"
    if node:
        found = node if os.sep in node else shutil.which(node)
        if found:
            yield "node", "node", Path(found)
    uv = shutil.which("uv")
    if uv:
        yield "uv", "uv", Path(uv)


def _path_dirs() -> list[Path]:
    return [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.isabs(p)]


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


def _uv_python_dir() -> Path:
    """Where uv keeps the Pythons it installs (what `uv python dir` prints)."""
    configured = os.environ.get("UV_PYTHON_INSTALL_DIR", "")
    if configured:
        return Path(configured)
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if data and os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "uv" / "python"


def _is_program(path: Path) -> bool:
    """A compiled program, not a script: a shim would pick its Python by the folder
    it runs in, and the tool cache needs the one behind it."""
    try:
        with open(path, "rb") as file:
            return file.read(4) in _EXECUTABLE_MAGIC
    except OSError:
        return False


def _probe(kind: str, program: Path) -> list[object] | None:
    """What the program says about itself; None when it cannot say."""
    argv = {
        "python": [str(program), "-E", "-s", "-c", _PYTHON_PROBE],
        "node": [str(program), "--version"],
        "uv": [str(program), "--version"],
    }[kind]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode(errors="replace").strip()
    if kind == "python":
        lines = text.splitlines()
        if len(lines) != 4 or len(version := lines[1].split()) != 5:
            return None
        major, minor, micro, level, serial = version
        if not (major + minor + micro + serial).isdigit():
            return None
        info = [int(major), int(minor), int(micro), level, int(serial)]
        return [lines[0], info, lines[2], lines[3] == "True"]
    return [text]


def _tool(name: str, kind: str, program: Path, answer: object) -> HostTool | None:
    if not isinstance(answer, list) or not answer:
        return None
    if kind == "python":
        return _python(program, answer)
    words = str(answer[0]).split()
    text = words[1] if kind == "uv" and len(words) > 1 else words[0] if words else ""
    version = text.removeprefix("v")
    if not re.fullmatch(r"\d+\.\d+\.\d+(?:[-+].*)?", version):
        return None
    return HostTool(name=name, version=version, executable=program)


def _python(program: Path, answer: list[object]) -> HostTool | None:
    if len(answer) != 4 or answer[0] != "cpython" or answer[3]:
        return None  # PyPy and free-threaded builds live under other names there
    info, stdlib = answer[1], answer[2]
    if not isinstance(info, list) or len(info) != 5 or not isinstance(stdlib, str):
        return None
    major, minor, micro, level, serial = info
    version = f"{major}.{minor}.{micro}"
    if level in _RELEASE_LEVELS:
        version += f"-{_RELEASE_LEVELS[str(level)]}.{serial}"
    return HostTool(
        name="Python",
        version=version,
        executable=program,
        wheels=_bundled_wheels(Path(stdlib), (int(str(major)), int(str(minor)))),
    )


def _bundled_wheels(stdlib: Path, version: tuple[int, int]) -> tuple[Path, ...]:
    """The pip (and, before 3.12, setuptools) wheels ensurepip would install; Debian's
    Python keeps them in /usr/share/python-wheels instead."""
    for folder in (stdlib / "ensurepip" / "_bundled", Path("/usr/share/python-wheels")):
        wheels = sorted(folder.glob("*.whl")) if folder.is_dir() else []
        pip = [w for w in wheels if w.name.startswith("pip-")]
        if pip:
            extra = [w for w in wheels if w.name.startswith("setuptools-")]
            return (pip[-1], *(extra[-1:] if version < (3, 12) else ()))
    return ()


def _read_index(path: Path) -> Mapping[str, object]:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return index if isinstance(index, dict) else {}


def _write_index(path: Path, index: Mapping[str, list[object]]) -> None:
    """Written whole and renamed into place: concurrent runs read one or the other."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        partial.write_text(json_text.dumps(index), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass  # a read-only cache folder: the next run asks again
