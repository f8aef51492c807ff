"""The cache as GitHub matches it: key, then prefix, then restore keys; one version;
the run's ref, then the default branch. Shared, bounded, LRU; saves never collide."""

from __future__ import annotations

import itertools
import os
import sqlite3
from pathlib import Path

import httpx
import pytest
import trio

from runner.actions.services import CacheScope, RuntimeClaims
from runner.actions.services.blobs import BlobInfo
from runner.actions.services.cache import RESERVATION_STALE_MS, CacheEntry, CacheStore
from tests.actions.services.conftest import MAIN, Served

FEATURE = CacheScope(scope="refs/heads/feature", writable=True)
MAIN_READ = CacheScope(scope="refs/heads/main")


class Clock:
    def __init__(self) -> None:
        self.ticks = itertools.count(1_000_000, 1000)

    def __call__(self) -> int:
        return next(self.ticks)


def claims(*scopes: CacheScope, run: str = "r1", job: str = "j") -> RuntimeClaims:
    return RuntimeClaims(run_id=run, job_id=job, cache_scopes=scopes)


async def save(
    store: CacheStore, who: RuntimeClaims, key: str, version: str = "v1", size: int = 10
) -> CacheEntry:
    entry = await store.reserve(who, key, version)
    assert isinstance(entry, CacheEntry), entry
    return await store.commit(
        entry, BlobInfo(size=size, sha256="0" * 64, content_type=""), size=None
    )


@pytest.fixture
def store(tmp_path: Path) -> CacheStore:
    return CacheStore(tmp_path / "cache", max_bytes=10_000, clock=Clock())


async def test_exact_key_then_prefix_newest_then_restore_keys(store: CacheStore) -> None:
    main = claims(MAIN)
    await save(store, main, "deps-linux-abc")
    await save(store, main, "deps-linux-abcdef")  # newer, and starts with the key above
    await save(store, main, "deps-linux-old")
    await save(store, main, "deps-linux-new")
    scopes = ["refs/heads/main"]

    async def hit(*keys: str) -> str | None:
        found = await store.lookup(list(keys), "v1", scopes)
        return found.key if found else None

    assert await hit("deps-linux-abc") == "deps-linux-abc"  # exact beats a newer prefix match
    assert await hit("deps-linux-ab") == "deps-linux-abcdef"  # prefix: the newest
    assert await hit("deps-linux-zzz", "deps-linux-o", "deps-") == "deps-linux-old"
    assert await hit("deps-linux-zzz", "deps-") == "deps-linux-new"
    assert await hit("deps-mac-") is None
    assert await store.lookup(["deps-linux-abc"], "v2", scopes) is None  # another version


async def test_the_runs_own_ref_first_then_the_default_branch_never_another(
    store: CacheStore,
) -> None:
    await save(store, claims(MAIN), "deps")
    await save(store, claims(CacheScope(scope="refs/heads/other", writable=True)), "deps-other")
    on_feature = [s.scope for s in (FEATURE, MAIN_READ)]
    found = await store.lookup(["deps"], "v1", on_feature)
    assert found is not None
    assert found.scope == "refs/heads/main"
    await save(store, claims(FEATURE, MAIN_READ), "deps")
    found = await store.lookup(["deps"], "v1", on_feature)
    assert found is not None
    assert found.scope == "refs/heads/feature"
    # The default branch never sees a feature branch's entries, nor another branch's.
    assert (await store.lookup(["deps-other"], "v1", on_feature)) is None
    found = await store.lookup(["deps"], "v1", ["refs/heads/main"])
    assert found is not None
    assert found.scope == "refs/heads/main"


async def test_concurrent_saves_of_one_key_reserve_it_once(store: CacheStore) -> None:
    results: list[CacheEntry | str] = []

    async def reserve(job: str) -> None:
        results.append(await store.reserve(claims(MAIN, job=job), "deps", "v1"))

    async with trio.open_nursery() as nursery:
        for n in range(8):
            nursery.start_soon(reserve, f"job{n}")
    won = [r for r in results if isinstance(r, CacheEntry)]
    assert len(won) == 1
    assert all("being saved by another job" in r for r in results if isinstance(r, str))
    # Only its owner can commit it; once committed, the key is taken for good.
    with pytest.raises(Exception, match="no cache entry reserved by this job"):
        await store.pending(claims(MAIN, job="intruder"), entry_id=won[0].id)
    await store.commit(won[0], BlobInfo(size=1, sha256="", content_type=""), size=None)
    again = await store.reserve(claims(MAIN, job="later"), "deps", "v1")
    assert isinstance(again, str)
    assert "already exists" in again


async def test_an_abandoned_reservation_can_be_taken_again(store: CacheStore) -> None:
    first = await store.reserve(claims(MAIN, job="died"), "deps", "v1")
    assert isinstance(first, CacheEntry)
    assert isinstance(await store.reserve(claims(MAIN, job="next"), "deps", "v1"), str)
    with sqlite3.connect(store.root / "index.db") as conn:  # no progress for too long
        conn.execute("UPDATE entries SET last_used = last_used - ?", (RESERVATION_STALE_MS,))
    taken = await store.reserve(claims(MAIN, job="next"), "deps", "v1")
    assert isinstance(taken, CacheEntry)
    assert taken.id != first.id


async def test_least_recently_used_entries_are_evicted_past_the_limit(store: CacheStore) -> None:
    main = claims(MAIN)
    for key in ("a", "b", "c"):
        await save(store, main, key, size=3000)
    assert await store.lookup(["a"], "v1", ["refs/heads/main"])  # a is used: b is now the LRU
    await save(store, main, "d", size=3000)  # 12,000 > 10,000: one must go
    present = [k for k in "abcd" if await store.lookup([k], "v1", ["refs/heads/main"])]
    assert present == ["a", "c", "d"]
    stats = await store.statistics()
    assert (stats.entries, stats.total_bytes, stats.evicted) == (3, 9000, 1)


async def test_keys_are_checked_as_github_checks_them(store: CacheStore) -> None:
    for keys in ([], ["a,b"], ["x" * 513], [str(n) for n in range(11)]):
        with pytest.raises(Exception, match="key"):
            await store.lookup(keys, "v1", ["refs/heads/main"])
    too_big = await store.reserve(claims(MAIN), "deps", "v1", size=20_000)
    assert isinstance(too_big, str)
    assert "over the cache's limit" in too_big


# -- over HTTP -------------------------------------------------------------------------
def _body(key: str, version: str = "v1") -> dict[str, object]:
    return {"key": key, "version": version}


async def _v2_save(served: Served, client: httpx.AsyncClient, key: str, data: bytes) -> None:
    created = (await served.twirp(client, "CacheService", "CreateCacheEntry", _body(key))).json()
    assert created["ok"], created
    async with httpx.AsyncClient(timeout=10) as plain:
        put = await plain.put(
            created["signed_upload_url"], content=data, headers={"x-ms-blob-type": "BlockBlob"}
        )
    assert put.status_code == 201, put.text
    done = await served.twirp(
        client,
        "CacheService",
        "FinalizeCacheEntryUpload",
        {**_body(key), "size_bytes": str(len(data))},
    )
    assert done.json()["ok"], done.text


async def _v2_restore(served: Served, client: httpx.AsyncClient, key: str) -> bytes | None:
    found = (
        await served.twirp(client, "CacheService", "GetCacheEntryDownloadURL", _body(key))
    ).json()
    if not found["ok"]:
        return None
    async with httpx.AsyncClient(timeout=10) as plain:
        return (await plain.get(found["signed_download_url"])).content


async def test_v2_already_cached_is_ok_false_and_eviction_removes_the_archive(
    served: Served,
) -> None:
    assert served.server.app is not None
    served.server.app.cache.clock = Clock()  # distinct use times, so LRU order is certain
    blobs = {k: os.urandom(400 * 1024) for k in "abc"}  # the cache holds 1 MiB
    async with served.client(served.token()) as client:
        await _v2_save(served, client, "a", blobs["a"])
        await _v2_save(served, client, "b", blobs["b"])
        again = await served.twirp(client, "CacheService", "CreateCacheEntry", _body("a"))
        assert again.json()["ok"] is False
        assert "already exists" in again.json()["message"]
        assert await _v2_restore(served, client, "a") == blobs["a"]  # a used: b is the LRU
        await _v2_save(served, client, "c", blobs["c"])
        assert await _v2_restore(served, client, "b") is None
        assert await _v2_restore(served, client, "a") == blobs["a"]
        assert await _v2_restore(served, client, "c") == blobs["c"]
    entries = served.data_dir / "cache" / "entries"
    assert len(list(entries.iterdir())) == 2


async def test_v1_chunks_arrive_in_any_order_and_a_gap_is_refused(served: Served) -> None:
    data = os.urandom(300_000)
    chunk = 64 * 1024
    pieces = [(start, data[start : start + chunk]) for start in range(0, len(data), chunk)]
    async with served.client(served.token()) as client:
        base = "/_services/_apis/artifactcache/"
        reserved = await client.post(f"{base}caches", json={"key": "k", "version": "v1"})
        assert reserved.status_code == 201, reserved.text
        cache_id = reserved.json()["cacheId"]

        async def patch(start: int, piece: bytes) -> None:
            response = await client.patch(
                f"{base}caches/{cache_id}",
                content=piece,
                headers={"Content-Range": f"bytes {start}-{start + len(piece) - 1}/*"},
            )
            assert response.status_code == 204, response.text

        async with trio.open_nursery() as nursery:
            for start, piece in reversed(pieces[1:]):
                nursery.start_soon(patch, start, piece)
        gap = await client.post(f"{base}caches/{cache_id}", json={"size": len(data)})
        assert gap.status_code == 400
        assert f"bytes 0-{chunk - 1} " in gap.json()["message"]
        await patch(*pieces[0])
        assert (
            await client.post(f"{base}caches/{cache_id}", json={"size": len(data)})
        ).status_code == 204
        hit = await client.get(f"{base}cache", params={"keys": "x,k", "version": "v1"})
        assert hit.status_code == 200
        assert hit.json()["cacheKey"] == "k"
        async with httpx.AsyncClient(timeout=10) as plain:
            assert (await plain.get(hit.json()["archiveLocation"])).content == data
        miss = await client.get(f"{base}cache", params={"keys": "k", "version": "v2"})
        assert miss.status_code == 204
        taken = await client.post(f"{base}caches", json={"key": "k", "version": "v1"})
        assert taken.status_code == 409


async def test_the_cache_refuses_a_missing_or_foreign_token(served: Served) -> None:
    other_key = Served(
        access=type(served.access)(url=served.url, key=b"k" * 32),
        server=served.server,
        data_dir=served.data_dir,
    )
    for token in (None, "not.a.token", other_key.token()):
        async with served.client(token) as client:
            twirp = await served.twirp(client, "CacheService", "CreateCacheEntry", _body("k"))
            assert twirp.status_code == 401
            assert twirp.json()["code"] == "unauthenticated"
            v1 = await client.get("/_services/_apis/artifactcache/cache?keys=k&version=v1")
            assert v1.status_code == 401
