"""The store's read connections: a small pool beside the writer (WAL lets them read while
it writes). Reads run in worker threads, so the pool is guarded by a threading lock.

Once the store's files are lost (store_health), the connections already open are the
only way left to read it, since a new one would open whatever the path leads to now: the
pool then keeps every connection, and a reader waits for one to be free.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from runner.events.store_health import StoreHealth

IDLE_READERS = 8  # connections kept open between reads


class ReadPool:
    def __init__(self, connect: Callable[[], sqlite3.Connection], health: StoreHealth) -> None:
        self._connect = connect
        self._health = health
        self._idle: list[sqlite3.Connection] = []
        self._open = 0  # idle or in use
        self._lock = threading.Condition()

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read connection for the duration of the block (blocking: call it in a worker
        thread). Raises sqlite3.OperationalError when the store can no longer be opened."""
        conn = self._take()
        try:
            yield conn
        finally:
            with self._lock:
                if len(self._idle) < IDLE_READERS or self._health.files_lost:
                    self._idle.append(conn)
                    self._lock.notify()
                else:
                    conn.close()
                    self._open -= 1

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()
            self._open = 0

    def _take(self) -> sqlite3.Connection:
        with self._lock:
            while not self._idle and self._health.files_lost and self._open:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            if self._health.files_lost:
                raise sqlite3.OperationalError(self._health.problem)
            self._open += 1
        try:
            conn = self._connect()
            if not self._health.same_file():  # deleted or replaced since the store opened
                conn.close()
                raise sqlite3.OperationalError(self._health.check_files() or "store replaced")
        except BaseException:
            with self._lock:
                self._open -= 1
            raise
        return conn
