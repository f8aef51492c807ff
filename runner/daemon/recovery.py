"""After a crash: end the runs the previous daemon left open.

A run whose process died cannot go on (its steps died with it, or were
orphaned and are killed by their marker), so each unfinished step, job and
run is ended as failed with the reason, through ordinary events: every
stream then shows the end of the story, and nothing is rewritten in place.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from runner.events.payload_json import run_from_json
from runner.events.payloads import JobPayload, RunPayload, StepPayload
from runner.events.store import is_damage
from runner.events.types import Conclusion, Event, EventType, Status, now_ms
from runner.process.group import sweep_marked

if TYPE_CHECKING:
    from runner.events.store import EventStore

log = logging.getLogger("stax.engine")


async def close_unfinished_runs(store: EventStore, *, reason: str) -> list[str]:
    """Emit completion events for every run not completed; return their ids.

    A damaged store (runner.events.store.health) leaves the runs it cannot read as they are: the daemon
    still starts, degraded, and serves what reads."""
    closed: list[str] = []
    try:
        await _close_unfinished_runs(store, reason, closed)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        log.error("runs left unfinished could not all be closed: %s", exc)
    return closed


async def _close_unfinished_runs(store: EventStore, reason: str, closed: list[str]) -> None:
    for summary in await store.list_runs(limit=10_000, unfinished=True):
        run_id = str(summary["id"])
        run = await store.get_run(run_id)
        if run is None:
            continue
        # Step processes of a killed daemon carry a marker starting with this.
        await sweep_marked(f"stax-{run_id}-", grace_s=1.0)
        now = now_ms()
        snapshot = run_from_json(run)
        for job in snapshot.jobs:
            if job.status is Status.COMPLETED:
                continue
            for step in job.steps or ():
                if step.status is not Status.COMPLETED:
                    ended = replace(
                        step,
                        status=Status.COMPLETED,
                        conclusion=Conclusion.FAILURE,
                        outcome=Conclusion.FAILURE,
                        completed_at=now,
                        error=reason,
                    )
                    await store.emit(
                        Event(
                            type=EventType.STEP_COMPLETED,
                            run_id=run_id,
                            job_id=job.id,
                            step_number=step.number,
                            payload=StepPayload(step=ended),
                        )
                    )
            ended_job = replace(job, **_failed(now, reason))
            await store.emit(
                Event(
                    type=EventType.JOB_COMPLETED,
                    run_id=run_id,
                    job_id=job.id,
                    payload=JobPayload(job=ended_job),
                )
            )
        final = replace(snapshot, **_failed(now, reason))
        await store.emit(
            Event(type=EventType.RUN_COMPLETED, run_id=run_id, payload=RunPayload(run=final))
        )
        closed.append(run_id)


def _failed(now: int, reason: str) -> dict[str, Any]:
    return {
        "status": Status.COMPLETED,
        "conclusion": Conclusion.FAILURE,
        "completed_at": now,
        "error": reason,
    }
