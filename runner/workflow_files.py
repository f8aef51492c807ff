"""Finding definitions by name in the configured directories.

`stax run ci` looks for ci.yml / ci.yaml / ci in each workflow dir (from
stax.toml) in order; a path that exists is used as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import ConfigError

if TYPE_CHECKING:
    from runner.config import Settings

YAML_SUFFIXES = (".yml", ".yaml")


def find_workflow(name_or_path: str, settings: Settings) -> Path:
    """The workflow file meant by `name_or_path`; ConfigError listing where it looked."""
    given = Path(name_or_path)
    if given.is_file():
        return given
    if given.is_dir():
        raise ConfigError(f"{name_or_path}: is a directory, not a workflow file")
    looked: list[str] = []
    if len(given.parts) == 1:
        for directory in settings.workflow_dirs:
            for candidate in (directory / f"{name_or_path}{s}" for s in ("", *YAML_SUFFIXES)):
                if candidate.is_file():
                    return candidate
            looked.append(str(directory))
    where = f" (looked in {', '.join(looked)})" if looked else ""
    raise ConfigError(f"no workflow named {name_or_path!r}{where}")


def list_workflows(settings: Settings) -> list[Path]:
    """Every workflow file in the workflow dirs, each once, sorted by path."""
    found: dict[Path, None] = {}
    for directory in settings.workflow_dirs:
        if directory.is_dir():
            for path in sorted(directory.iterdir()):
                if path.suffix in YAML_SUFFIXES and path.is_file():
                    found[path.resolve()] = None
    return list(found)
