"""The store: snapshots without replay, step logs, retention, run numbers, the data dir lock."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest
import trio
import trio.testing

from runner.config import load_settings
from runner.engine import RunRequest, WorkflowRun
from runner.errors import ConfigError
from runner.events.store import EventStore, run_files_dir
from runner.events.types import Event, EventType
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
    last, log = await store.read_step_log(
        first, "a", 1, after=0, until=store.last_seq, max_bytes=1 << 20
    )
    assert log.endswith(b"one\ntwo\n")
    assert await store.read_step_log(
        first, "a", 1, after=last, until=store.last_seq, max_bytes=1
    ) == (last, b"")
    assert await store.has_step(first, "a", 1)
    assert not await store.has_step(first, "a", 7)
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


async def test_retention_removes_what_a_pruned_run_kept_beside_its_events(tmp_path: Path) -> None:
    """A run's artifacts (its files dir) go when retention prunes the run."""
    store = EventStore(tmp_path / "data", retention_runs=1)
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        first = await run_into(store, tmp_path)
        kept = run_files_dir(tmp_path / "data", first) / "artifacts" / "1"
        kept.mkdir(parents=True)
        (kept / "blob").write_bytes(b"zip")
        second = await run_into(store, tmp_path)
        store.close_writer()
    assert not run_files_dir(tmp_path / "data", first).exists()
    assert await store.get_run(second) is not None
    store.close()


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


def log_chunk(run_id: str, seq_hint: int, lines: list[str]) -> Event:
    return Event(
        type=EventType.STEP_LOG,
        run_id=run_id,
        job_id="j",
        step_number=1,
        data={"stream": "stdout", "lines": lines},
        ts=seq_hint,
    )


CHUNKS = [
    ["plain", "", "tab\there", "cr\rinside", "ünïcödé ✓", "nul\0byte", "lone \udc80 surrogate"],
    [""],  # one empty line
    [],  # no lines at all
    ["a line\nholding a newline", "kept as it was"],  # breaks the splitter's rule: stays JSON
]


async def test_log_chunks_read_back_exactly_as_written(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "data")
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for i, lines in enumerate(CHUNKS):
            await store.emit(log_chunk("r1", i, lines))
        store.close_writer()
    events = await store.read_after(0)
    assert [e.data for e in events] == [{"stream": "stdout", "lines": lines} for lines in CHUNKS]
    assert [list(e.data) for e in events] == [["stream", "lines"]] * len(CHUNKS)  # key order
    store.close()


