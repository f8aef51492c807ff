"""stax.toml -> frozen Settings.

stax looks for stax.toml in the current directory and its parents (like git
does for .git); relative paths in it are relative to the file. Without one,
the defaults below apply, rooted at the current directory. Unknown keys are
errors: a typo must not silently fall back to a default.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

from runner.settings import (
    CONFIG_NAME,
    EXECUTOR_KINDS,
    NODE_RUNTIMES,
    ActionsSettings,
    AuthSettings,
    ConnectionSettings,
    EnvironmentSettings,
    ExecutorSettings,
    RateLimitSettings,
    ServicesSettings,
    Settings,
    StoreSettings,
    StreamSettings,
    WorkspaceSettings,
)


def create_data_dir(data_dir: Path) -> None:
    """Create the data dir (and its parents) holding a `.gitignore` of `*`.

    The data dir usually sits inside a repository (`.stax/` beside stax.toml):
    what stax records there must never show up in `git status`. Raises OSError.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Written by stax: nothing in its data dir belongs in git.\n*\n")


_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "port": int,
    "allow_remote": bool,
    "data_dir": str,
    "workflow_dirs": list,
    "skills_dirs": list,
    "secrets_file": str,
    "max_parallel_jobs": int,
    "retention_runs": int,
    "step_kill_grace_seconds": (int, float),
    "parse_timeout_seconds": (int, float),
    "agent_protocol": bool,
    "labels": dict,
    "environments": dict,
    "auth": dict,
    "rate_limit": dict,
    "streams": dict,
    "connections": dict,
    "actions": dict,
    "store": dict,
    "services": dict,
    "workspace": dict,
    "executor": dict,
    "engine_process": bool,
}
# Settings no longer offered: accepted with the value that is now the only behaviour.
_REMOVED = {"engine_process"}


