"""The live state of a run, its jobs and their steps, and their JSON snapshots.

The snapshots are what events carry (seed 003's `run`, `job` and `step`
objects, with more fields than the seed's sample shows); the store keeps
the latest of each so `GET /api/runs/{id}` needs no replay. `as_snapshot()`
gives the typed record events carry, `snapshot()` its JSON form (the HTTP
routes answer with it); tests/events/test_payloads.py pins that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
        out: dict[str, JSONValue] = {
            "number": self.number,
            "name": self.name,
            "status": self.status.value,
            "conclusion": self.conclusion.value if self.conclusion else None,
        }
        if self.id is not None:
            out["id"] = self.id
        if self.outcome is not None:
            out["outcome"] = self.outcome.value
        if self.started_at is not None:
            out["started_at"] = self.started_at
        if self.completed_at is not None:
            out["completed_at"] = self.completed_at
            if self.started_at is not None:
                out["duration_ms"] = self.completed_at - self.started_at
        if self.error:
            out["error"] = self.error
        return out


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
        out: dict[str, JSONValue] = {
            "id": self.id,
            "key": self.key,
            "name": self.name,
            "status": self.status.value,
            "conclusion": self.conclusion.value if self.conclusion else None,
            "needs": list(self.needs),
        }
        if steps:
            out["steps"] = [s.snapshot() for s in self.steps]
        if self.matrix is not None:
            out["matrix"] = self.matrix
        if self.runs_on is not None:
            out["runs_on"] = self.runs_on
        if self.environment is not None:
            out["environment"] = self.environment
        if self.started_at is not None:
            out["started_at"] = self.started_at
        if self.completed_at is not None:
            out["completed_at"] = self.completed_at
            if self.started_at is not None:
                out["duration_ms"] = self.completed_at - self.started_at
        if self.status is Status.COMPLETED:
            out["outputs"] = self.outputs
            if self.summary:
                out["summary"] = self.summary
        if self.error:
            out["error"] = self.error
        if self.runner_name is not None:
            out["runner_name"] = self.runner_name
        return out


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
        out: dict[str, JSONValue] = {
            "id": self.id,
            "name": self.name,
            "workflow": self.workflow,
            "event": self.event,
            "run_number": self.run_number,
            "workdir": self.workdir,
            "status": self.status.value,
            "conclusion": self.conclusion.value if self.conclusion else None,
            "jobs": [j.snapshot(steps=False) for j in self.jobs.values()] if jobs else [],
            "graph": self.graph,
            "inputs": self.inputs,
            "created_at": self.created_at,
        }
        if self.started_at is not None:
            out["started_at"] = self.started_at
        if self.completed_at is not None:
            out["completed_at"] = self.completed_at
            if self.started_at is not None:
                out["duration_ms"] = self.completed_at - self.started_at
        if self.error:
            out["error"] = self.error
        return out


def _duration(started_at: int | None, completed_at: int | None) -> int | None:
    if started_at is None or completed_at is None:
        return None
    return completed_at - started_at