async def test_a_store_from_schema_1_opens_and_keeps_its_events(tmp_path: Path) -> None:
    """Schema 1 kept a chunk's lines in the JSON data; such a store still reads back, and
    takes new events beside the old ones."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    old = sqlite3.connect(data_dir / "stax.db")
    old.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL,
            run_id TEXT NOT NULL, job_id TEXT, step_number INTEGER, data TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1'), ('last_seq', '1');
        INSERT INTO events VALUES
            (1, 0, 'step.log', 'r0', 'j', 1, '{"stream":"stderr","lines":["old","lines"]}');
        """
    )
    old.commit()
    old.close()
    reader = EventStore(data_dir)  # `stax log` before anything wrote the store again
    reader.open_readonly()
    assert [(e.seq, e.data) for e in await reader.read_after(0)] == [
        (1, {"stream": "stderr", "lines": ["old", "lines"]})
    ]
    store = EventStore(data_dir)
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        await store.emit(log_chunk("r1", 1, ["new", "lines"]))
        store.close_writer()
    events = await store.read_after(0)
    assert [(e.seq, e.data) for e in events] == [
        (1, {"stream": "stderr", "lines": ["old", "lines"]}),
        (2, {"stream": "stdout", "lines": ["new", "lines"]}),
    ]
    # A follower opened before the upgrade (`stax log -f`) reads the new rows whole.
    assert [e.data for e in await reader.read_after(1)] == [
        {"stream": "stdout", "lines": ["new", "lines"]}
    ]
    reader.close()
    store.close()
    with sqlite3.connect(data_dir / "stax.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)


async def test_the_writer_queue_is_bounded_by_lines_and_loses_nothing(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """The engine waits once the queue holds `queue_lines` lines (backpressure, and what
    bounds memory when the writer lags); an emit cancelled while waiting queued nothing;
    a chunk heavier than the bound waits only for a half-empty queue."""
    store = EventStore(tmp_path / "data", queue_lines=1000)
    store.open()
    await store.emit(log_chunk("r1", 0, ["a"] * 400))
    await store.emit(log_chunk("r1", 1, ["b"] * 400))
    with trio.move_on_after(10) as waited:
        await store.emit(log_chunk("r1", 2, ["never queued"] * 300))  # 1,100 > 1,000
    assert waited.cancelled_caught
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        await store.emit(log_chunk("r1", 3, ["c"] * 300))  # room once the writer took some
        await store.emit(log_chunk("r1", 4, ["d"] * 5000))  # heavier than the whole bound
        store.close_writer()
    events = await store.read_after(0)
    assert [len(e.data["lines"]) for e in events] == [400, 400, 300, 5000]  # type: ignore[arg-type]
    store.close()


async def test_events_that_weigh_nothing_still_count_against_the_bounded_queue(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    """Every event counts at least one toward `queue_lines`, so the queue's channel (bounded
    at `queue_lines` items) is never what an emitter runs into: empty chunks wait for the
    writer like any other event, and every one of them is committed."""
    store = EventStore(tmp_path / "data", queue_lines=4)
    store.open()
    for i in range(4):
        await store.emit(log_chunk("r1", i, []))
    with trio.move_on_after(10) as waited:
        await store.emit(log_chunk("r1", 4, []))
    assert waited.cancelled_caught
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for i in range(5, 20):
            await store.emit(log_chunk("r1", i, []))
        store.close_writer()
    assert len(await store.read_after(0)) == 19
    store.close()


async def test_closing_the_writer_ends_emitters_waiting_for_room(
    tmp_path: Path, autojump_clock: trio.testing.MockClock
) -> None:
    store = EventStore(tmp_path / "data", queue_lines=100)
    store.open()
    await store.emit(log_chunk("r1", 0, ["x"] * 40))
    await store.emit(log_chunk("r1", 1, ["x"] * 40))
    refused: list[str] = []

    async def waiting_emitter() -> None:
        try:
            await store.emit(log_chunk("r1", 2, ["y"] * 40))  # 120 > 100: waits
        except trio.ClosedResourceError as exc:
            refused.append(str(exc))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiting_emitter)
        await trio.testing.wait_all_tasks_blocked()  # it is parked: no writer runs
        assert refused == []
        store.close_writer()
    assert refused == ["the event store is closed for writing"]
    with pytest.raises(trio.ClosedResourceError):
        await store.emit(log_chunk("r1", 2, ["z"]))
    store.close()


def test_a_store_from_a_newer_stax_is_refused_not_misread(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = EventStore(data_dir)
    first.open()  # schema 2 now; then a newer stax moved it on
    first.close()
    with sqlite3.connect(data_dir / "stax.db") as conn:
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    conn.close()
    for opener in ("open", "open_readonly"):
        store = EventStore(data_dir)
        with pytest.raises(ConfigError, match="written by a newer stax"):
            getattr(store, opener)()
        store.close()
    with sqlite3.connect(data_dir / "stax.db") as conn:  # and left as it was
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("3",)
    conn.close()


def run_event(run_id: str, kind: EventType, created_at: int) -> Event:
    status = "completed" if kind is EventType.RUN_COMPLETED else "in_progress"
    run = {"id": run_id, "workflow": "wf", "status": status, "created_at": created_at}
    return Event(type=kind, run_id=run_id, data={"run": run}, ts=created_at)  # type: ignore[dict-item]


async def test_retention_keeps_the_newest_runs_by_seq_when_the_clock_went_back(
    tmp_path: Path,
) -> None:
    """Two runs made while the clock was an hour ahead, then the clock is set back: the
    run started last is the newest and is kept; the oldest by seq goes."""
    store = EventStore(tmp_path / "data", retention_runs=2)
    store.open()
    ahead, now = 2_000_000_000_000, 1_999_996_400_000
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for run_id, created_at in (("r1", ahead), ("r2", ahead + 1), ("r3", now)):
            await store.emit(run_event(run_id, EventType.RUN_STARTED, created_at))
            await store.emit(run_event(run_id, EventType.RUN_COMPLETED, created_at))
        store.close_writer()
    assert [r["id"] for r in await store.list_runs()] == ["r3", "r2"]
    assert await store.get_run("r3") is not None
    assert await store.get_run("r1") is None
    store.close()


async def test_a_step_log_reads_back_in_pages_exactly_as_written(tmp_path: Path) -> None:
    """Pages hold whole chunks, about `max_bytes` of them, and together the log's bytes:
    each line ends in a newline; a lone surrogate, which UTF-8 cannot carry, is `?`."""
    store = EventStore(tmp_path / "data")
    store.open()
    async with trio.open_nursery() as nursery:
        await nursery.start(store.run)
        for i, lines in enumerate(CHUNKS):
            await store.emit(log_chunk("r1", i, lines))
        await store.emit(log_chunk("r2", 9, ["another run's"]))
        store.close_writer()
    expected = "".join(f"{line}\n" for lines in CHUNKS for line in lines)
    pages: list[bytes] = []
    after = 0
    while True:
        last, page = await store.read_step_log(
            "r1", "j", 1, after=after, until=store.last_seq, max_bytes=10
        )
        if last == after:
            break
        pages.append(page)
        after = last
    assert len(pages) == 2  # the first chunk, then the rest (about 10 bytes a page)
    assert b"".join(pages) == expected.encode("utf-8", "replace")
    # Nothing past `until`.
    assert await store.read_step_log("r1", "j", 1, after=0, until=1, max_bytes=1 << 20) == (
        1,
        "".join(f"{line}\n" for line in CHUNKS[0]).encode("utf-8", "replace"),
    )
    store.close()
