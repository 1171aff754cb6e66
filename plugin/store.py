"""A small key-value store with expiry, shared by every process: Redis, or SQLite on one machine.

Launch state (OIDC state and nonces), caches and rate limits live here, never in process memory,
because gunicorn runs several processes and a login may reach one and the launch another.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from .errors import ServiceUnavailable


class Claim(NamedTuple):
    """Set `key` to `value` for `ttl` seconds unless someone holds it already (see Store.claim)."""

    key: str
    value: str
    ttl: int


class Taken(NamedTuple):
    """What `take_and_get` found: the taken value (None when absent or expired), the seconds it
    had left, the other key's value, and who holds the claim made alongside (None: no claim)."""

    value: str | None
    seconds_left: float
    other: str | None
    claim_holder: str | None = None


class Store(Protocol):
    """What features may rely on. Values are strings; ttl is in seconds."""

    def set(self, key: str, value: str, ttl: int) -> None: ...

    def get(self, key: str) -> str | None: ...

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of `keys` (None where absent) in one round trip."""
        ...

    def set_and_get(self, key: str, value: str, ttl: int, get_key: str) -> str | None:
        """`set(key, value, ttl)` and `get(get_key)` in one round trip (the get sees the set)."""
        ...

    def take_and_get(self, key: str, get_key: str, claim: Claim | None = None) -> Taken:
        """`take(key)` with the seconds it had left, `get(get_key)` and, when given,
        `claim(*claim)`, in one round trip."""
        ...

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        """Set `key` unless it is held; return the value held now (`value` when this call or an
        earlier claim with the same value won). Single-use markers that one owner may re-check."""
        ...

    def set_and_incr(self, key: str, value: str, ttl: int, counter: str, counter_ttl: int) -> int:
        """`set(key, value, ttl)` and `incr(counter, counter_ttl)` in one round trip."""
        ...

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only when absent; True when this call set it (single-use markers)."""
        ...

    def take(self, key: str) -> str | None:
        """Get and delete atomically: at most one caller ever sees the value."""
        ...

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl: int) -> int:
        """Increment a counter that expires `ttl` seconds after it was created."""
        ...

    def ping(self) -> bool: ...


