"""The daemon's runs in the engine process (runner.daemon.engine_host), beside its HTTP server."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

import httpx
import pytest
import trio

from runner.daemon.engine_process import EngineGone, EngineProcess, _slices
from runner.daemon.serve import DaemonAddress, serve
from runner.errors import ConfigError
from runner.events.types import weight
from tests.api.conftest import daemon_settings
from tests.api.runner_events.test_stream import collect, start_run
from tests.api.runs.test_routes import wait_for_run
from tests.events.test_bus import chunk, status
from tests.real_daemon import alive

if TYPE_CHECKING:
    from pathlib import Path

    from runner.config import Settings
    from tests.api.conftest import Daemon


def engine_of(daemon: Daemon) -> EngineProcess:
    engine = daemon.services.manager
    assert isinstance(engine, EngineProcess)
    assert engine.pid is not None
    return engine


async def serve_in(
    nursery: trio.Nursery, settings: Settings
) -> tuple[DaemonAddress, EngineProcess]:
    """A daemon the test ends itself (the fixture's would be stopped gracefully)."""
    address: DaemonAddress = await nursery.start(
        lambda task_status: serve(settings, task_status=task_status)
    )
    assert address.services is not None
    engine = address.services.manager
    assert isinstance(engine, EngineProcess)
    return address, engine


async def test_steps_run_under_the_engine_and_its_commits_reach_every_stream(
    daemon: Daemon,
) -> None:
    engine = engine_of(daemon)
    assert engine.pid != os.getpid()
    daemon.write_workflow(
        "parent.yml",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo "parent $PPID"
              - run: grep SigIgn /proc/self/status
    """,
    )
    async with daemon.client() as client:
        run_id = await start_run(client, daemon, "parent")
        frames = await collect(client, {"runId": run_id, "lastEventId": "0"})
        run = await wait_for_run(client, run_id)
        health = (await client.get("/api/health")).json()
    assert run["conclusion"] == "success"
    lines = [data["line"] for event, _, data in frames if event == "step.log"]
    assert f"parent {engine.pid}\n" in lines
    # Steps get signals as a terminal would give them: none ignored (SIGINT is bit 2).
    ignored = next(int(line.split()[1], 16) for line in lines if line.startswith("SigIgn"))
    assert not ignored & (1 << (signal.SIGINT - 1)), hex(ignored)
    ids = [int(frame_id.split(".")[0]) for _, frame_id, _ in frames if frame_id]
    assert ids == sorted(ids)
    # What the engine committed, as the engine reports it.
    assert health["last_seq"] == daemon.services.store.last_seq >= ids[-1]
    assert health["store_error"] is None


async def test_a_second_daemon_on_the_same_data_dir_is_refused(
    daemon: Daemon, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    settings = daemon_settings(other, data_dir=daemon.settings.data_dir)
    with pytest.RaisesGroup(
        pytest.RaisesExc(ConfigError, match="is in use by stax pid"), flatten_subgroups=True
    ):
        await serve(settings)


async def test_the_daemon_stops_when_its_engine_dies(tmp_path: Path) -> None:
    settings = daemon_settings(tmp_path)
    with (
        trio.fail_after(15),
        pytest.RaisesGroup(pytest.RaisesExc(EngineGone, match="exited"), flatten_subgroups=True),
    ):
        async with trio.open_nursery() as nursery:
            _, engine = await serve_in(nursery, settings)
            assert engine.pid is not None
            os.kill(engine.pid, signal.SIGKILL)  # ours: started by this daemon


def test_a_page_read_from_the_store_is_published_in_slices() -> None:
    page = [status(), chunk(300), chunk(300), chunk(5000), chunk(100), status()]
    slices = list(_slices(page, max_weight=1000))
    assert [[weight((e,)) for e in s] for s in slices] == [[1, 300, 300], [5000], [100, 1]]
    assert [e for s in slices for e in s] == page


async def test_a_daemon_going_down_unasked_has_its_engine_end_the_runs(tmp_path: Path) -> None:
    settings = daemon_settings(tmp_path)
    (tmp_path / "workflows").mkdir(exist_ok=True)
    (tmp_path / "workflows" / "slow.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo $$ > step.pid; sleep 60\n"
    )
    step_pid = tmp_path / "step.pid"
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            address, engine = await serve_in(nursery, settings)
            async with httpx.AsyncClient(base_url=address.url) as client:
                started = await client.post(
                    "/api/runs", json={"workflow": "slow"}, headers={"x-api-key": address.token}
                )
                assert started.status_code == 201
            while not step_pid.exists() or not step_pid.read_text().strip():  # noqa: ASYNC110 (a file)
                await trio.sleep(0.02)
            nursery.cancel_scope.cancel()  # no shutdown: the daemon just goes
        # Told by its closed socket, the engine ended the run's steps and exited by itself
        # (not killed after the wait).
        assert engine.returncode == 0
        pid = int(step_pid.read_text())
        while alive(pid):  # noqa: ASYNC110 (another process)
            await trio.sleep(0.02)
