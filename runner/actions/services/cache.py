"""The cache behind actions/cache: entries shared by every run, in <data_dir>/cache.

    cache/index.db            one row per entry (SQLite: a daemon and a local run may
                              share the cache, each in its own process)
    cache/entries/<id>/blob   an entry's archive

An entry is (key, version, scope): the scope is the ref of the run that saved it.
Lookup goes as GitHub's does: for each scope the job may read (its own ref, a pull
request's base branch, the default branch), for each key in order (the primary key,
then the restore keys): an exact match of the key, else the newest entry whose key
starts with it; only entries of the same version count.

Saving is reserve, upload, commit. A reservation is unique per (key, version, scope),
so two jobs saving one key at once cannot both write it: the second is told "already
cached" (or "being saved"), as on GitHub. Committed entries never change. A reservation
that makes no progress for RESERVATION_STALE_MS is abandoned and may be taken again.

The cache holds at most `max_bytes`: committing an entry evicts the least recently used
entries (a restore counts as a use) until the rest fits.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import trio

from runner.actions.services.blobs import BlobInfo, BlobSlot, read_info
from runner.actions.services.http import ServiceError
from runner.events.types import now_ms

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from runner.actions.services.tokens import RuntimeClaims

RESERVATION_STALE_MS = 10 * 60 * 1000
MAX_KEY_LENGTH = 512
MAX_KEYS = 10
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL, version TEXT NOT NULL, scope TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    committed INTEGER NOT NULL DEFAULT 0,
    owner TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used INTEGER NOT NULL,
    UNIQUE (key, version, scope));
CREATE INDEX IF NOT EXISTS entries_by_use ON entries (committed, last_used);
"""
_COLUMNS = "id, key, version, scope, size, committed, owner, created_at, last_used"


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEntry:
    id: int
    key: str
    version: str
    scope: str
    size: int
    committed: bool
    owner: str
    created_at: int
    last_used: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStatistics:
    entries: int
    total_bytes: int
    evicted: int


def check_keys(keys: list[str]) -> None:
    """GitHub's rules: 1 to 10 keys, none longer than 512 characters or with a comma."""
    if not keys or len(keys) > MAX_KEYS:
        raise ServiceError(400, "invalid_argument", f"between 1 and {MAX_KEYS} keys are needed")
    for key in keys:
        if not key or len(key) > MAX_KEY_LENGTH or "," in key:
            raise ServiceError(
                400,
                "invalid_argument",
                f"invalid cache key {key!r}: 1 to {MAX_KEY_LENGTH} characters, no commas",
            )