class RedisStore:
    """Redis-backed store (production and CI)."""

    def __init__(self, url: str, prefix: str = "mc:"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._errors = (redis.RedisError,)

    def _k(self, key: str) -> str:
        return self._prefix + key

    def _call(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise ServiceUnavailable("the launch store (Redis) is not answering") from exc

    def set(self, key: str, value: str, ttl: int) -> None:
        self._call(self._redis.set, self._k(key), value, ex=max(ttl, 1))

    def get(self, key: str) -> str | None:
        raw = self._call(self._redis.get, self._k(key))
        return raw.decode() if raw is not None else None

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        raws = self._call(self._redis.mget, [self._k(k) for k in keys]) if keys else []
        return [raw.decode() if raw is not None else None for raw in raws]

    def set_and_get(self, key: str, value: str, ttl: int, get_key: str) -> str | None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(self._k(key), value, ex=max(ttl, 1))
        pipe.get(self._k(get_key))
        _, raw = self._call(pipe.execute)
        return raw.decode() if raw is not None else None

    def take_and_get(self, key: str, get_key: str, claim: Claim | None = None) -> Taken:
        pipe = self._redis.pipeline(transaction=True)
        pipe.pttl(self._k(key))
        pipe.getdel(self._k(key))
        pipe.get(self._k(get_key))
        if claim is not None:
            pipe.set(self._k(claim.key), claim.value, ex=max(claim.ttl, 1), nx=True)
            pipe.get(self._k(claim.key))
        left_ms, raw, other, *claimed = self._call(pipe.execute)
        return Taken(
            raw.decode() if raw is not None else None,
            max(int(left_ms), 0) / 1000,
            other.decode() if other is not None else None,
            claimed[1].decode() if claimed and claimed[1] is not None else None,
        )

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self._k(key), value, ex=max(ttl, 1), nx=True)
        pipe.get(self._k(key))
        _, held = self._call(pipe.execute)
        return held.decode() if held is not None else None

    def set_and_incr(self, key: str, value: str, ttl: int, counter: str, counter_ttl: int) -> int:
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(self._k(key), value, ex=max(ttl, 1))
        pipe.incr(self._k(counter))
        pipe.expire(self._k(counter), max(counter_ttl, 1), nx=True)
        _, count, _ = self._call(pipe.execute)
        return int(count)

    def add(self, key: str, value: str, ttl: int) -> bool:
        return bool(self._call(self._redis.set, self._k(key), value, ex=max(ttl, 1), nx=True))

    def take(self, key: str) -> str | None:
        raw = self._call(self._redis.getdel, self._k(key))
        return raw.decode() if raw is not None else None

    def delete(self, key: str) -> None:
        self._call(self._redis.delete, self._k(key))

    def incr(self, key: str, ttl: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._k(key))
        pipe.expire(self._k(key), max(ttl, 1), nx=True)
        count, _ = self._call(pipe.execute)
        return int(count)

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except self._errors:
            return False


class SqliteStore:
    """A SQLite file in the instance folder: shared by all processes of one machine (WAL mode)."""

    def __init__(self, path: str):
        self._path = path
        self._local = threading.local()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with self._conn() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
                " expires REAL NOT NULL)"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        # A forked worker must not reuse its parent's connection.
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self._path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def set(self, key: str, value: str, ttl: int) -> None:
        self._conn().execute(
            "INSERT INTO kv(key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE"
            " SET value = excluded.value, expires = excluded.expires",
            (key, value, time.time() + ttl),
        )

    def get(self, key: str) -> str | None:
        row = (
            self._conn()
            .execute("SELECT value FROM kv WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else None

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self.get(key) for key in keys]

    def set_and_get(self, key: str, value: str, ttl: int, get_key: str) -> str | None:
        self.set(key, value, ttl)
        return self.get(get_key)

    def add(self, key: str, value: str, ttl: int) -> bool:
        conn = self._conn()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM kv WHERE key = ? AND expires <= ?", (key, now))
            cur = conn.execute(
                "INSERT OR IGNORE INTO kv(key, value, expires) VALUES (?, ?, ?)",
                (key, value, now + ttl),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return cur.rowcount == 1

    def take(self, key: str) -> str | None:
        row = (
            self._conn()
            .execute("DELETE FROM kv WHERE key = ? RETURNING value, expires", (key,))
            .fetchone()
        )
        if row is None or row[1] <= time.time():
            return None
        return str(row[0])

    def take_and_get(self, key: str, get_key: str, claim: Claim | None = None) -> Taken:
        row = (
            self._conn()
            .execute("DELETE FROM kv WHERE key = ? RETURNING value, expires", (key,))
            .fetchone()
        )
        left = row[1] - time.time() if row is not None else 0.0
        value = str(row[0]) if row is not None and left > 0 else None
        return Taken(
            value,
            max(left, 0.0) if value is not None else 0.0,
            self.get(get_key),
            self.claim(*claim) if claim is not None else None,
        )

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        self.add(key, value, ttl)
        return self.get(key)

    def set_and_incr(self, key: str, value: str, ttl: int, counter: str, counter_ttl: int) -> int:
        self.set(key, value, ttl)
        return self.incr(counter, counter_ttl)

    def delete(self, key: str) -> None:
        self._conn().execute("DELETE FROM kv WHERE key = ?", (key,))

    def incr(self, key: str, ttl: int) -> int:
        conn = self._conn()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM kv WHERE key = ? AND expires <= ?", (key, now))
            row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            count = int(row[0]) + 1 if row else 1
            if row:
                conn.execute("UPDATE kv SET value = ? WHERE key = ?", (str(count), key))
            else:
                conn.execute(
                    "INSERT INTO kv(key, value, expires) VALUES (?, ?, ?)",
                    (key, str(count), now + ttl),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return count

    def purge_expired(self) -> int:
        return self._conn().execute("DELETE FROM kv WHERE expires <= ?", (time.time(),)).rowcount

    def ping(self) -> bool:
        return self._conn().execute("SELECT 1").fetchone() == (1,)


def make_store(redis_url: str | None, instance_path: str, namespace: str = "") -> Store:
    """Redis when configured, else the machine-wide SQLite store.

    `namespace` separates installations sharing one Redis: every process of one installation
    shares SECRET_KEY, so the app passes a digest of it and two tools never read each other's keys.
    """
    if redis_url:
        return RedisStore(redis_url, prefix=f"mc:{namespace}:" if namespace else "mc:")
    return SqliteStore(os.path.join(instance_path, "store.sqlite3"))
