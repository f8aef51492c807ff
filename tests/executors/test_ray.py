"""The ray executor on a real two-node Ray cluster on loopback (tests/executors/conftest.py).

Placement by runs-on labels, every line back in order, cancel reaching the step's
process group on the node, a daemon gone mid-job taking the job's processes on
the node with it, and a node lost mid-job. The node-loss test stops the
`beta` node, so it runs last (pytest keeps a file's order).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trio

from runner.config import ExecutorSettings
from runner.events.types import EventType
from tests.engine.conftest import pid_alive
from tests.executors.conftest import ROOT, requires_ray

if TYPE_CHECKING:
    from runner.engine import WorkflowRun
    from tests.engine.conftest import Runner, WatchingSink

# One loopback cluster for all of them: on one xdist worker, started once.
pytestmark = [requires_ray, pytest.mark.xdist_group("ray")]


def _on_ray(cluster: Any, timeout_s: float = 60.0) -> dict[str, Any]:
    return {
        "executor": ExecutorSettings(
            kind="ray", address=cluster.address, placement_timeout_s=timeout_s
        )
    }


async def test_a_job_runs_on_the_node_that_offers_its_label(
    run_yaml: Runner, ray_cluster: Any
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          first:
            runs-on: [self-hosted, alpha]
            steps:
              - run: echo "name=$RUNNER_NAME ${{ runner.name }}"
          second:
            runs-on: BETA
            steps:
              - run: echo "name=$RUNNER_NAME"
        """,
        settings_overrides=_on_ray(ray_cluster),
        limit_s=60,
    )
    assert result.job_conclusions() == {"first": "success", "second": "success"}
    assert result.output("first") == ["name=alpha alpha"]
    assert result.output("second") == ["name=beta"]
    assert result.job("first").runner_name == "alpha"
    started = result.first(EventType.JOB_STARTED, "second")
    assert started.data["job"]["runner_name"] == "beta"  # type: ignore[index]


async def test_every_line_arrives_in_order_and_seq_stays_increasing(
    run_yaml: Runner, ray_cluster: Any
) -> None:
    lines = 30_000
    result = await run_yaml(
        f"""
        on: push
        jobs:
          many:
            runs-on: alpha
            steps:
              - run: seq 1 {lines}
              - run: echo after
        """,
        settings_overrides=_on_ray(ray_cluster),
        limit_s=60,
    )
    assert result.conclusion == "success"
    assert result.output("many", 1) == [str(n) for n in range(1, lines + 1)]
    assert result.output("many", 2) == ["after"]
    seqs = [event.seq for event in result.events]
    assert seqs == sorted(set(seqs))
    types = [e.type for e in result.events if e.job_id == "many" and e.type != EventType.STEP_LOG]
    assert types[0] is EventType.JOB_QUEUED
    assert types.index(EventType.JOB_STARTED) < types.index(EventType.STEP_STARTED)
    assert types[-1] is EventType.JOB_COMPLETED


async def test_a_job_no_node_can_take_stays_queued_then_fails_naming_its_labels(
    run_yaml: Runner, ray_cluster: Any
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          nowhere:
            runs-on: [linux, gamma]
            steps:
              - run: echo never
        """,
        settings_overrides=_on_ray(ray_cluster, timeout_s=1.0),
        limit_s=30,
    )
    job = result.job("nowhere")
    assert str(job.conclusion) == "failure"
    assert "label:gamma" in (job.error or "")
    assert not result.of_type(EventType.JOB_STARTED)  # it never left the queue
    assert result.output() == []


async def test_a_secret_is_masked_on_the_node_before_its_line_leaves(
    run_yaml: Runner, ray_cluster: Any
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          uses-one:
            runs-on: alpha
            steps:
              - run: echo "a=${{ secrets.ALPHA_KEY }}"
        """,
        settings_overrides=_on_ray(ray_cluster),
        secrets={"ALPHA_KEY": "hunter2-alpha", "OTHER_KEY": "hunter3-other"},
        limit_s=60,
    )
    assert result.output("uses-one") == ["a=***"]
    assert "hunter" not in result.all_json()


