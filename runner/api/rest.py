"""The REST surface the CLI and the dashboard use: runs, workflows, logs, health.

Errors are `{"error": {"type", "message"}}` with the status that fits:
400 unreadable body, 401 no token, 403 a path outside what the daemon may
run, 404 unknown run/job/step/workflow, 409 nothing to cancel or approve,
422 a body or workflow that does not validate, 503 shutting down or a store that
cannot take a run (`/api/health` says why).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quart import Blueprint, Response, current_app, request

from runner import __version__, json_text
from runner.api.app import Services, authorized
from runner.api.request_json import json_object
from runner.api.request_numbers import int_arg
from runner.catalog import find_workflow, list_workflows
from runner.config import check_local_repository_key
from runner.definitions import load_workflow_file, load_workflows
from runner.engine import RunRequest
from runner.errors import ApiError, ConfigError, InvalidField, RunError, WorkflowErrors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runner.expressions.values import JSONValue
    from runner.model import Workflow

blueprint = Blueprint("rest", __name__)
LOG_PAGE_BYTES = 256 << 10  # of a step's log, read from the store and written at a time

_RUN_FIELDS: dict[str, type | tuple[type, ...]] = {
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
}


def _services() -> Services:
    services: Services = current_app.config["STAX_DAEMON"]
    return services


def _json(payload: JSONValue, status: int = 200) -> Response:
    return Response(json_text.dumps(payload), status=status, content_type="application/json")


@blueprint.get("/api/health")
async def health() -> Response:
    services = _services()
    stats = services.store.statistics()
    problem = services.store.check()  # the store's files are checked on the spot
    return _json(
        {
            "status": "ok" if problem is None else "degraded",
            "version": __version__,
            "uptime_s": round(time.time() - services.started_at, 3),
            "runs_active": len(services.manager.active),
            "last_seq": stats.last_seq,
            "subscribers": services.bus.statistics().subscribers,
            "streams_cut": services.watch.statistics().cut,
            "store_error": problem,
            "accepting_runs": services.manager.accepting and problem is None,
        }
    )


@blueprint.post("/api/runs")
async def start_run() -> Response:
    services = _services()
    body = await json_object()
    _check_fields(body, _RUN_FIELDS, required=("workflow",))
    workdir = _workdir(body.get("workdir"), services)
    path = resolve_workflow(body["workflow"], workdir, services)
    workflow = await _load(path, services)
    try:
        request_ = RunRequest(
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
        )
        record = await services.manager.start(request_)
    except RunError as exc:
        raise ApiError(422, "invalid_request_error", str(exc)) from None
    return _json({"runId": record.id, "run": record.snapshot()}, status=201)


@blueprint.get("/api/runs")
async def list_runs() -> Response:
    services = _services()
    limit = int_arg(request.args, "limit", 50, 1, 500)
    before = request.args.get("before")
    before_seq = int_arg(request.args, "before", 0, 1, 2**62) if before else None
    runs = await services.store.list_runs(
        limit=limit + 1,
        before_seq=before_seq,
        status=request.args.get("status") or None,
        workflow=request.args.get("workflow") or None,
    )
    page, more = runs[:limit], len(runs) > limit
    next_cursor = page[-1]["first_seq"] if more and page else None
    return _json({"runs": page, "next": next_cursor})  # type: ignore[dict-item]


@blueprint.get("/api/runs/<run_id>")
async def get_run(run_id: str) -> Response:
    services = _services()
    run = await services.store.get_run(run_id)
    if run is None:
        # Started a moment ago: its first events are not committed yet.
        active = services.manager.active.get(run_id)
        if active is None or active.record is None:
            raise ApiError(404, "not_found_error", f"no run {run_id!r}")
        run = active.record.snapshot()
        run["jobs"] = [job.snapshot() for job in active.record.jobs.values()]
    return _json(run)


@blueprint.post("/api/runs/<run_id>/cancel")
async def cancel_run(run_id: str) -> Response:
    services = _services()
    if await services.manager.cancel(run_id, "cancelled by request"):
        return _json({"runId": run_id, "status": "cancelling"}, status=202)
    if await services.store.get_run(run_id) is None:
        raise ApiError(404, "not_found_error", f"no run {run_id!r}")
    raise ApiError(409, "conflict", f"run {run_id!r} is not running")


@blueprint.post("/api/runs/<run_id>/jobs/<job_id>/approve")
async def approve_job(run_id: str, job_id: str) -> Response:
    services = _services()
    body = await json_object(empty_ok=True)
    _check_fields(body, {"approve": bool, "comment": str})
    approved = body.get("approve", True)
    who = "api" if authorized(services) else "dashboard"
    if await services.manager.approve(run_id, job_id, approved=approved, by=who):
        return _json({"runId": run_id, "jobId": job_id, "approved": approved}, status=200)
    run = await services.store.get_run(run_id)
    if run is None:
        raise ApiError(404, "not_found_error", f"no run {run_id!r}")
    jobs = run.get("jobs")
    if not isinstance(jobs, list) or not any(
        isinstance(j, dict) and j.get("id") == job_id for j in jobs
    ):
        raise ApiError(404, "not_found_error", f"run {run_id!r} has no job {job_id!r}")
    raise ApiError(409, "conflict", f"job {job_id!r} is not waiting for approval")


@blueprint.get("/api/runs/<run_id>/jobs/<job_id>/steps/<int:number>/log")
async def step_log(run_id: str, job_id: str, number: int) -> Response:
    """The step's log as plain text, streamed page by page from the store: a reader holds
    one page, however big the log. It ends where the log was committed when the request
    came (a step still writing does not keep the response open)."""
    store = _services().store
    # Beyond any real step number (and SQLite's integers): simply not there.
    if number >= 2**31 or not await store.has_step(run_id, job_id, number):
        raise ApiError(
            404, "not_found_error", f"no step {number} in job {job_id!r} of run {run_id!r}"
        )
    until = await store.committed_seq()

    async def pages() -> AsyncIterator[bytes]:
        after = 0
        while True:
            last, text = await store.read_step_log(
                run_id, job_id, number, after=after, until=until, max_bytes=LOG_PAGE_BYTES
            )
            if last == after:
                return
            after = last
            if text:
                yield text

    response = Response(
        _services().watch.guard(pages()),
        status=200,
        content_type="text/plain; charset=utf-8",
    )
    response.timeout = None  # Quart's default would cut a long log at 60 s
    return response


@blueprint.get("/api/workflows")
async def workflows() -> Response:
    """Every workflow in the workflow dirs, parsed off the event loop (runner.definitions)."""
    services = _services()
    parsed = await load_workflows(
        list_workflows(services.settings), timeout_s=services.settings.parse_timeout_seconds
    )
    out: list[JSONValue] = []
    for path, verdict in parsed.items():
        entry: dict[str, JSONValue] = {"name": path.stem, "path": str(path)}
        if isinstance(verdict, WorkflowErrors):
            entry.update({"valid": False, "errors": [str(e) for e in verdict.errors]})
        else:
            entry.update(_describe(verdict))
        out.append(entry)
    return _json({"workflows": out})


def _describe(workflow: Workflow) -> dict[str, JSONValue]:
    return {
        "valid": True,
        "errors": [],
        "title": workflow.display_name,
        "on": list(workflow.on),
        "jobs": [
            {"id": key, "name": job.name or key, "needs": list(job.needs)}
            for key, job in workflow.jobs.items()
        ],
        "inputs": [
            {
                "name": spec.name,
                "type": spec.type,
                "description": spec.description,
                "required": spec.required,
                "default": spec.default,
                "options": list(spec.options),
            }
            for spec in workflow.dispatch_inputs.values()
        ],
    }


# -- request checking ------------------------------------------------------------
def resolve_workflow(name: str, workdir: Path, services: Services) -> Path:
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
            path = find_workflow(name, services.settings)
        except ConfigError as exc:
            raise ApiError(404, "not_found_error", str(exc)) from None
    else:
        raise ApiError(404, "not_found_error", f"no workflow file {name!r} in {workdir}")
    path = path.resolve()
    roots = [workdir.resolve(), *(d.resolve() for d in services.settings.workflow_dirs)]
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


def _workdir(raw: object, services: Services) -> Path:
    if raw is None:
        return services.settings.root
    path = Path(str(raw))
    if not path.is_absolute() or ".." in path.parts:
        raise ApiError(
            422, "invalid_request_error", "workdir must be an absolute path without '..'"
        )
    if not path.is_dir():
        raise ApiError(422, "invalid_request_error", f"workdir {raw!r} is not a directory")
    return path


async def _load(path: Path, services: Services) -> Workflow:
    try:
        return await load_workflow_file(path, timeout_s=services.settings.parse_timeout_seconds)
    except WorkflowErrors as exc:
        raise ApiError(422, "invalid_workflow", str(exc)) from None


def _check_fields(
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
