"""The REST surface the CLI and the dashboard use: runs, workflows, logs, health.

Errors are `{"error": {"type", "message"}}` with the status that fits:
400 unreadable body, 401 no token, 403 a path outside what the daemon may
run, 404 unknown run/job/step/workflow, 409 nothing to cancel or approve,
422 a body or workflow that does not validate, 503 shutting down or a store that
cannot take a run (`/api/health` says why).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from quart import Response, request

from runner import __version__
from runner.api.request_json import json_object
from runner.api.request_numbers import int_arg
from runner.api.responses import json_response
from runner.api.routing import RouteGroup, get, post
from runner.api.runs.run_request import check_fields, run_request
from runner.errors import ApiError, RunError, WorkflowErrors
from runner.workflow_files import list_workflows

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from runner.expressions.values import JSONValue
    from runner.model import Workflow

LOG_PAGE_BYTES = 256 << 10  # of a step's log, read from the store and written at a time


class RunRoutes(RouteGroup):
    name = "runs"

    @get("/api/health", public=True)
    async def health(self) -> Response:
        services = self.services
        stats = services.store.statistics()
        problem = services.store.check()  # the store's files are checked on the spot
        return json_response(
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

    @post("/api/runs")
    async def start_run(self) -> Response:
        body = await json_object()
        try:
            record = await self.services.manager.start(
                await run_request(body, self.services.settings, self.services.definitions)
            )
        except RunError as exc:
            raise ApiError(422, "invalid_request_error", str(exc)) from None
        return json_response({"runId": record.id, "run": record.snapshot()}, status=201)

    @get("/api/runs")
    async def list_runs(self) -> Response:
        limit = int_arg(request.args, "limit", 50, 1, 500)
        before = request.args.get("before")
        before_seq = int_arg(request.args, "before", 0, 1, 2**62) if before else None
        runs = await self.services.store.list_runs(
            limit=limit + 1,
            before_seq=before_seq,
            status=request.args.get("status") or None,
            workflow=request.args.get("workflow") or None,
        )
        page, more = runs[:limit], len(runs) > limit
        next_cursor = page[-1]["first_seq"] if more and page else None
        return json_response({"runs": page, "next": next_cursor})  # type: ignore[dict-item]

    @get("/api/runs/<run_id>")
    async def get_run(self, run_id: str) -> Response:
        run = await self.services.find_run(run_id)
        if run is None:
            raise ApiError(404, "not_found_error", f"no run {run_id!r}")
        return json_response(run)

    @post("/api/runs/<run_id>/cancel")
    async def cancel_run(self, run_id: str) -> Response:
        services = self.services
        if await services.manager.cancel(run_id, "cancelled by request"):
            return json_response({"runId": run_id, "status": "cancelling"}, status=202)
        if await services.store.get_run(run_id) is None:
            raise ApiError(404, "not_found_error", f"no run {run_id!r}")
        raise ApiError(409, "conflict", f"run {run_id!r} is not running")

    @post("/api/runs/<run_id>/jobs/<job_id>/approve")
    async def approve_job(self, run_id: str, job_id: str) -> Response:
        services = self.services
        body = await json_object(empty_ok=True)
        check_fields(body, {"approve": bool, "comment": str})
        approved = body.get("approve", True)
        who = "api" if services.token_of(request.headers) else "dashboard"
        if await services.manager.approve(run_id, job_id, approved=approved, by=who):
            return json_response({"runId": run_id, "jobId": job_id, "approved": approved})
        run = await services.store.get_run(run_id)
        if run is None:
            raise ApiError(404, "not_found_error", f"no run {run_id!r}")
        jobs = run.get("jobs")
        if not isinstance(jobs, list) or not any(
            isinstance(j, dict) and j.get("id") == job_id for j in jobs
        ):
            raise ApiError(404, "not_found_error", f"run {run_id!r} has no job {job_id!r}")
        raise ApiError(409, "conflict", f"job {job_id!r} is not waiting for approval")

    @get("/api/runs/<run_id>/jobs/<job_id>/steps/<int:number>/log")
    async def step_log(self, run_id: str, job_id: str, number: int) -> Response:
        """The step's log as plain text, streamed page by page from the store: a reader
        holds one page, however big the log. It ends where the log was committed when the
        request came (a step still writing does not keep the response open)."""
        store = self.services.store
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
            self.services.watch.guard(pages()),
            status=200,
            content_type="text/plain; charset=utf-8",
        )
        response.timeout = None  # Quart's default would cut a long log at 60 s
        return response

    @get("/api/workflows")
    async def workflows(self) -> Response:
        """Every workflow in the workflow dirs, parsed off the event loop
        (runner.definitions)."""
        settings = self.services.settings
        parsed = await self.services.definitions.load_workflows(
            list_workflows(settings), timeout_s=settings.parse_timeout_seconds
        )
        out: list[JSONValue] = []
        for path, verdict in parsed.items():
            entry: dict[str, JSONValue] = {"name": path.stem, "path": str(path)}
            if isinstance(verdict, WorkflowErrors):
                entry.update({"valid": False, "errors": [str(e) for e in verdict.errors]})
            else:
                entry.update(_describe(verdict))
            out.append(entry)
        return json_response({"workflows": out})


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