def find_config(start: Path | None = None) -> Path | None:
    """The nearest stax.toml at or above `start` (default: the cwd)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(config_path: Path | None = None, *, start: Path | None = None) -> Settings:
    """Read stax.toml (found from `start` when no path is given) into Settings.

    Raises ConfigError naming the file and the key for anything malformed.
    """
    path = config_path or find_config(start)
    if path is None:
        return _resolve(Settings(root=(start or Path.cwd()).resolve()))
    import tomllib  # only with a stax.toml to read

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return _resolve(_parse(raw, path))


def _parse(raw: Mapping[str, Any], path: Path) -> Settings:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {message}")

    if raw.get("engine_process") is False:
        raise fail(
            "engine_process",
            "removed: the daemon always keeps its runs in an engine process of their own; "
            "delete the line (`stax run --local` runs a workflow in one process)",
        )
    for key, value in raw.items():
        expected = _SCHEMA.get(key)
        if expected is None:
            allowed = ", ".join(sorted(set(_SCHEMA) - _REMOVED))
            raise fail(key, f"unknown setting (allowed: {allowed})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise fail(key, f"expected {_type_name(expected)}, got {type(value).__name__}")

    settings = Settings(root=path.parent.resolve(), config_path=path)
    changes: dict[str, Any] = {}
    for key in (
        "host",
        "allow_remote",
        "max_parallel_jobs",
        "retention_runs",
        "agent_protocol",
    ):
        if key in raw:
            changes[key] = raw[key]
    if "port" in raw:
        if not 0 <= raw["port"] <= 65535:
            raise fail("port", "must be between 0 and 65535")
        changes["port"] = raw["port"]
    if "step_kill_grace_seconds" in raw:
        changes["step_kill_grace_seconds"] = float(raw["step_kill_grace_seconds"])
    if "parse_timeout_seconds" in raw:
        value = raw["parse_timeout_seconds"]
        if isinstance(value, bool) or not 0 < value < _FOREVER:
            raise fail("parse_timeout_seconds", "expected a positive number")
        changes["parse_timeout_seconds"] = float(raw["parse_timeout_seconds"])
    for key in ("data_dir", "secrets_file"):
        if key in raw:
            changes[key] = Path(raw[key])
    for key in ("workflow_dirs", "skills_dirs"):
        if key in raw:
            if not all(isinstance(item, str) for item in raw[key]):
                raise fail(key, "expected a list of directory paths")
            changes[key] = tuple(Path(item) for item in raw[key])
    if "labels" in raw:
        for label, target in raw["labels"].items():
            if target not in ("host", "skip"):
                raise fail(f"labels.{label}", f'expected "host" or "skip", got {target!r}')
        changes["labels"] = dict(raw["labels"])
    if "environments" in raw:
        envs: dict[str, EnvironmentSettings] = {}
        for name, table in raw["environments"].items():
            if not isinstance(table, dict) or set(table) - {"approval"}:
                raise fail(f"environments.{name}", "expected a table with `approval = true|false`")
            if not isinstance(table.get("approval", False), bool):
                raise fail(f"environments.{name}.approval", "expected true or false")
            envs[name] = EnvironmentSettings(approval=table.get("approval", False))
        changes["environments"] = envs
    if "auth" in raw:
        changes["auth"] = _parse_auth(raw["auth"], fail)
    if "rate_limit" in raw:
        changes["rate_limit"] = _parse_table(
            raw["rate_limit"], RateLimitSettings, "rate_limit", fail
        )
    if "streams" in raw:
        changes["streams"] = _parse_table(raw["streams"], StreamSettings, "streams", fail)
    if "connections" in raw:
        changes["connections"] = _parse_table(
            raw["connections"], ConnectionSettings, "connections", fail
        )
    if "actions" in raw:
        changes["actions"] = _parse_actions(raw["actions"], path.parent, fail)
    if "store" in raw:
        changes["store"] = _parse_table(raw["store"], StoreSettings, "store", fail)
    if "services" in raw:
        changes["services"] = _parse_services(raw["services"], fail)
    if "workspace" in raw:
        changes["workspace"] = _parse_workspace(raw["workspace"], path.parent, fail)
    if "executor" in raw:
        changes["executor"] = _parse_executor(raw["executor"], fail)
    return replace(settings, **changes)


def _parse_workspace(table: Mapping[str, Any], root: Path, fail: Any) -> WorkspaceSettings:
    for key, value in table.items():
        if key not in ("bind", "dir"):
            raise fail(f"workspace.{key}", "unknown setting (allowed: bind, dir)")
        if not isinstance(value, bool if key == "bind" else str):
            raise fail(
                f"workspace.{key}",
                "expected true or false" if key == "bind" else "expected the path of a folder",
            )
    folder: Path | None = None
    if "dir" in table:
        if not table["dir"].strip():
            raise fail("workspace.dir", "expected the path of a folder")
        folder = Path(table["dir"]).expanduser()
        folder = folder if folder.is_absolute() else root / folder
    return WorkspaceSettings(bind=table.get("bind", False), dir=folder)


def _parse_executor(table: Mapping[str, Any], fail: Any) -> ExecutorSettings:
    unknown = set(table) - {"kind", "address", "placement_timeout_s"}
    if unknown:
        raise fail(
            f"executor.{sorted(unknown)[0]}",
            "unknown setting (allowed: address, kind, placement_timeout_s)",
        )
    kind = table.get("kind", "local")
    if kind not in EXECUTOR_KINDS:
        raise fail("executor.kind", f'expected "local" or "ray", got {kind!r}')
    address = table.get("address", "")
    if not isinstance(address, str):
        raise fail("executor.address", "expected a string such as 127.0.0.1:6379")
    timed: ExecutorSettings = _parse_table(
        {k: v for k, v in table.items() if k == "placement_timeout_s"},
        ExecutorSettings,
        "executor",
        fail,
    )
    return replace(timed, kind=kind, address=address)


_LOCAL_SERVICES = ("auto", "always", "never")


def _parse_services(table: Mapping[str, Any], fail: Any) -> ServicesSettings:
    unknown = set(table) - {"local", "cache_size_mb"}
    if unknown:
        raise fail(
            f"services.{sorted(unknown)[0]}", "unknown setting (allowed: cache_size_mb, local)"
        )
    local = table.get("local", "auto")
    if local not in _LOCAL_SERVICES:
        raise fail("services.local", f'expected "auto", "always" or "never", got {local!r}')
    sized: ServicesSettings = _parse_table(
        {k: v for k, v in table.items() if k == "cache_size_mb"},
        ServicesSettings,
        "services",
        fail,
    )
    return replace(sized, local=local)


def _parse_actions(table: Mapping[str, Any], root: Path, fail: Any) -> ActionsSettings:
    allowed = {
        "server": str,
        "node": str,
        "offline_mode": bool,
        "local_repositories": dict,
        "tool_cache": str,
    }
    allowed |= dict.fromkeys(NODE_RUNTIMES, str)
    for key, value in table.items():
        expected = allowed.get(key)
        if expected is None:
            raise fail(f"actions.{key}", f"unknown setting (allowed: {', '.join(allowed)})")
        if not isinstance(value, expected):
            raise fail(f"actions.{key}", f"expected {_type_name(expected)}")
    defaults = ActionsSettings()
    server = table.get("server", defaults.server)
    if not server.strip():
        raise fail("actions.server", "expected a URL such as https://github.com")
    node = table.get("node", defaults.node)
    if not node.strip():
        raise fail("actions.node", "expected a command name or a path")
    runtimes = {key: table[key] for key in NODE_RUNTIMES if key in table}
    for key, value in runtimes.items():
        if not value.strip():
            raise fail(f"actions.{key}", "expected a command name or a path")
    local: dict[str, Path] = {}
    for key, value in table.get("local_repositories", {}).items():
        where = f"actions.local_repositories.{key}"
        if not isinstance(value, str) or not value:
            raise fail(where, "expected the path of a folder")
        try:
            check_local_repository_key(key)
        except ConfigError as exc:
            raise fail(where, str(exc)) from None
        folder = Path(value).expanduser()
        local[key] = folder if folder.is_absolute() else root / folder
    tool_cache: Path | None = None
    if "tool_cache" in table:
        if not table["tool_cache"].strip():
            raise fail("actions.tool_cache", "expected the path of a folder")
        tool_cache = Path(table["tool_cache"]).expanduser()
        tool_cache = tool_cache if tool_cache.is_absolute() else root / tool_cache
    return ActionsSettings(
        server=server.rstrip("/"),
        node=node,
        runtimes=runtimes,
        offline_mode=table.get("offline_mode", False),
        local_repositories=local,
        tool_cache=tool_cache,
    )


def check_local_repository_key(key: str) -> None:
    """`owner/repo@ref` or `https://host/owner/repo@ref` (act's --local-repository keys);
    raises ConfigError saying what is expected."""
    repository, at, ref = key.rpartition("@")
    if not at or not ref or repository.count("/") < 1 or repository.endswith("/"):
        raise ConfigError(f"{key!r}: expected OWNER/REPO@REF or https://HOST/OWNER/REPO@REF")


def _parse_auth(table: Mapping[str, Any], fail: Any) -> AuthSettings:
    unknown = set(table) - {"read", "tokens"}
    if unknown:
        raise fail(f"auth.{sorted(unknown)[0]}", "unknown setting (allowed: read, tokens)")
    read = table.get("read", "open")
    if read not in ("open", "token"):
        raise fail("auth.read", f'expected "open" or "token", got {read!r}')
    tokens = table.get("tokens", [])
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise fail("auth.tokens", "expected a list of non-empty strings")
    return AuthSettings(read=read, tokens=tuple(tokens))


_FOREVER = 10**9  # (~32 years) above it, a number is a mistake (or inf, or nan)


def _parse_table(table: Mapping[str, Any], cls: Any, name: str, fail: Any) -> Any:
    defaults = cls()
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if not hasattr(defaults, key):
            allowed = ", ".join(sorted(defaults.__dataclass_fields__))
            raise fail(f"{name}.{key}", f"unknown setting (allowed: {allowed})")
        default = getattr(defaults, key)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < value < _FOREVER
        ):
            raise fail(f"{name}.{key}", "expected a positive number")
        changes[key] = type(default)(value)
    return replace(defaults, **changes)


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        bool: "true or false",
        list: "a list",
        dict: "a table",
        float: "a number",
    }
    if isinstance(expected, tuple):
        return " or ".join(names[t] for t in expected)
    return names[expected]


def _resolve(settings: Settings) -> Settings:
    """Make every relative path absolute against the config's directory."""
    root = settings.root

    def absolute(p: Path) -> Path:
        return p if p.is_absolute() else root / p

    return replace(
        settings,
        data_dir=absolute(settings.data_dir),
        secrets_file=absolute(settings.secrets_file),
        workflow_dirs=tuple(absolute(p) for p in settings.workflow_dirs),
        skills_dirs=tuple(absolute(p) for p in settings.skills_dirs),
    )


__all__ = [
    "CONFIG_NAME",
    "EXECUTOR_KINDS",
    "NODE_RUNTIMES",
    "ActionsSettings",
    "AuthSettings",
    "ConnectionSettings",
    "EnvironmentSettings",
    "ExecutorSettings",
    "RateLimitSettings",
    "ServicesSettings",
    "Settings",
    "StoreSettings",
    "StreamSettings",
    "WorkspaceSettings",
    "check_local_repository_key",
    "create_data_dir",
    "find_config",
    "load_settings",
]
