"""Where and when a job may run: runs-on labels, concurrency groups, environment approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from runner.config import EnvironmentSettings
from runner.engine.concurrency import ConcurrencyGroups
from runner.events.types import EventType

if TYPE_CHECKING:
    from runner.engine import WorkflowRun
    from tests.engine.conftest import Runner, RunResult, WatchingSink

# -- runs-on -------------------------------------------------------------------


async def test_foreign_runner_labels_are_skipped_with_a_notice(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          mac:
            runs-on: macos-latest
            steps: [{run: echo never}]
          win:
            runs-on: [self-hosted, windows-2022]
            steps: [{run: echo never}]
          linux:
            runs-on: ubuntu-22.04
            steps: [{run: echo here}]
          grouped:
            runs-on: {group: big, labels: [linux]}
            steps: [{run: echo grouped}]
          custom:
            runs-on: my-own-label
            steps: [{run: echo custom}]
    """)
    assert result.conclusion == "success"
    assert result.job_conclusions() == {
        "mac": "skipped",
        "win": "skipped",
        "linux": "success",
        "grouped": "success",
        "custom": "success",
    }
    assert "macos-latest cannot run on this machine" in (result.job("mac").error or "")
    assert "windows-2022" in (result.job("win").error or "")
    assert "stax.toml" in (result.job("mac").error or "")


async def test_stax_toml_labels_map_runners(run_yaml: Runner) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          mac:
            runs-on: macos-14
            steps: [{run: echo "mapped to this host"}]
          gpu:
            runs-on: gpu-box
            steps: [{run: echo never}]
        """,
        settings_overrides={"labels": {"macos-14": "host", "GPU-box": "skip"}},
    )
    assert result.job_conclusions() == {"mac": "success", "gpu": "skipped"}
    assert result.output("mac", 1) == ["mapped to this host"]


async def test_runs_on_from_the_matrix(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          t:
            runs-on: ${{ matrix.os }}
            strategy: {matrix: {os: [ubuntu-latest, windows-latest]}}
            steps: [{run: echo ok}]
    """)
    assert result.job_conclusions() == {"t.1": "success", "t.2": "skipped"}
    assert result.job("t.2").runs_on == "windows-latest"


# -- concurrency ---------------------------------------------------------------


