"""An unexpected error inside a run fails that run, with an "internal error" reason, and
nothing else: it is caught at the step, the job or the run, whichever is nearest, and
reported there (runner.engine.containment). Faults are injected with the test-only hook
(runner.engine.faults)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from runner.engine import faults
from runner.events.types import EventType

if TYPE_CHECKING:
    from tests.engine.conftest import Runner

WORKFLOW = """
    on: push
    jobs:
      hit:
        runs-on: ubuntu-latest
        steps:
          - name: before
            run: echo before
          - name: the faulty step
            run: echo "a line with TRIGGER in it"
          - name: cleanup
            if: always()
            run: echo cleanup
      spared:
        runs-on: ubuntu-latest
        steps:
          - run: echo spared
"""


def arm(monkeypatch: pytest.MonkeyPatch, point: str, text: str) -> None:
    monkeypatch.setattr(faults, "ARMED", (point, text))


def event_types(result: object) -> list[tuple[str, str | None]]:
    return [(e.type.value, e.job_id) for e in result.events]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("point", "text"), [("step", "faulty"), ("log", "TRIGGER")])
async def test_a_fault_in_a_step_fails_the_step_and_the_run_goes_on(
    run_yaml: Runner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    point: str,
    text: str,
) -> None:
    arm(monkeypatch, point, text)
    with caplog.at_level(logging.ERROR, logger="stax.engine"):
        result = await run_yaml(WORKFLOW)
    assert result.conclusion == "failure"
    assert result.step_conclusions("hit") == ["success", "failure", "success"]
    faulty = result.job("hit").steps[1]
    assert faulty.error is not None
    assert faulty.error.startswith("internal error (InjectedFault: fault injected at")
    assert any(line.startswith("##[error]internal error") for line in result.logs("hit", 2))
    assert result.output("hit", 3) == ["cleanup"]
    assert result.job_conclusions()["spared"] == "success"
    # The traceback is in the engine's log.
    assert "Traceback" in caplog.text
    assert "faults.InjectedFault: fault injected at" in caplog.text


async def test_a_fault_in_scheduling_a_job_fails_that_job_only(
    run_yaml: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    arm(monkeypatch, "job", "hit")
    result = await run_yaml(WORKFLOW)
    assert result.conclusion == "failure"
    assert result.job_conclusions() == {"hit": "failure", "spared": "success"}
    assert str(result.job("hit").error).startswith("internal error (InjectedFault")
    completed = result.first(EventType.JOB_COMPLETED, "hit").data["job"]
    assert completed["conclusion"] == "failure"  # type: ignore[index]


async def test_a_fault_while_emitting_still_ends_the_run(
    run_yaml: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event of job `hit` fails to emit: its job cannot even be reported, so the run
    contains the error and ends with a run.completed that says why."""
    arm(monkeypatch, "emit", "hit")
    result = await run_yaml(WORKFLOW)
    assert result.conclusion == "failure"
    types = event_types(result)
    assert types[0] == ("run.started", None)
    assert types[-1] == ("run.completed", None)
    assert all(job != "hit" for _, job in types)
    final = result.events[-1].data["run"]
    assert final["conclusion"] == "failure"  # type: ignore[index]
    assert str(final["error"]).startswith("internal error (InjectedFault")  # type: ignore[index]


async def test_without_a_fault_armed_nothing_is_injected(run_yaml: Runner) -> None:
    assert faults.ARMED is None
    result = await run_yaml(WORKFLOW)
    assert result.conclusion == "success"


def test_a_malformed_fault_spec_arms_nothing() -> None:
    assert faults._armed("step:x") == ("step", "x")
    for spec in (None, "", "step", "step:", "nowhere:x"):
        assert faults._armed(spec) is None
