"""The store: snapshots without replay, step logs, retention, run numbers, the data dir lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import trio

from runner.config import load_settings
from runner.engine import RunRequest, WorkflowRun
from runner.errors import ConfigError
from runner.events import EventStore
from runner.model import parse_workflow

if TYPE_CHECKING:
    from pathlib import Path

WORKFLOW = """
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo one; echo two
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo three
"""


async def run_into(store: EventStore, tmp_path: Path) -> str:
    path = tmp_path / "wf.yml"
    path.write_text(WORKFLOW)
    run = WorkflowRun(
        RunRequest(workflow=parse_workflow(WORKFLOW, str(path)), workdir=tmp_path),
        load_settings(start=tmp_path),
        store,
    )
    record = run.prepare()
    record.run_number = await store.next_run_number(record.workflow)
    await run.run()
    return run.run_id


async def test_snapshots_logs_and_numbers(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "data")
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        first = await run_into(store, tmp_path)
        second = await run_into(store, tmp_path)
        store.close_writer()
    run = await store.get_run(second)
    assert run is not None
    assert run["status"] == "completed"
    assert run["conclusion"] == "success"
    assert run["run_number"] == 2
    assert [j["id"] for j in run["jobs"]] == ["a", "b"]  # type: ignore[index]
    assert [s["conclusion"] for s in run["jobs"][0]["steps"]] == ["success"]  # type: ignore[index]
    log = await store.step_log(first, "a", 1)
    assert log is not None
    assert log[-2:] == ["one", "two"]
    assert await store.step_log(first, "a", 7) is None
    runs = await store.list_runs()
    assert [r["id"] for r in runs] == [second, first]
    assert await store.list_runs(status="failure") == []
    store.close()


async def test_retention_prunes_old_runs_but_never_reuses_seq(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "data", retention_runs=2)
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        ids = [await run_into(store, tmp_path) for _ in range(3)]
        store.close_writer()
    kept = [r["id"] for r in await store.list_runs()]
    assert kept == [ids[2], ids[1]]
    assert await store.get_run(ids[0]) is None
    assert [e for e in await store.read_after(0, limit=100_000) if e.run_id == ids[0]] == []
    last = store.last_seq
    store.close()
    reopened = EventStore(tmp_path / "data", retention_runs=2)
    reopened.open()
    assert reopened.last_seq == last
    reopened.close()


def test_one_writer_per_data_dir_and_readers_beside_it(tmp_path: Path) -> None:
    writer = EventStore(tmp_path / "data")
    writer.open()
    with pytest.raises(ConfigError, match="is in use by stax pid"):
        EventStore(tmp_path / "data").open()
    reader = EventStore(tmp_path / "data")
    reader.open_readonly()  # no lock needed to read
    assert reader.last_seq == 0
    reader.close()
    writer.close()
    with pytest.raises(ConfigError, match="no runs recorded yet"):
        EventStore(tmp_path / "empty").open_readonly()