async def test_cancel_kills_the_steps_process_group_on_the_node(
    run_yaml: Runner, ray_cluster: Any
) -> None:
    seen: dict[str, int] = {}

    async def cancel_when_sleeping(run: WorkflowRun, sink: WatchingSink) -> None:
        event = await sink.wait_for(
            lambda e: (
                e.type is EventType.STEP_LOG
                and any(str(line).startswith("pid ") for line in e.data["lines"])
            )  # type: ignore[union-attr]
        )
        line = next(str(x) for x in event.data["lines"] if str(x).startswith("pid "))  # type: ignore[union-attr]
        seen["pid"] = int(line.split()[1])
        seen["child"] = int(line.split()[2])
        run.cancel("stop it")

    result = await run_yaml(
        """
        on: push
        jobs:
          sleeper:
            runs-on: beta
            steps:
              - run: |
                  sleep 300 &
                  echo "pid $$ $!"
                  wait
              - if: always()
                run: echo cleanup
        """,
        settings_overrides=_on_ray(ray_cluster),
        control=cancel_when_sleeping,
        limit_s=60,
    )
    assert result.job_conclusions() == {"sleeper": "cancelled"}
    assert result.step_conclusions("sleeper") == ["cancelled", "success"]
    assert result.output("sleeper", 2) == ["cleanup"]
    # The node killed the step's whole group before it reported the step cancelled.
    assert not pid_alive(seen["pid"])
    assert not pid_alive(seen["child"])


async def test_the_daemon_gone_mid_job_takes_the_jobs_processes_on_the_node_with_it(
    tmp_path: Path, ray_cluster: Any
) -> None:
    pid_file = tmp_path / "child.pid"
    (tmp_path / "stax.toml").write_text(
        f'[executor]\nkind = "ray"\naddress = "{ray_cluster.address}"\n'
    )
    (tmp_path / "ci.yml").write_text(
        "on: push\njobs:\n  long:\n    runs-on: alpha\n    steps:\n"
        f"      - run: sleep 300 & echo $! > {pid_file}; wait\n"
    )
    async with trio.open_nursery() as nursery:
        driver = await nursery.start(
            partial(
                trio.run_process,
                [sys.executable, "-m", "runner", "run", "--local", "ci.yml"],
                cwd=tmp_path,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        )
        with trio.fail_after(30):
            # The step has started on the node when it wrote its child's pid.
            while not pid_file.exists() or not pid_file.read_text().strip():  # noqa: ASYNC110
                await trio.sleep(0.05)
        child = int(pid_file.read_text())
        watched = os.pidfd_open(child)  # readable once the step's child has exited
        driver.kill()  # the daemon's process, SIGKILL: no cleanup of its own
    try:
        with trio.fail_after(20):
            await trio.lowlevel.wait_readable(watched)
    finally:
        os.close(watched)
    assert not pid_alive(child)


async def test_a_node_lost_mid_job_fails_that_job_and_the_run_completes(
    run_yaml: Runner, ray_cluster: Any
) -> None:
    async def lose_the_node(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for_line("line 100")
        await trio.to_thread.run_sync(ray_cluster.kill_node, "beta")

    result = await run_yaml(
        """
        on: push
        jobs:
          doomed:
            runs-on: beta
            steps:
              - run: |
                  for i in $(seq 1 100); do echo "line $i"; done
                  sleep 300
          safe:
            runs-on: alpha
            steps:
              - run: echo fine
        """,
        settings_overrides=_on_ray(ray_cluster),
        control=lose_the_node,
        limit_s=60,
    )
    doomed = result.job("doomed")
    assert str(doomed.conclusion) == "failure"
    assert re.match(r"runner lost: Ray node beta", doomed.error or "")
    assert result.output("doomed")[:100] == [f"line {n}" for n in range(1, 101)]
    assert result.step_conclusions("doomed") == ["failure"]
    assert result.job_conclusions()["safe"] == "success"
    assert result.of_type(EventType.RUN_COMPLETED)
