"""The ray executor: each job runs on a node of a Ray cluster that offers its labels.

Placement. A node offers the runs-on label L by declaring the custom resource
`label:L` (`ray start --resources '{"label:gpu": 1000}'`); labels every machine
serves (ubuntu-latest, self-hosted, or mapped to "host" in stax.toml) need none.
A job runs in a JobWorker actor asking for one unit of each of its labels'
resources (and no CPU: how many jobs run at once is the engine's limit, as
locally). Until Ray places it the job stays queued; after
`[executor] placement_timeout_s` it fails, naming the labels. A worker whose
job ended well waits for the next job with the same labels: a new one costs a
process start and its imports, about a second.

Execution. The job's workspace (a tar) and its payload go through Ray's object
store; the node runs the job with the engine's job code (ray_worker.py). This
side pulls the job's events, in order, and emits them into the run's sink: the
store numbers them like any other, so seq and resume are unchanged. Lines are
masked on the node before they leave it.

Faults. A cancel is delivered to the node, which kills the running step's
process group as a local cancel would. A node lost mid-job (its actor dies)
fails the job as "runner lost"; what arrived before stays in the log and the run
goes on. A kill (or the daemon's end) kills the job's processes on the node and
then the actor, which Ray also ends when this process ends.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from typing import TYPE_CHECKING, Any

import trio

from runner.engine.containment import fail_open_job
from runner.engine.job_plan import JobResult
from runner.engine.runs_on import required_labels
from runner.errors import ConfigError
from runner.events.types import Conclusion, Status, now_ms
from runner.executors.ray_payload import build_payload, pack_workspace
from runner.executors.ray_records import mirror_event, take_final

if TYPE_CHECKING:
    from runner.config import ExecutorSettings
    from runner.engine.control import JobControl
    from runner.engine.job_plan import JobPlan
    from runner.engine.records import JobRecord
    from runner.engine.scope import RunScope
    from runner.executors.ray_worker import Batch

log = logging.getLogger("stax.engine")

_POLL_S = 1.0  # how long one `events()` call waits on the node for something new
_NOTICE_AFTER_S = 2.0  # a job still unplaced then says what it waits for
_KILL_WAIT_S = 5.0  # for the node to kill the job's processes before its actor goes


class RayExecutor:
    """Runs jobs on the Ray cluster at `[executor] address` (connected on first use)."""

    def __init__(self, settings: ExecutorSettings) -> None:
        self.settings = settings
        self._ray: Any = None
        self._worker_class: Any = None
        self._connecting = trio.Lock()
        # Workers whose job ended well, by labels: starting a worker process costs about
        # a second, so the next job with the same labels takes one of these.
        self._idle: dict[tuple[str, ...], list[Any]] = {}

    async def run_job(self, plan: JobPlan, run: RunScope, control: JobControl) -> JobResult:
        record = plan.record
        refusal = _unsupported(plan, run)
        if refusal is not None:
            return await _end_unstarted(run, record, Conclusion.FAILURE, refusal)
        try:
            await self._connect()
        except ConfigError as exc:  # no Ray, no address, no cluster there
            return await _end_unstarted(run, record, Conclusion.FAILURE, str(exc))
        labels = tuple(required_labels(record.runs_on, run.settings))
        run.control.jobs.add(control)  # a run cancel now reaches this job
        actor: Any = None
        reusable = False
        try:
            actor, node = await self._worker(labels, run, record, control)
            if node is None:
                if control.cancelled:
                    reason = control.reason or "cancelled"
                    return await _end_unstarted(run, record, Conclusion.CANCELLED, reason)
                timeout_s = run.settings.executor.placement_timeout_s
                return await _end_unstarted(
                    run, record, Conclusion.FAILURE, _unplaced(list(labels), timeout_s)
                )
            record.runner_name = node
            result, reusable = await self._execute(actor, plan, run, control)
            return result
        finally:
            run.control.jobs.discard(control)
            if actor is not None:
                with trio.CancelScope(shield=True):
                    if reusable and not run.control.killed:
                        self._idle.setdefault(labels, []).append(actor)
                    else:
                        await self._release(actor, run)

    async def _worker(
        self, labels: tuple[str, ...], run: RunScope, record: JobRecord, control: JobControl
    ) -> tuple[Any, str | None]:
        """A worker for the job and its node's name: an idle one of a job with the same
        labels that is still alive, else a new one, once Ray has placed it (None: not in
        time, or cancelled)."""
        ray = self._ray
        while self._idle.get(labels):
            actor = self._idle[labels].pop()
            try:
                return actor, str(await self._get(actor.node.remote()))
            except ray.exceptions.RayActorError:  # its node is gone
                continue
        actor = self._worker_class.options(
            resources={f"label:{label}": 1.0 for label in labels},
            num_cpus=0,  # how many jobs at once is the engine's limit, not the node's
            max_concurrency=4,
            max_restarts=0,
        ).remote()
        return actor, await self._placed(actor, list(labels), run, record, control)

    # -- placement --------------------------------------------------------------
    async def _placed(
        self, actor: Any, labels: list[str], run: RunScope, record: JobRecord, control: JobControl
    ) -> str | None:
        """The node's name once Ray has placed the job; None on timeout or cancel."""
        node_ref = actor.node.remote()
        with trio.move_on_after(run.settings.executor.placement_timeout_s):
            async with control.interruptible() as waiting:
                with trio.move_on_after(_NOTICE_AFTER_S) as quick:
                    return str(await self._get(node_ref))
                if quick.cancelled_caught and not waiting.cancelled_caught:
                    wanted = ", ".join(f"label:{label}" for label in labels) or "a free CPU"
                    await run.reporter.job_status(
                        record, f"queued: waiting for a Ray node with {wanted}"
                    )
                    return str(await self._get(node_ref))
        return None

    # -- the job on its node ------------------------------------------------------
    async def _execute(
        self, actor: Any, plan: JobPlan, run: RunScope, control: JobControl
    ) -> tuple[JobResult, bool]:
        """The job's result, and whether its worker may run another job."""
        ray = self._ray
        workspace = run.contexts.workspace
        data = await trio.to_thread.run_sync(
            functools.partial(pack_workspace, workspace, leave_out=(run.settings.data_dir,))
        )
        payload = build_payload(plan, run)
        await self._get(actor.start.remote(payload, ray.put(data)))
        record = plan.record
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._forward_cancel, actor, run, control)
            try:
                batch = await self._stream(actor, run, record)
            except ray.exceptions.RayActorError as exc:
                batch = None
                lost = _lost_reason(exc, record.runner_name)
            nursery.cancel_scope.cancel()
        if batch is None:
            return await _fail_lost(run, record, lost), False
        if batch.error is not None:
            failed = f"the job's worker failed ({batch.error})"
            return await _fail_lost(run, record, failed), False
        assert batch.record is not None
        assert batch.result is not None
        take_final(record, batch.record)
        return batch.result, True

    async def _stream(self, actor: Any, run: RunScope, record: JobRecord) -> Batch:
        """Emit the job's events as they come, in order; return its end."""
        cursor = 0
        sink = run.reporter.sink
        while True:
            batch: Batch = await self._get(actor.events.remote(cursor, _POLL_S))
            for event in batch.events:
                mirror_event(record, event)
                await sink.emit(event)
            cursor += len(batch.events)
            if batch.record is not None or batch.error is not None:
                return batch

    async def _forward_cancel(self, actor: Any, run: RunScope, control: JobControl) -> None:
        await control.wait_cancelled()
        await self._get(actor.cancel.remote(control.reason or "cancelled", run.control.killed))

    async def _release(self, actor: Any, run: RunScope) -> None:
        """End the actor; after a kill, first have the node kill the job's processes."""
        ray = self._ray
        if run.control.killed:
            with trio.move_on_after(_KILL_WAIT_S):
                with contextlib.suppress(ray.exceptions.RayError):
                    await self._get(actor.cancel.remote("killed", True))
        with contextlib.suppress(ray.exceptions.RayError):
            ray.kill(actor, no_restart=True)

    # -- Ray ----------------------------------------------------------------------
    async def _connect(self) -> None:
        async with self._connecting:
            if self._ray is None:
                self._ray, self._worker_class = await trio.to_thread.run_sync(
                    _connect, self.settings.address
                )

    async def _get(self, ref: Any) -> Any:
        """`ray.get(ref)` off the event loop (a cancel abandons the wait, not the task)."""
        return await trio.to_thread.run_sync(self._ray.get, ref, abandon_on_cancel=True)