class CacheStore:
    def __init__(self, root: Path, *, max_bytes: int, clock: Callable[[], int] = now_ms) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.clock = clock  # milliseconds: creation and last use (LRU) are stamped with it
        self.evicted = 0
        self._limiter = trio.CapacityLimiter(4)

    # -- SQLite, on worker threads: one short-lived connection per operation ----------
    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.root / "index.db", timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        return conn

    async def _run(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        def run() -> Any:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return result
            finally:
                conn.close()

        try:
            return await trio.to_thread.run_sync(run, limiter=self._limiter)
        except sqlite3.Error as exc:
            raise ServiceError(500, "internal", f"the cache index failed: {exc}") from None

    def slot(self, entry_id: int) -> BlobSlot:
        return BlobSlot(
            directory=self.root / "entries" / str(entry_id),
            writable=False,
            file_name="cache.tzst",
        )

    async def get(self, entry_id: int) -> CacheEntry | None:
        def query(conn: sqlite3.Connection) -> Any:
            return conn.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE id = ?", (entry_id,)
            ).fetchone()

        row = await self._run(query)
        return _entry(row) if row is not None else None

    # -- lookup -----------------------------------------------------------------------
    async def lookup(self, keys: list[str], version: str, scopes: list[str]) -> CacheEntry | None:
        """The entry a restore of `keys` gets (see the module's docstring); its use is
        recorded for LRU."""
        check_keys(keys)

        def find(conn: sqlite3.Connection) -> CacheEntry | None:
            for scope in scopes:
                for key in keys:
                    row = (
                        conn.execute(
                            f"SELECT {_COLUMNS} FROM entries WHERE committed = 1 AND scope = ? "
                            "AND version = ? AND key = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                            (scope, version, key),
                        ).fetchone()
                        or conn.execute(
                            f"SELECT {_COLUMNS} FROM entries WHERE committed = 1 AND scope = ? "
                            "AND version = ? AND substr(key, 1, ?) = ? "
                            "ORDER BY created_at DESC, id DESC LIMIT 1",
                            (scope, version, len(key), key),
                        ).fetchone()
                    )
                    if row is not None:
                        conn.execute(
                            "UPDATE entries SET last_used = ? WHERE id = ?", (self.clock(), row[0])
                        )
                        return _entry(row)
            return None

        entry: CacheEntry | None = await self._run(find)
        return entry

    async def matching(self, key: str, scopes: list[str]) -> list[CacheEntry]:
        """Committed entries with exactly this key, in the job's scopes (any version)."""

        def query(conn: sqlite3.Connection) -> list[CacheEntry]:
            marks = ",".join("?" * len(scopes))
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE committed = 1 AND key = ? "
                f"AND scope IN ({marks}) ORDER BY created_at DESC",
                (key, *scopes),
            ).fetchall()
            return [_entry(r) for r in rows]

        entries: list[CacheEntry] = await self._run(query)
        return entries

    # -- saving -----------------------------------------------------------------------
    async def reserve(
        self, claims: RuntimeClaims, key: str, version: str, *, size: int | None = None
    ) -> CacheEntry | str:
        """Reserve (key, version) in the job's own scope: the new pending entry, or why
        not (a message: already cached, being saved by another job, too large)."""
        check_keys([key])
        scope = claims.write_scope
        if scope is None:
            return "cache write denied: this job's token has no writable cache scope"
        if size is not None and size > self.max_bytes:
            return (
                f"Cache size of ~{round(size / 2**20)} MB ({size} B) is over the cache's "
                f"limit of {round(self.max_bytes / 2**20)} MB (stax.toml [services] "
                "cache_size_mb), not saving cache"
            )
        owner = f"{claims.run_id}:{claims.job_id}"

        def insert(conn: sqlite3.Connection) -> CacheEntry | str:
            now = self.clock()
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE key = ? AND version = ? AND scope = ?",
                (key, version, scope),
            ).fetchone()
            if row is not None:
                existing = _entry(row)
                if existing.committed:
                    return f"a cache entry for key {key!r} already exists in {scope}"
                if now - existing.last_used < RESERVATION_STALE_MS:
                    return f"the cache entry for key {key!r} is being saved by another job"
                conn.execute("DELETE FROM entries WHERE id = ?", (existing.id,))
            cursor = conn.execute(
                "INSERT INTO entries (key, version, scope, owner, created_at, last_used) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, version, scope, owner, now, now),
            )
            return CacheEntry(
                id=int(cursor.lastrowid or 0),
                key=key,
                version=version,
                scope=scope,
                size=0,
                committed=False,
                owner=owner,
                created_at=now,
                last_used=now,
            )

        result: CacheEntry | str = await self._run(insert)
        if isinstance(result, CacheEntry):
            await trio.to_thread.run_sync(self._clear_dir, result.id)
        return result

    async def pending(
        self,
        claims: RuntimeClaims,
        *,
        entry_id: int | None = None,
        key: str | None = None,
        version: str | None = None,
    ) -> CacheEntry:
        """The job's own reservation, by id or by (key, version): 404 otherwise."""
        owner = f"{claims.run_id}:{claims.job_id}"
        scope = claims.write_scope or ""

        def query(conn: sqlite3.Connection) -> Any:
            if entry_id is not None:
                return conn.execute(
                    f"SELECT {_COLUMNS} FROM entries WHERE id = ?", (entry_id,)
                ).fetchone()
            return conn.execute(
                f"SELECT {_COLUMNS} FROM entries WHERE key = ? AND version = ? AND scope = ?",
                (key, version, scope),
            ).fetchone()

        row = await self._run(query)
        entry = _entry(row) if row is not None else None
        if entry is None or entry.committed or entry.owner != owner:
            raise ServiceError(404, "not_found", "no cache entry reserved by this job matches")
        return entry

    def upload_slot(self, entry: CacheEntry) -> BlobSlot:
        """Where a reserved entry's archive is uploaded (Azure blob semantics)."""

        async def progress() -> None:
            await self.touch(entry.id)

        return BlobSlot(
            directory=self.root / "entries" / str(entry.id),
            writable=not entry.committed,
            file_name="cache.tzst",
            on_progress=progress,
        )

    async def touch(self, entry_id: int) -> None:
        """An upload to a reservation made progress: it is not abandoned."""

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE entries SET last_used = ? WHERE id = ? AND committed = 0",
                (self.clock(), entry_id),
            )

        await self._run(update)

    async def commit(self, entry: CacheEntry, info: BlobInfo, *, size: int | None) -> CacheEntry:
        """Make a reserved entry restorable, then evict what no longer fits."""
        if size is not None and size != info.size:
            raise ServiceError(
                400,
                "invalid_argument",
                f"the archive has {info.size} bytes, the client says {size}",
            )
        if info.size > self.max_bytes:
            await self.discard(entry.id)
            raise ServiceError(
                400,
                "invalid_argument",
                f"the archive ({info.size} bytes) is larger than the whole cache may be",
            )

        def commit(conn: sqlite3.Connection) -> list[int]:
            now = self.clock()
            conn.execute(
                "UPDATE entries SET committed = 1, size = ?, created_at = ?, last_used = ? "
                "WHERE id = ?",
                (info.size, now, now, entry.id),
            )
            total = conn.execute(
                "SELECT COALESCE(SUM(size), 0) FROM entries WHERE committed = 1"
            ).fetchone()[0]
            evicted: list[int] = []
            rows = conn.execute(
                "SELECT id, size FROM entries WHERE committed = 1 AND id != ? "
                "ORDER BY last_used ASC, id ASC",
                (entry.id,),
            ).fetchall()
            for victim, victim_size in rows:
                if total <= self.max_bytes:
                    break
                conn.execute("DELETE FROM entries WHERE id = ?", (victim,))
                total -= victim_size
                evicted.append(victim)
            return evicted

        evicted: list[int] = await self._run(commit)
        for victim in evicted:
            await trio.to_thread.run_sync(self._clear_dir, victim)
        self.evicted += len(evicted)
        return CacheEntry(
            id=entry.id,
            key=entry.key,
            version=entry.version,
            scope=entry.scope,
            size=info.size,
            committed=True,
            owner=entry.owner,
            created_at=entry.created_at,
            last_used=entry.last_used,
        )

    async def discard(self, entry_id: int) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM entries WHERE id = ?", (entry_id,))

        await self._run(delete)
        await trio.to_thread.run_sync(self._clear_dir, entry_id)

    def committed_info(self, entry: CacheEntry) -> BlobInfo | None:
        return read_info(self.slot(entry.id))

    async def statistics(self) -> CacheStatistics:
        def query(conn: sqlite3.Connection) -> tuple[int, int]:
            row = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries WHERE committed = 1"
            ).fetchone()
            return int(row[0]), int(row[1])

        count, total = await self._run(query)
        return CacheStatistics(entries=count, total_bytes=total, evicted=self.evicted)

    def _clear_dir(self, entry_id: int) -> None:
        shutil.rmtree(self.root / "entries" / str(entry_id), ignore_errors=True)


def _entry(row: tuple[Any, ...]) -> CacheEntry:
    return CacheEntry(
        id=int(row[0]),
        key=row[1],
        version=row[2],
        scope=row[3],
        size=int(row[4]),
        committed=bool(row[5]),
        owner=row[6],
        created_at=int(row[7]),
        last_used=int(row[8]),
    )