async def test_jobs_in_one_concurrency_group_run_one_at_a_time(run_yaml: Runner) -> None:
    # Both jobs are eligible at once; the group makes the second wait.
    result = await run_yaml(
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            concurrency: deploy
            steps: [{run: echo a}]
          b:
            runs-on: ubuntu-latest
            concurrency: {group: deploy}
            steps: [{run: echo b}]
        """,
        settings_overrides={"max_parallel_jobs": 4},
    )
    assert result.conclusion == "success"
    events = [
        (e.type, e.job_id) for e in result.of_type(EventType.STEP_STARTED, EventType.JOB_COMPLETED)
    ]
    first = events[0][1]
    second = "b" if first == "a" else "a"
    assert events.index((EventType.JOB_COMPLETED, first)) < events.index(
        (EventType.STEP_STARTED, second)
    )
    summaries = [
        e.data["summary"] for e in result.of_type(EventType.JOB_STATUS) if e.job_id == second
    ]
    assert "waiting for concurrency group 'deploy'" in summaries


async def test_run_concurrency_cancel_in_progress_across_runs(run_yaml: Runner) -> None:
    groups = ConcurrencyGroups()
    text = """
        on: push
        concurrency:
          group: ci-${{ github.ref }}
          cancel-in-progress: true
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: echo started; sleep 30
              - if: always()
                run: echo "cleanup ${{ job.status }}"
    """
    results: dict[str, RunResult] = {}
    first_started = trio.Event()

    async def mark_started(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for_line("started")
        first_started.set()

    async def first() -> None:
        results["first"] = await run_yaml(text, concurrency=groups, control=mark_started)

    async def second() -> None:
        results["second"] = await run_yaml(
            text.replace("sleep 30", "true"),
            concurrency=groups,
            path=".github/workflows/second.yml",
        )

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(first)
            await first_started.wait()
            nursery.start_soon(second)
    assert results["first"].conclusion == "cancelled"
    assert results["first"].output("j", 2) == ["cleanup cancelled"]
    assert results["second"].conclusion == "success"


async def test_a_pending_run_is_replaced_by_a_newer_one() -> None:
    groups = ConcurrencyGroups()
    cancelled: list[str] = []
    running = await groups.acquire("g", cancel_in_progress=False, cancel=cancelled.append)
    assert running is not None
    outcome: dict[str, object] = {}

    async def wait(name: str) -> None:
        outcome[name] = await groups.acquire(
            "g", cancel_in_progress=False, cancel=lambda reason: cancelled.append(name)
        )

    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait, "pending")
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(wait, "newer")
        await trio.testing.wait_all_tasks_blocked()
        assert outcome == {"pending": None}
        assert cancelled == ["pending"]
        groups.release(running)
    newer = outcome["newer"]
    assert newer is not None
    groups.release(newer)  # type: ignore[arg-type]
    assert not groups.is_busy("g")


# -- environments and approvals --------------------------------------------------


class _Approver:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    async def wait_for_approval(
        self, run_id: str, job_id: str, environment: str
    ) -> tuple[bool, str]:
        self.asked.append((job_id, environment))
        return self.answer, "tester"


_DEPLOY = """
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps: [{run: echo built}]
      deploy:
        needs: build
        runs-on: ubuntu-latest
        environment: production
        steps: [{run: echo deployed}]
      docs:
        runs-on: ubuntu-latest
        environment: {name: docs, url: "https://example.com"}
        steps: [{run: echo docs}]
"""
_PROTECTED = {"environments": {"production": EnvironmentSettings(approval=True)}}


async def test_an_approved_environment_runs_after_blocking(run_yaml: Runner) -> None:
    approver = _Approver(True)
    result = await run_yaml(_DEPLOY, settings_overrides=_PROTECTED, approvals=approver)
    assert result.conclusion == "success"
    assert approver.asked == [("deploy", "production")]
    blocked = result.first(EventType.JOB_BLOCKED, "deploy")
    assert blocked.data["environment"] == "production"
    unblocked = result.first(EventType.JOB_UNBLOCKED, "deploy")
    assert unblocked.data == {"approved": True, "by": "tester"}
    assert blocked.seq < unblocked.seq < result.seq(EventType.STEP_STARTED, "deploy")
    assert result.job("deploy").environment == "production"
    assert not [e for e in result.of_type(EventType.JOB_BLOCKED) if e.job_id == "docs"]


async def test_a_rejected_environment_fails_the_job_without_running_it(
    run_yaml: Runner,
) -> None:
    result = await run_yaml(_DEPLOY, settings_overrides=_PROTECTED, approvals=_Approver(False))
    assert result.conclusion == "failure"
    assert result.job("deploy").conclusion == "failure"
    assert result.job("deploy").steps == []
    assert "rejected" in (result.job("deploy").error or "")


async def test_approve_all_pre_approves(run_yaml: Runner) -> None:
    result = await run_yaml(_DEPLOY, settings_overrides=_PROTECTED, approve_all=True)
    assert result.conclusion == "success"
    assert result.first(EventType.JOB_UNBLOCKED, "deploy").data["by"] == "--approve"


async def test_without_an_approver_a_protected_job_fails_clearly(run_yaml: Runner) -> None:
    result = await run_yaml(_DEPLOY, settings_overrides=_PROTECTED)
    assert result.job("deploy").conclusion == "failure"
    assert "no approver" in (result.job("deploy").error or "")


async def test_cancelling_while_waiting_for_approval_cancels_the_job(run_yaml: Runner) -> None:
    class _Never:
        async def wait_for_approval(
            self, run_id: str, job_id: str, environment: str
        ) -> tuple[bool, str]:
            await trio.sleep_forever()
            raise AssertionError

    async def control(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for(lambda e: e.type is EventType.JOB_BLOCKED)
        run.cancel("user gave up")

    result = await run_yaml(
        _DEPLOY, settings_overrides=_PROTECTED, approvals=_Never(), control=control
    )
    assert result.conclusion == "cancelled"
    assert result.job("deploy").conclusion == "cancelled"
    assert result.job("deploy").steps == []
    assert result.first(EventType.JOB_UNBLOCKED, "deploy").data["approved"] is False


def _two_targets(*, docs_run: str) -> str:
    """A matrix whose first instance (ship.1) deploys to the protected environment and
    whose second (ship.2) runs `docs_run`; instances take places in declaration order."""
    return """
        on: push
        jobs:
          ship:
            strategy:
              matrix:
                target: [production, docs]
            runs-on: ubuntu-latest
            environment: ${{ matrix.target == 'production' && 'production' || '' }}
            steps:
              - run: ${{ matrix.target == 'docs' && 'DOCS_RUN' || 'echo shipped' }}
    """.replace("DOCS_RUN", docs_run)


async def test_a_job_waiting_for_approval_leaves_its_runner_place_to_others(
    run_yaml: Runner,
) -> None:
    """One place for jobs. The first matrix instance (they take places in declaration
    order) waits for an approval that comes only once the second has run: the second
    must get the place the first holds while it waits (as on GitHub, where waiting takes
    no runner). Approved, the first takes a place again and runs."""

    class _AfterTheOther:
        def __init__(self) -> None:
            self.go = trio.Event()

        async def wait_for_approval(
            self, run_id: str, job_id: str, environment: str
        ) -> tuple[bool, str]:
            await self.go.wait()
            return True, "tester"

    approver = _AfterTheOther()

    async def control(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for(lambda e: e.type is EventType.JOB_COMPLETED and e.job_id == "ship.2")
        approver.go.set()

    result = await run_yaml(
        _two_targets(docs_run="echo docs"),
        settings_overrides={**_PROTECTED, "max_parallel_jobs": 1},
        approvals=approver,
        control=control,
        limit_s=10,
    )
    assert result.job_conclusions() == {"ship.1": "success", "ship.2": "success"}
    assert (
        result.seq(EventType.JOB_BLOCKED, "ship.1")
        < result.seq(EventType.JOB_STARTED, "ship.2")
        < result.seq(EventType.JOB_COMPLETED, "ship.2")
        < result.seq(EventType.JOB_UNBLOCKED, "ship.1")
        < result.seq(EventType.STEP_STARTED, "ship.1")
    )


async def test_a_cancel_while_an_approved_job_queues_for_a_place_ends_it_cleanly(
    run_yaml: Runner,
) -> None:
    """Approved while the only place is taken, the job queues for it; cancelling the run
    then ends it cancelled, without a step, and nothing is released twice."""

    async def control(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for(lambda e: e.type is EventType.JOB_UNBLOCKED and e.job_id == "ship.1")
        run.cancel("user gave up")

    result = await run_yaml(
        _two_targets(docs_run="sleep 30"),
        settings_overrides={**_PROTECTED, "max_parallel_jobs": 1},
        approvals=_Approver(True),
        control=control,
        limit_s=10,
    )
    assert result.conclusion == "cancelled"
    assert result.job("ship.1").conclusion == "cancelled"
    assert result.job("ship.1").steps == []


async def test_a_bad_concurrency_expression_fails_the_job_not_the_engine(
    run_yaml: Runner,
) -> None:
    result = await run_yaml("""
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            concurrency: ${{ fromJSON('{') }}
            steps: [{run: echo never}]
          other:
            runs-on: ubuntu-latest
            steps: [{run: echo fine}]
    """)
    assert result.job_conclusions() == {"j": "failure", "other": "success"}
    assert "fromJSON" in (result.job("j").error or "")
    assert result.job("j").steps == []


async def test_a_bad_run_concurrency_expression_fails_the_run_cleanly(run_yaml: Runner) -> None:
    result = await run_yaml("""
        on: push
        concurrency: ${{ fromJSON('{') }}
        jobs:
          j: {runs-on: ubuntu-latest, steps: [{run: echo never}]}
    """)
    assert result.conclusion == "failure"
    assert "concurrency" in (result.record.error or "")
    assert result.events[-1].type is EventType.RUN_COMPLETED
