"""One run of a workflow, from its request to its conclusion.

`WorkflowRun.prepare()` does everything that can fail because of the
request (unknown job, bad input, unknown event) and raises RunError before
anything is emitted, so a bad request leaves no half-started run.
`run()` then emits run.started, schedules the jobs, and always ends with
run.completed, whether the run succeeds, fails, is cancelled or is killed.
"""

from __future__ import annotations

import os
import secrets as _secrets
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from runner.actions import ActionSource
from runner.actions.services import SERVICE_ENVIRONMENT
from runner.actions.toolcache import needs_tool_cache, prepare_tool_cache
from runner.engine.concurrency import ConcurrencyGroups, Slot
from runner.engine.containment import fail_open_job, internal_error
from runner.engine.contexts import (
    RunContexts,
    build_base_env,
    build_github_context,
    build_runner_context,
    default_event,
    write_event_file,
)
from runner.engine.control import RunControl
from runner.engine.inputs import resolve_inputs
from runner.engine.job import LocalJobs
from runner.engine.masking import Masker
from runner.engine.matrix_instances import check_filters
from runner.engine.records import RunRecord
from runner.engine.reporter import Reporter
from runner.engine.repository import read_commit, read_repository
from runner.engine.scheduler import Scheduler
from runner.engine.scope import Approver, JobExecutor, RunScope
from runner.engine.steps.factory import step_executors
from runner.engine.workspaces import JobWorkspaces, run_workspaces
from runner.errors import RunError, StaxError
from runner.events.payloads import RunPayload, RunSnapshot
from runner.events.types import Conclusion, Event, EventType, Status, now_ms
from runner.expressions import JSONValue, interpolate, to_string, truthy
from runner.process.group import sweep_marked
from runner.process.spawn import environment_problem
from runner.run_ids import new_run_id
from runner.skills import SkillCatalogs

if TYPE_CHECKING:
    from runner.actions.services import RunServices
    from runner.config import Settings
    from runner.engine.run_request import RunRequest
    from runner.events.sink import EventSink
    from runner.model import Concurrency, Workflow


class _RejectAll:
    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        return False, "no approver available"


