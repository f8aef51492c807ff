"""runner/'s shape: no import cycle anywhere, the layers of pyproject.toml's import-linter
contracts kept, no import hidden from both checks, no module or function too long."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "runner"
API = RUNNER / "api"


def import_graph(root: Path, package: Path) -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports anywhere: at the top, inside
    functions, under TYPE_CHECKING. (`root` is the folder `package`'s names start from.)"""
    files = {_module_name(root, path): path for path in package.rglob("*.py")}
    return {name: _imports(path, name, set(files)) for name, path in files.items()}


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:  # `from a.b import c`: the module a.b.c if there is one
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    modules = set()
    for target in found:  # the innermost module of runner that a name lies in
        parts = target.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts and ".".join(parts) != name:
            modules.add(".".join(parts))
    return modules


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, as the path around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_runner_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, RUNNER)
    assert "runner.api.runs.routes" in graph["runner.api.app"]
    assert "runner.api.services" in graph["runner.api.routing"]  # under TYPE_CHECKING
    assert "runner.cli.run" in graph["runner.cli.main"]  # inside a function
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "runner" / "api"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from runner.api.b import B\n")
    (package / "b.py").write_text("def f():\n    from . import a\n")
    assert _cycle(import_graph(tmp_path, package)) == [
        "runner.api.a",
        "runner.api.b",
        "runner.api.a",
    ]


def test_runner_keeps_its_import_contracts() -> None:
    """pyproject.toml's import-linter contracts: runner's packages in layers, no cycle at
    any level, and runner.api's app over its endpoint families over what they share."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_of_runner_hides_an_import() -> None:
    """importlib.import_module and __import__ would hide an import from both checks above."""
    hidden = []
    for path in RUNNER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = ""
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.Name):
                name = node.id
            if name in ("import_module", "__import__"):
                hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not hidden


def test_no_module_of_runner_is_over_500_lines_nor_any_function_over_100() -> None:
    too_long = []
    for path in RUNNER.rglob("*.py"):
        name = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = source.count("\n")
        if lines > 500:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 100:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert not too_long