def _connect(address: str) -> tuple[Any, Any]:
    """Connect this process to the cluster as a driver; the JobWorker actor class."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise ConfigError('[executor] kind = "ray" needs Ray: pip install "stax[ray]"') from None
    from runner.executors.ray_worker import JobWorker

    if not ray.is_initialized():
        target = address or os.environ.get("RAY_ADDRESS", "")
        if not target:
            raise ConfigError('[executor] kind = "ray": set address = "HOST:PORT" (or RAY_ADDRESS)')
        host = target.rpartition(":")[0]
        options: dict[str, Any] = {}
        if host in ("127.0.0.1", "localhost", "::1", "[::1]"):
            from runner.executors.ray_cluster import keep_loopback

            keep_loopback()  # a cluster on this machine: stay on loopback
            options["_node_ip_address"] = "127.0.0.1"
        # Called off the main thread on purpose: Ray then leaves the process's SIGTERM
        # handling to stax, and says so in a warning not worth showing.
        quiet = logging.getLogger("ray._private.worker")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            ray.init(
                address=target,
                log_to_driver=False,
                configure_logging=False,
                include_dashboard=False,
                **options,
            )
        except (ConnectionError, RuntimeError) as exc:
            raise ConfigError(
                f"[executor] cannot reach the Ray cluster at {target}: {exc}"
            ) from None
        finally:
            quiet.setLevel(level)
    return ray, ray.remote(JobWorker)


def _unsupported(plan: JobPlan, run: RunScope) -> str | None:
    environment = plan.record.environment
    if environment:
        settings = run.settings.environments.get(environment)
        if settings is not None and settings.approval:
            return (
                f"environment {environment!r} needs an approval, which the ray executor "
                'does not support yet (run this job with [executor] kind = "local")'
            )
    if plan.job.concurrency is not None:
        return "a job's `concurrency:` is not supported by the ray executor yet"
    return None


def _unplaced(labels: list[str], timeout_s: float) -> str:
    wanted = ", ".join(labels) or "(none)"
    resources = ", ".join(f"label:{label}" for label in labels) or "a free CPU"
    return f"no Ray node offers runs-on label(s) {wanted} ({resources}) within {timeout_s:g} s"


def _lost_reason(exc: BaseException, node: str | None) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"runner lost: Ray node {node or '?'} went away mid-job ({detail[:200]})"


async def _fail_lost(run: RunScope, record: JobRecord, reason: str) -> JobResult:
    await fail_open_job(record, run.reporter, reason)
    return JobResult(conclusion=Conclusion.FAILURE)


async def _end_unstarted(
    run: RunScope, record: JobRecord, conclusion: Conclusion, reason: str
) -> JobResult:
    record.status = Status.COMPLETED
    record.conclusion = conclusion
    record.error = reason
    record.completed_at = now_ms()
    await run.reporter.job_completed(record)
    return JobResult(conclusion=conclusion)
