"""Attempt counts that every worker process shares without Redis: a `limits` storage in a
SQLite file of its own (`convene-sqlite:///path/limits.db`), for the moving windows of
Flask-Limiter. With REDIS_URL the counts go to Redis instead (config.py chooses).

A file of its own, not the app's database: counting a wrong password must never wait for the
app's write lock, nor the app's writes for it.
"""

import sqlite3
import threading
import time

from limits.storage import MovingWindowSupport, Storage

SCHEMA = "CREATE TABLE IF NOT EXISTS attempt (key TEXT NOT NULL, at REAL NOT NULL)"
INDEX = "CREATE INDEX IF NOT EXISTS attempt_key_at ON attempt (key, at)"


class SqliteAttempts(Storage, MovingWindowSupport):
    """One row per attempt; a window counts the rows of its key younger than its length."""

    STORAGE_SCHEME = ["convene-sqlite"]

    def __init__(self, uri, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        self.local = threading.local()  # a connection per thread
        with self._connection() as connection:
            connection.execute(SCHEMA)
            connection.execute(INDEX)

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self):
        if getattr(self.local, "connection", None) is None:
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=wal")
            connection.execute("PRAGMA synchronous=normal")
            self.local.connection = connection
        return _Transaction(self.local.connection)

    def acquire_entry(self, key, limit, expiry, amount=1):
        """Count `amount` more attempts unless the window already holds `limit`."""
        if amount > limit:
            return False
        now = time.time()
        with self._connection() as connection:
            connection.execute("DELETE FROM attempt WHERE key = ? AND at < ?", (key, now - expiry))
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM attempt WHERE key = ?", (key,)
            ).fetchone()
            if count + amount > limit:
                return False
            connection.executemany(
                "INSERT INTO attempt (key, at) VALUES (?, ?)", [(key, now)] * amount
            )
            return True

    def get_moving_window(self, key, limit, expiry):
        """(when the oldest attempt in the window was made, how many the window holds)."""
        now = time.time()
        with self._connection() as connection:
            oldest, count = connection.execute(
                "SELECT MIN(at), COUNT(*) FROM attempt WHERE key = ? AND at >= ?",
                (key, now - expiry),
            ).fetchone()
        return (oldest or now), count

    # The fixed-window half of the interface, for completeness: counts without a window.
    def incr(self, key, expiry, amount=1):
        self.acquire_entry(key, 2**31, expiry, amount)
        return self.get(key)

    def get(self, key):
        with self._connection() as connection:
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM attempt WHERE key = ?", (key,)
            ).fetchone()
        return count

    def get_expiry(self, key):
        return time.time()

    def check(self):
        try:
            with self._connection() as connection:
                connection.execute("SELECT 1")
            return True
        except sqlite3.Error:
            return False

    def reset(self):
        with self._connection() as connection:
            return connection.execute("DELETE FROM attempt").rowcount

    def clear(self, key):
        with self._connection() as connection:
            connection.execute("DELETE FROM attempt WHERE key = ?", (key,))


class _Transaction:
    """`with`: BEGIN IMMEDIATE … COMMIT (or ROLLBACK): a count and its insert are one step."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, error_type, _error, _traceback):
        self.connection.execute("ROLLBACK" if error_type else "COMMIT")
