"""POST /api/runs: the request body checked, field by field, into a RunRequest.

Every problem is a 4xx naming the field: 403 for a workflow path outside what the
daemon may run, 404 for a workflow that is not there, 422 for anything else (an
unknown or mistyped field, a workflow that does not validate, a workdir that is not
an absolute directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner import json_text
from runner.config import check_local_repository_key
from runner.engine import RunRequest
from runner.errors import ApiError, ConfigError, InvalidField, WorkflowErrors
from runner.workflow_files import find_workflow

if TYPE_CHECKING:
    from runner.config import Settings
    from runner.definitions import Definitions
    from runner.model import Workflow

RUN_FIELDS: dict[str, type | tuple[type, ...]] = {
    "workflow": str,
    "inputs": dict,
    "event": str,
    "eventPayload": dict,
    "jobs": list,
    "workdir": str,
    "env": dict,
    "secrets": dict,
    "vars": dict,
    "matrix": dict,
    "approve": bool,
    "localRepositories": dict,
    "actionOfflineMode": bool,
    "actor": str,
    "bind": bool,
}


async def run_request(
    body: dict[str, Any], settings: Settings, definitions: Definitions
) -> RunRequest:
    """The run the body asks for; ApiError (or InvalidField) for the first problem."""
    check_fields(body, RUN_FIELDS, required=("workflow",))
    workdir = _workdir(body.get("workdir"), settings)
    path = resolve_workflow(body["workflow"], workdir, settings)
    workflow = await _load(path, settings, definitions)
    return RunRequest(
        workflow=workflow,
        workdir=workdir,
        event_name=body.get("event"),
        event_payload=body.get("eventPayload"),
        inputs=body.get("inputs") or {},
        secrets=_strings(body.get("secrets"), "secrets"),
        vars=_strings(body.get("vars"), "vars"),
        env=_env(body.get("env")),
        jobs=tuple(_string_list(body.get("jobs"), "jobs")),
        matrix_filters=_matrix_filters(body.get("matrix")),
        approve_all=bool(body.get("approve", False)),
        local_repositories=_local_repositories(body.get("localRepositories")),
        action_offline_mode=bool(body.get("actionOfflineMode", False)),
        actor=body.get("actor") or None,
        bind=bool(body.get("bind", False)),
    )


def resolve_workflow(name: str, workdir: Path, settings: Settings) -> Path:
    """The workflow file a request names, refusing anything outside what may run:
    a name in the workflow dirs, or a path inside the run's workdir."""
    given = Path(name)
    if not name or ".." in given.parts:
        raise ApiError(403, "forbidden_path", f"workflow {name!r}: '..' paths are refused")
    if given.is_absolute():
        path = given
    elif (workdir / given).exists():
        path = workdir / given
    elif len(given.parts) == 1:
        try:
            path = find_workflow(name, settings)
        except ConfigError as exc:
            raise ApiError(404, "not_found_error", str(exc)) from None
    else:
        raise ApiError(404, "not_found_error", f"no workflow file {name!r} in {workdir}")
    path = path.resolve()
    roots = [workdir.resolve(), *(d.resolve() for d in settings.workflow_dirs)]
    if not any(path.is_relative_to(root) for root in roots):
        raise ApiError(
            403,
            "forbidden_path",
            f"workflow {name!r} is outside the workflow dirs and the run's workdir",
        )
    if not path.is_file():
        raise ApiError(404, "not_found_error", f"no workflow file {name!r}")
    return path


def _local_repositories(raw: object) -> dict[str, str]:
    """`localRepositories`: {"OWNER/REPO@REF": "/absolute/folder"} (the CLI's
    --local-repository, resolved)."""
    found = _strings(raw, "localRepositories")
    for key, folder in found.items():
        try:
            check_local_repository_key(key)
        except ConfigError as exc:
            raise ApiError(422, "invalid_request_error", f"localRepositories: {exc}") from None
        if not Path(folder).is_absolute() or not Path(folder).is_dir():
            raise ApiError(
                422,
                "invalid_request_error",
                f"localRepositories.{key}: {folder!r} is not an absolute path to a directory",
            )
    return found


def _workdir(raw: object, settings: Settings) -> Path:
    if raw is None:
        return settings.root
    path = Path(str(raw))
    if not path.is_absolute() or ".." in path.parts:
        raise ApiError(
            422, "invalid_request_error", "workdir must be an absolute path without '..'"
        )
    if not path.is_dir():
        raise ApiError(422, "invalid_request_error", f"workdir {raw!r} is not a directory")
    return path


async def _load(path: Path, settings: Settings, definitions: Definitions) -> Workflow:
    try:
        return await definitions.load_workflow_file(path, timeout_s=settings.parse_timeout_seconds)
    except WorkflowErrors as exc:
        raise ApiError(422, "invalid_workflow", str(exc)) from None


def check_fields(
    body: dict[str, Any],
    fields: dict[str, type | tuple[type, ...]],
    *,
    required: tuple[str, ...] = (),
) -> None:
    problems = [f"unknown field {key!r}" for key in body if key not in fields]
    problems += [f"missing field {key!r}" for key in required if body.get(key) is None]
    for key, expected in fields.items():
        if key in body and body[key] is not None and not isinstance(body[key], expected):
            problems.append(f"field {key!r} must be {_kind(expected)}")
    if problems:
        raise ApiError(422, "invalid_request_error", "; ".join(problems))


def _kind(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", dict: "an object", list: "an array", bool: "a boolean"}
    if isinstance(expected, tuple):
        return " or ".join(names.get(t, t.__name__) for t in expected)
    return names.get(expected, expected.__name__)


def _strings(raw: object, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    assert isinstance(raw, dict)
    bad = [k for k, v in raw.items() if not isinstance(v, (str, int, float, bool))]
    if bad:
        raise ApiError(422, "invalid_request_error", f"{what}.{bad[0]} must be a string")
    return {
        k: v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in raw.items()
    }


def _matrix_filters(raw: object) -> dict[str, tuple[str, ...]]:
    """`matrix`: key -> a value or a list of values (any of them), like repeated --matrix."""
    filters: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items() if isinstance(raw, dict) else ():
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, (str, int, float)) for v in values):
            raise ApiError(
                422, "invalid_request_error", f"matrix.{key} must be a string or a list of strings"
            )
        filters[key] = tuple(v if isinstance(v, str) else json_text.dumps(v) for v in values)
    return filters


def _env(raw: object) -> dict[str, str]:
    """The `env` field: what _strings gives, with names a process environment can hold
    (the reader has refused NUL and lone surrogates already)."""
    env = _strings(raw, "env")
    for name in env:
        if not name or "=" in name:
            problem = "is empty" if not name else 'holds "="'
            raise InvalidField(("body", "env", name), f"the name {problem}: not a variable name")
    return env


def _string_list(raw: object, what: str) -> list[str]:
    if raw is None:
        return []
    assert isinstance(raw, list)
    if not all(isinstance(item, str) for item in raw):
        raise ApiError(422, "invalid_request_error", f"{what} must be an array of strings")
    return list(raw)
