"""The durable event log (SQLite, WAL), one module per job:

    schema.py       the schema, its migration, and the data dir's lock (one writer)
    writer.py       the writer's queue: bounded by the lines it holds (backpressure), batches
    commit.py       committing a batch (seqs, rows, snapshot rows), retried while the disk refuses
    snapshots.py    run, job and step snapshot rows; retention
    reader.py       the pool of read connections and the queries on events
    health.py       whether the store can still be trusted (files replaced, pages damaged)
    event_store.py  EventStore, which puts them together

Invariant (event_store.py): an event is published only after its batch commits.
"""

from runner.events.store.event_store import EventStore, Publisher, StoreStatistics, unwritable
from runner.events.store.health import StoreHealth, is_damage
from runner.events.store.reader import EventReader
from runner.events.store.schema import LOCK_NAME, DataDirLock, read_last_seq
from runner.events.store.snapshots import run_files_dir
from runner.events.store.writer import BATCH_MAX, LINGER_S

__all__ = [
    "BATCH_MAX",
    "LINGER_S",
    "LOCK_NAME",
    "DataDirLock",
    "EventReader",
    "EventStore",
    "Publisher",
    "StoreHealth",
    "StoreStatistics",
    "is_damage",
    "read_last_seq",
    "run_files_dir",
    "unwritable",
]