class WorkflowRun:
    def __init__(
        self,
        request: RunRequest,
        settings: Settings,
        sink: EventSink,
        *,
        approvals: Approver | None = None,
        concurrency: ConcurrencyGroups | None = None,
        skill_catalogs: SkillCatalogs | None = None,
        job_executor: JobExecutor | None = None,
    ) -> None:
        self.request = request
        self.settings = settings
        self.sink = sink
        self.approvals = approvals or _RejectAll()
        self.concurrency = concurrency or ConcurrencyGroups()
        self.skill_catalogs = skill_catalogs or SkillCatalogs()  # what `skill:` steps call
        self.job_executor = job_executor or LocalJobs()
        self.control = RunControl()
        self.run_id = request.run_id or new_run_id()
        self.masker = Masker(list(request.secrets.values()))
        self.record: RunRecord | None = None
        self._event_name = ""
        self._inputs: dict[str, JSONValue] = {}
        self._only_jobs: set[str] | None = None
        self._internal_error: str | None = None  # why the run was interrupted, if a bug did it

    # -- before anything is emitted ------------------------------------------
    def prepare(self) -> RunRecord:
        """Check the request against the workflow; raise RunError if it can't run."""
        request, workflow = self.request, self.request.workflow
        self._event_name = self._choose_event()
        self._inputs = self._resolve_inputs()
        problem = environment_problem(request.env)
        if problem is not None:
            raise RunError(f"env: {problem}")
        if request.jobs:
            unknown = [j for j in request.jobs if j not in workflow.jobs]
            if unknown:
                raise RunError(f"unknown job {unknown[0]!r} (jobs: {', '.join(workflow.jobs)})")
            self._only_jobs = _with_needs(workflow, request.jobs)
        check_filters(workflow, self._only_jobs, request.matrix_filters)
        try:
            workflow_file = str(
                Path(workflow.path).resolve().relative_to(request.workdir.resolve())
            )
        except ValueError:
            workflow_file = workflow.path
        self.record = RunRecord(
            id=self.run_id,
            name=workflow.display_name,
            workflow=workflow_file,
            event=self._event_name,
            run_number=request.run_number,
            workdir=str(request.workdir),
            inputs=dict(self._inputs),
            graph=[
                # Names with expressions are evaluated when the job starts; until then, its id.
                {"id": key, "name": _planned_name(key, job.name), "needs": list(job.needs)}
                for key, job in workflow.jobs.items()
                if self._only_jobs is None or key in self._only_jobs
            ],
        )
        return self.record

    def _choose_event(self) -> str:
        on = self.request.workflow.on
        name = self.request.event_name
        if name is None:
            if self.request.inputs and "workflow_dispatch" in on:
                return "workflow_dispatch"  # inputs are what a dispatch carries
            return next(iter(on), "push") if "push" not in on else "push"
        if on and name not in on:
            raise RunError(
                f"the workflow does not run on {name!r} events (it runs on: {', '.join(on)})"
            )
        return name

    def _resolve_inputs(self) -> dict[str, JSONValue]:
        """The `inputs` context: only workflow_dispatch and workflow_call runs have one
        (elsewhere it is empty, as on GitHub). A dispatch payload's `inputs` count as
        given, under what the request itself gives."""
        request, workflow, event = self.request, self.request.workflow, self._event_name
        if event not in ("workflow_dispatch", "workflow_call"):
            if request.inputs:
                raise RunError(
                    f"inputs are given to workflow_dispatch and workflow_call runs only; "
                    f"this run's event is {event!r}"
                )
            return {}
        given: dict[str, JSONValue] = {}
        payload = request.event_payload
        if event == "workflow_dispatch" and isinstance(payload, dict):
            from_payload = payload.get("inputs")
            if isinstance(from_payload, dict):
                given.update(from_payload)
        given.update(request.inputs)
        specs = workflow.call_inputs if event == "workflow_call" else workflow.dispatch_inputs
        return resolve_inputs(specs, given) if specs or given else {}

    # -- the run --------------------------------------------------------------
    def cancel(self, reason: str = "cancelled") -> None:
        self.control.cancel(reason)

    def kill(self) -> None:
        self.control.kill()

    async def run(self) -> RunRecord:
        """Execute the run and return its final record. Always emits run.completed."""
        record = self.record or self.prepare()
        temp = Path(tempfile.mkdtemp(prefix=f"stax-{self.run_id}-"))
        reporter = Reporter(self.sink, self.run_id, self.masker)
        record.status = Status.IN_PROGRESS
        record.started_at = now_ms()
        scope: RunScope | None = None
        try:
            try:
                await trio.to_thread.run_sync(self._seed_tool_cache, temp / "toolcache")
                scope = self._scope(record, reporter, temp)
                name = self._run_name(scope)
                if name:
                    record.name = name
            except StaxError as exc:
                record.error = str(exc)
                scope = None
            await reporter.run_started(record)
            if scope is not None:
                with trio.CancelScope() as root:
                    self.control.root_scope = root
                    await self._run_jobs(scope, record)
        except Exception as exc:  # a bug: this run fails, nothing else (containment.py)
            record.error = internal_error(exc, run_id=self.run_id, where="the run")
            self._internal_error = record.error
        finally:
            with trio.CancelScope(shield=True):
                if scope is not None:
                    # Whatever detached itself from its step (double fork + setsid)
                    # still carries the run's marker: nothing outlives the run.
                    await sweep_marked(
                        scope.process_marker,
                        grace_s=self.control.grace_s(self.settings.step_kill_grace_seconds),
                    )
                await self._finish_contained(record, reporter)
                if scope is not None:
                    shutil.rmtree(scope.contexts.commands_dir, ignore_errors=True)
                shutil.rmtree(temp, ignore_errors=True)
        return record

    async def _run_jobs(self, scope: RunScope, record: RunRecord) -> None:
        """Take the run's concurrency slot (if it has a group), then schedule the jobs."""
        group = self.request.workflow.concurrency
        slot: Slot | None = None
        if group is not None:
            try:
                slot = await self._enter_concurrency_group(scope, group)
            except StaxError as exc:
                record.error = f"concurrency: {exc}"
                return
            if slot is None:
                return  # superseded while pending: the group has cancelled this run
        try:
            scheduler = Scheduler(
                scope,
                self.request.workflow,
                limiter=trio.CapacityLimiter(self.settings.parallel_jobs),
                workflow_env=self._workflow_env(scope),
                only_jobs=self._only_jobs,
                matrix_filters=self.request.matrix_filters,
            )
            await scheduler.run_all()
        except StaxError as exc:
            record.error = str(exc)
        finally:
            if slot is not None:
                self.concurrency.release(slot)

    def _scope(self, record: RunRecord, reporter: Reporter, temp: Path) -> RunScope:
        request = self.request
        workdir = request.workdir.resolve()
        repo = read_repository(workdir)
        if request.actor:
            repo = replace(repo, actor=request.actor)
        if request.event_payload is not None:
            event = dict(request.event_payload)
            if self._event_name == "workflow_dispatch" and request.inputs:
                given = event.get("inputs")
                event["inputs"] = {
                    **(given if isinstance(given, dict) else {}),
                    **{key: to_string(value) for key, value in request.inputs.items()},
                }
        else:
            head = read_commit(repo, repo.sha) if self._event_name == "push" else None
            event = default_event(self._event_name, repo, self._inputs, head)
        runner_temp = temp / "temp"
        runner_temp.mkdir()
        commands_dir = _file_commands_dir(temp)
        event_path = temp / "event.json"
        write_event_file(event_path, event)
        github = build_github_context(
            repo=repo,
            workflow_name=request.workflow.display_name,
            workflow_path=record.workflow,
            event_name=self._event_name,
            event=event,
            run_id=self.run_id,
            run_number=record.run_number,
            workspace=workdir,
            event_path=event_path,
        )
        runner = build_runner_context(runner_temp, temp / "toolcache")
        base_env = build_base_env(github, runner, {})
        for name in SERVICE_ENVIRONMENT:  # an outer runner's: steps get stax's, or none
            base_env.pop(name, None)
        contexts = RunContexts(
            github=github,
            runner=runner,
            inputs=dict(self._inputs),
            secrets={"GITHUB_TOKEN": "", **request.secrets},
            vars=dict(request.vars),
            base_env=base_env,
            workspace=workdir,
            temp_dir=runner_temp,
            commands_dir=commands_dir,
            repository=repo.root,
        )
        return RunScope(
            settings=self.settings,
            workflow=request.workflow,
            record=record,
            contexts=contexts,
            reporter=reporter,
            masker=self.masker,
            control=self.control,
            approvals=self.approvals,
            process_marker=f"stax-{self.run_id}-{_secrets.token_hex(4)}",
            actions=self._action_source(),
            executors=step_executors(),
            job_executor=self.job_executor,
            skill_catalogs=self.skill_catalogs,
            approve_all=request.approve_all,
            concurrency=self.concurrency,
            services=self._services(github, event, repo.default_branch),
            workspaces=self._workspaces(workdir, repo.root, temp),
        )

    def _workspaces(self, workdir: Path, repo: Path | None, temp: Path) -> JobWorkspaces | None:
        """Where the jobs' snapshots go; None: they run in the workdir (--bind, no git)."""
        if self.request.bind or self.settings.workspace.bind or repo is None:
            return None
        return run_workspaces(workdir, repo, self.settings, self.run_id, temp)

    def _seed_tool_cache(self, cache: Path) -> None:
        """The run's RUNNER_TOOL_CACHE: the host's tools, if the workflow may look there."""
        if not needs_tool_cache(self.request.workflow):
            cache.mkdir()
            return
        actions = self.settings.actions
        prepare_tool_cache(cache, state_dir=actions.tool_cache, node=actions.node)

    def _action_source(self) -> ActionSource:
        configured, request = self.settings.actions, self.request
        return ActionSource(
            server=configured.server,
            offline=configured.offline_mode or request.action_offline_mode,
            local_repositories={
                **configured.local_repositories,
                **{key: Path(path) for key, path in request.local_repositories.items()},
            },
        )

    def _services(
        self, github: dict[str, JSONValue], event: dict[str, JSONValue], default_branch: str
    ) -> RunServices | None:
        """The steps' ACTIONS_* environment, when the run has the services."""
        access = self.request.services
        if access is None:
            return None
        from runner.actions.services import RunServices, cache_scopes  # only runs that have them

        repository = event.get("repository")
        if isinstance(repository, dict) and isinstance(repository.get("default_branch"), str):
            default_branch = str(repository["default_branch"])
        scopes = cache_scopes(
            ref=str(github.get("ref") or ""),
            base_ref=str(github.get("base_ref") or ""),
            default_branch=default_branch,
        )
        # The tokens are as secret as any: masked in every log line, like GitHub's.
        return RunServices(access, run_id=self.run_id, scopes=scopes, on_token=self.masker.add)

    async def _enter_concurrency_group(self, scope: RunScope, group: Concurrency) -> Slot | None:
        """The run's slot in its group once it may run; None when superseded while pending."""
        ctx = scope.contexts.eval_context()
        name = to_string(interpolate(group.group, ctx))
        raw = group.cancel_in_progress
        cancel_in_progress = truthy(interpolate(raw, ctx) if isinstance(raw, str) else raw)
        return await self.concurrency.acquire(
            name, cancel_in_progress=cancel_in_progress, cancel=self.cancel
        )

    def _run_name(self, scope: RunScope) -> str | None:
        raw = self.request.workflow.run_name
        if not raw:
            return None
        return to_string(interpolate(raw, scope.contexts.eval_context()))

    def _workflow_env(self, scope: RunScope) -> dict[str, JSONValue]:
        ctx = scope.contexts.eval_context()
        env: dict[str, JSONValue] = {}
        for name, value in self.request.workflow.env.items():
            env[name] = to_string(interpolate(value, ctx) if isinstance(value, str) else value)
        env.update(self.request.env)  # --env wins: the user asked for it explicitly
        return env

    async def _finish_contained(self, record: RunRecord, reporter: Reporter) -> None:
        """`_finish`; if reporting fails there, end the run with a snapshot that holds no
        user text (so it needs no masking), straight into the sink."""
        try:
            await self._finish(record, reporter)
        except Exception as exc:
            error = internal_error(
                exc, run_id=self.run_id, where="ending the run", with_message=False
            )
            final = RunSnapshot(
                id=record.id,
                name=record.workflow,
                workflow=record.workflow,
                event=record.event,
                run_number=record.run_number,
                workdir=record.workdir,
                status=Status.COMPLETED,
                conclusion=Conclusion.FAILURE,
                created_at=record.created_at,
                completed_at=now_ms(),
                error=error,
            )
            record.status, record.conclusion = Status.COMPLETED, Conclusion.FAILURE
            record.error = error
            try:
                await self.sink.emit(
                    Event(
                        type=EventType.RUN_COMPLETED,
                        run_id=self.run_id,
                        payload=RunPayload(run=final),
                    )
                )
            except Exception as again:  # the sink itself is broken: nothing more to do here
                internal_error(again, run_id=self.run_id, where="emitting run.completed")

    async def _finish(self, record: RunRecord, reporter: Reporter) -> None:
        """Close whatever a kill (or an internal error) left open, conclude, and emit
        run.completed."""
        for job in record.jobs.values():
            if job.status is not Status.COMPLETED and self._internal_error is not None:
                await fail_open_job(job, reporter, self._internal_error)
            elif job.status is not Status.COMPLETED:
                for step in job.steps:
                    if step.status is not Status.COMPLETED:
                        step.status = Status.COMPLETED
                        step.conclusion = step.outcome = Conclusion.CANCELLED
                        step.completed_at = now_ms()
                        await reporter.step_completed(job, step)
                job.status = Status.COMPLETED
                job.conclusion = Conclusion.CANCELLED
                job.completed_at = now_ms()
                await reporter.job_completed(job)
        record.conclusion = self._conclusion(record)
        record.status = Status.COMPLETED
        record.completed_at = now_ms()
        await reporter.run_completed(record)

    def _conclusion(self, record: RunRecord) -> Conclusion:
        if record.error:
            return Conclusion.FAILURE
        results = [job.conclusion for job in record.jobs.values()]
        if Conclusion.FAILURE in results:
            return Conclusion.FAILURE
        if self.control.cancelled or Conclusion.CANCELLED in results:
            return Conclusion.CANCELLED
        if results and all(r is Conclusion.SKIPPED for r in results):
            return Conclusion.SKIPPED
        return Conclusion.SUCCESS


def _planned_name(key: str, name: str | None) -> str:
    return name if name and "${{" not in name else key


def _with_needs(workflow: Workflow, jobs: tuple[str, ...]) -> set[str]:
    selected: set[str] = set()
    stack = list(jobs)
    while stack:
        key = stack.pop()
        if key not in selected:
            selected.add(key)
            stack.extend(workflow.jobs[key].needs)
    return selected


def _file_commands_dir(run_temp: Path) -> Path:
    """A fresh directory for the steps' command files and scripts.

    Every step creates six small files here and removes them: on a tmpfs
    (/dev/shm) that costs microseconds, on a journalling disk a hundred
    times more per file, which is most of a step's overhead. Their paths
    reach steps only through $GITHUB_OUTPUT and friends, so where they live
    is ours to choose.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        try:
            return Path(tempfile.mkdtemp(prefix=f"{run_temp.name}-", dir=shm))
        except OSError:
            pass
    fallback = run_temp / "temp" / "_runner_file_commands"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback
