"""Cancelling and killing runs, and what a run leaves behind: nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from runner.events.types import EventType
from tests.engine.conftest import Runner, WatchingSink, pid_alive

if TYPE_CHECKING:
    from pathlib import Path

    from runner.engine import WorkflowRun


def _pids(workspace: Path, *names: str) -> list[int]:
    return [int((workspace / name).read_text().split()[0]) for name in names]


async def _cancel_when_ready(run: WorkflowRun, sink: WatchingSink) -> None:
    await sink.wait_for_line("ready")
    run.cancel("test cancels")


async def test_cancel_terminates_the_step_and_runs_always_cleanup(
    run_yaml: Runner, workspace: Path
) -> None:
    result = await run_yaml(
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  trap 'echo "got TERM"; exit 143' TERM
                  echo $$ > leader.pid
                  echo ready
                  while true; do sleep 0.05; done
              - run: echo skipped
              - if: always()
                run: echo "cleanup sees ${{ job.status }}"
              - if: cancelled()
                run: echo "cancelled() holds"
              - if: failure()
                run: echo never
          later:
            needs: j
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          later_always:
            needs: j
            if: always()
            runs-on: ubuntu-latest
            steps: [{run: 'echo "after cancel: ${{ needs.j.result }}"'}]
        """,
        control=_cancel_when_ready,
        limit_s=15,
    )
    assert result.conclusion == "cancelled"
    assert "got TERM" in result.output("j", 1)
    assert result.step_conclusions("j") == ["cancelled", "skipped", "success", "success", "skipped"]
    assert result.output("j", 3) == ["cleanup sees cancelled"]
    assert result.job("j").conclusion == "cancelled"
    assert result.job("later").conclusion in ("skipped", "cancelled")
    assert result.output("later_always", 1) == ["after cancel: cancelled"]
    assert not any(pid_alive(p) for p in _pids(workspace, "leader.pid"))
    run_event = result.first(EventType.RUN_COMPLETED).data["run"]
    assert run_event["conclusion"] == "cancelled"  # type: ignore[index]


async def test_cancel_escalates_to_sigkill_for_a_step_ignoring_sigterm(
    run_steps: Runner, workspace: Path
) -> None:
    result = await run_steps(
        """
            - run: |
                trap '' TERM
                sh -c 'trap "" TERM; echo $$ > child.pid; while true; do sleep 0.05; done' &
                echo $$ > leader.pid
                while [ ! -s child.pid ]; do sleep 0.01; done
                echo ready
                while true; do sleep 0.05; done
        """,
        control=_cancel_when_ready,
        limit_s=15,
    )
    assert result.conclusion == "cancelled"
    assert not any(pid_alive(p) for p in _pids(workspace, "leader.pid", "child.pid"))


async def test_kill_stops_everything_at_once(run_yaml: Runner, workspace: Path) -> None:
    async def kill_when_ready(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for_line("ready")
        run.kill()

    result = await run_yaml(
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  trap '' TERM
                  echo $$ > a.pid
                  while [ ! -f b.pid ]; do sleep 0.01; done
                  echo ready
                  while true; do sleep 0.05; done
              - if: always()
                run: echo cleanup
          b:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  setsid sh -c 'trap "" TERM; echo $$ > daemon.pid; while true; do sleep 0.05; done' \
                    < /dev/null > /dev/null 2>&1 &
                  while [ ! -s daemon.pid ]; do sleep 0.01; done
                  echo $$ > b.pid
                  while true; do sleep 0.05; done
        """,
        control=kill_when_ready,
        settings_overrides={"max_parallel_jobs": 2, "step_kill_grace_seconds": 30},
        limit_s=10,
    )
    assert result.conclusion == "cancelled"
    assert result.job_conclusions() == {"a": "cancelled", "b": "cancelled"}
    assert not any(pid_alive(p) for p in _pids(workspace, "a.pid", "b.pid", "daemon.pid"))
    # Every job and step is closed, and the run ends with run.completed.
    assert result.events[-1].type is EventType.RUN_COMPLETED
    started = {(e.job_id, e.step_number) for e in result.of_type(EventType.STEP_STARTED)}
    completed = {(e.job_id, e.step_number) for e in result.of_type(EventType.STEP_COMPLETED)}
    assert started <= completed


async def test_background_children_do_not_outlive_the_job(
    run_steps: Runner, workspace: Path
) -> None:
    result = await run_steps(
        """
        - name: Start a server in the background
          run: |
            sleep 300 &
            echo $! > bg.pid
            (trap '' TERM; while true; do sleep 0.05; done) > /dev/null 2>&1 &
            echo $! > stubborn.pid
        - name: It is still there for later steps
          run: kill -0 "$(cat bg.pid)" && echo alive
    """,
        limit_s=15,
    )
    assert result.conclusion == "success"
    assert result.output("j", 2) == ["alive"]
    assert not any(pid_alive(p) for p in _pids(workspace, "bg.pid", "stubborn.pid"))


async def test_a_double_forked_daemon_is_found_and_killed(
    run_steps: Runner, workspace: Path
) -> None:
    result = await run_steps(
        """
        - run: |
            python3 - <<'EOF'
            import os, time
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    for fd in (0, 1, 2):
                        os.close(fd)
                    with open("daemon.pid", "w") as f:
                        f.write(str(os.getpid()))
                    time.sleep(300)
                os._exit(0)
            os.wait()
            while not os.path.exists("daemon.pid") or not open("daemon.pid").read():
                time.sleep(0.01)
            EOF
            setsid sh -c 'echo $$ > setsid.pid; exec sleep 300' < /dev/null > /dev/null 2>&1 &
            while [ ! -s setsid.pid ]; do sleep 0.01; done
            echo started
    """,
        limit_s=15,
    )
    assert result.conclusion == "success"
    assert not any(pid_alive(p) for p in _pids(workspace, "daemon.pid", "setsid.pid"))


async def test_a_timed_out_step_takes_its_children_with_it(
    run_steps: Runner, workspace: Path
) -> None:
    result = await run_steps(
        """
        - timeout-minutes: 0.005
          run: |
            sleep 300 &
            echo $! > child.pid
            wait
        - if: always()
          run: |
            # A zombie waiting for init to reap it counts as gone.
            state=$(cut -d' ' -f3 "/proc/$(cat child.pid)/stat" 2>/dev/null || true)
            if [ -n "$state" ] && [ "$state" != Z ]; then echo alive; else echo gone; fi
    """,
        limit_s=15,
    )
    assert result.step_conclusions("j") == ["failure", "success"]
    assert result.output("j", 2) == ["gone"]


async def test_a_step_whose_child_keeps_the_pipe_open_still_ends(run_steps: Runner) -> None:
    # The leader exits at once; its child holds stdout open for 300 s.
    with trio.fail_after(10):
        result = await run_steps("""
            - run: |
                sleep 300 &
                echo leader done
            - run: echo next
        """)
    assert result.conclusion == "success"
    assert result.output("j", 1) == ["leader done"]
    assert result.output("j", 2) == ["next"]


async def test_cancel_before_a_job_starts_cancels_it(run_steps: Runner) -> None:
    async def cancel_at_once(run: WorkflowRun, sink: WatchingSink) -> None:
        await sink.wait_for(lambda e: e.type is EventType.RUN_STARTED)
        run.cancel()

    result = await run_steps("- run: echo hi", control=cancel_at_once)
    assert result.conclusion == "cancelled"
