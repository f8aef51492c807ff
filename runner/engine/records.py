"""The live state of a run, its jobs and their steps, and their JSON snapshots.

The snapshots are what events carry (seed 003's `run`, `job` and `step`
objects, with more fields than the seed's sample shows); the store keeps
the latest of each so `GET /api/runs/{id}` needs no replay. `as_snapshot()`
gives the typed record events carry, `snapshot()` its JSON form, by the one
codec (runner.events.payload_json; the HTTP routes answer with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runner.events.payload_json import job_to_json, run_to_json, step_to_json
from runner.events.payloads import JobSnapshot, RunSnapshot, StepSnapshot
from runner.events.types import Conclusion, Status, now_ms

if TYPE_CHECKING:
    from runner.expressions import JSONValue


@dataclass(slots=True, kw_only=True)
class StepRecord:
    number: int  # 1-based within the job
    name: str
    id: str | None = None
    status: Status = Status.QUEUED
    conclusion: Conclusion | None = None
    outcome: Conclusion | None = None
    started_at: int | None = None
    completed_at: int | None = None
    error: str | None = None

    def as_snapshot(self) -> StepSnapshot:
        """The step as events carry it (its JSON form is `snapshot()`)."""
        return StepSnapshot(
            number=self.number,
            name=self.name,
            status=self.status,
            conclusion=self.conclusion,
            id=self.id,
            outcome=self.outcome,
            started_at=self.started_at,
            completed_at=self.completed_at,
            duration_ms=_duration(self.started_at, self.completed_at),
            error=self.error or None,
        )

    def snapshot(self) -> dict[str, JSONValue]:
        return step_to_json(self.as_snapshot())


@dataclass(slots=True, kw_only=True)
class JobRecord:
    id: str  # unique in the run: the job key, `key.N` for matrix instances, `caller.key` in a called workflow
    key: str  # the key under `jobs:`
    name: str
    needs: tuple[str, ...] = ()
    matrix: dict[str, JSONValue] | None = None
    status: Status = Status.QUEUED
    conclusion: Conclusion | None = None
    steps: list[StepRecord] = field(default_factory=list)
    outputs: dict[str, JSONValue] = field(default_factory=dict)
    runs_on: JSONValue = None
    environment: str | None = None
    started_at: int | None = None
    completed_at: int | None = None
    error: str | None = None
    summary: str = ""
    runner_name: str | None = None  # the machine that ran it, when not this one (a Ray node)

    def as_snapshot(self, *, steps: bool = True) -> JobSnapshot:
        """The job as events carry it (its JSON form is `snapshot()`)."""
        completed = self.status is Status.COMPLETED
        return JobSnapshot(
            id=self.id,
            key=self.key,
            name=self.name,
            status=self.status,
            conclusion=self.conclusion,
            needs=self.needs,
            steps=tuple(s.as_snapshot() for s in self.steps) if steps else None,
            matrix=self.matrix,
            runs_on=self.runs_on,
            environment=self.environment,
            started_at=self.started_at,
            completed_at=self.completed_at,
            duration_ms=_duration(self.started_at, self.completed_at),
            outputs=self.outputs if completed else None,
            summary=self.summary if completed and self.summary else None,
            error=self.error or None,
            runner_name=self.runner_name,
        )

    def snapshot(self, *, steps: bool = True) -> dict[str, JSONValue]:
        return job_to_json(self.as_snapshot(steps=steps))


@dataclass(slots=True, kw_only=True)
class RunRecord:
    id: str
    name: str  # the workflow's name (or run-name)
    workflow: str  # the workflow file, relative to the workspace when inside it
    event: str
    run_number: int
    workdir: str
    status: Status = Status.QUEUED
    conclusion: Conclusion | None = None
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    graph: list[JSONValue] = field(default_factory=list)  # the planned `needs` DAG
    inputs: dict[str, JSONValue] = field(default_factory=dict)
    created_at: int = field(default_factory=now_ms)
    started_at: int | None = None
    completed_at: int | None = None
    error: str | None = None

    def as_snapshot(self, *, jobs: bool = True) -> RunSnapshot:
        """The run as events carry it (its JSON form is `snapshot()`)."""
        return RunSnapshot(
            id=self.id,
            name=self.name,
            workflow=self.workflow,
            event=self.event,
            run_number=self.run_number,
            workdir=self.workdir,
            status=self.status,
            conclusion=self.conclusion,
            jobs=tuple(j.as_snapshot(steps=False) for j in self.jobs.values()) if jobs else (),
            graph=self.graph,
            inputs=self.inputs,
            created_at=self.created_at,
            started_at=self.started_at,
            completed_at=self.completed_at,
            duration_ms=_duration(self.started_at, self.completed_at),
            error=self.error or None,
        )

    def snapshot(self, *, jobs: bool = True) -> dict[str, JSONValue]:
        return run_to_json(self.as_snapshot(jobs=jobs))


def _duration(started_at: int | None, completed_at: int | None) -> int | None:
    if started_at is None or completed_at is None:
        return None
    return completed_at - started_at
