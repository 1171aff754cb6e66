"""A small key-value store with expiry, shared by every process: Redis, or SQLite on one machine.

Launch state (OIDC state and nonces), caches and rate limits live here, never in process memory,
because gunicorn runs several processes and a login may reach one and the launch another.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, Protocol

from .errors import ServiceUnavailable


class Slot:
    """One answer of a Batch: `value` is filled in when the store runs the batch."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None


class Batch:
    """Store operations sent in one round trip and answered in order (`Store.run`). Each method
    returns the Slot its answer will be in; other processes' calls may interleave, so combine
    only operations that are each safe alone (claim and incr are atomic by themselves).

        batch = Batch()
        used = batch.claim(used_key, mine, ttl)  # who holds it now: `mine` if this call won
        generation = batch.get(GENERATION_KEY)  # value or None
        store.run(batch)
    """

    def __init__(self) -> None:
        self.ops: list[tuple[str, tuple[Any, ...], Slot]] = []

    def _add(self, op: str, *args: Any) -> Slot:
        slot = Slot()
        self.ops.append((op, args, slot))
        return slot

    def get(self, key: str) -> Slot:
        """The value, or None."""
        return self._add("get", key)

    def set(self, key: str, value: str, ttl: int) -> Slot:
        return self._add("set", key, value, ttl)

    def claim(self, key: str, value: str, ttl: int) -> Slot:
        """Who holds `key` after setting it unless held (see Store.claim)."""
        return self._add("claim", key, value, ttl)

    def incr(self, key: str, ttl: int) -> Slot:
        """The counter after adding one (see Store.incr)."""
        return self._add("incr", key, ttl)


class Store(Protocol):
    """What features may rely on. Values are strings; ttl is in seconds."""

    def set(self, key: str, value: str, ttl: int) -> None: ...

    def get(self, key: str) -> str | None: ...

    def run(self, batch: Batch) -> None:
        """Send every operation of `batch` in one round trip and fill in their slots."""
        ...

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        """Set `key` unless it is held; return the value held now (`value` when this call or an
        earlier claim with the same value won). Single-use markers that one owner may re-check."""
        ...

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set only when absent; True when this call set it (single-use markers)."""
        ...

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl: int) -> int:
        """Increment a counter that expires `ttl` seconds after it was created."""
        ...

    def ping(self) -> bool: ...


_OP_CODES = {"get": "g", "set": "s", "claim": "c", "incr": "i"}
#: Runs a Batch: ARGV[1] holds one code per operation (KEYS[i] is operation i's key), the
#: values and ttls follow in ARGV. Lua's nil cannot sit in a reply array: false stands for it.
_BATCH_SCRIPT = """
local out, a = {}, 2
for i = 1, #ARGV[1] do
  local op, key = string.sub(ARGV[1], i, i), KEYS[i]
  if op == 'g' then
    out[i] = redis.call('GET', key)
  elseif op == 's' then
    redis.call('SET', key, ARGV[a], 'EX', ARGV[a + 1])
    a = a + 2
    out[i] = false
  elseif op == 'c' then
    redis.call('SET', key, ARGV[a], 'EX', ARGV[a + 1], 'NX')
    a = a + 2
    out[i] = redis.call('GET', key)
  elseif op == 'i' then
    local n = redis.call('INCR', key)
    if n == 1 then redis.call('EXPIRE', key, ARGV[a]) end
    a = a + 1
    out[i] = n
  else
    return redis.error_reply('unknown store operation ' .. op)
  end
end
return out
"""


class RedisStore:
    """Redis-backed store (production and CI)."""

    def __init__(self, url: str, prefix: str = "mc:"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._errors = (redis.RedisError,)
        self._batch_script = self._redis.register_script(_BATCH_SCRIPT)

    def _k(self, key: str) -> str:
        return self._prefix + key

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise ServiceUnavailable("the launch store (Redis) is not answering") from exc

    def set(self, key: str, value: str, ttl: int) -> None:
        self._call(self._redis.set, self._k(key), value, ex=max(ttl, 1))

    def get(self, key: str) -> str | None:
        raw = self._call(self._redis.get, self._k(key))
        return raw.decode() if raw is not None else None

    def run(self, batch: Batch) -> None:
        # One command, whatever the batch holds: the script runs the operations in order (and
        # atomically). A pipeline of the same commands cost the launch path several times the
        # client CPU, one command object and reply per operation.
        if not batch.ops:
            return
        codes, keys, args = [], [], []
        for op, op_args, _ in batch.ops:
            codes.append(_OP_CODES[op])
            keys.append(self._k(op_args[0]))
            if op in ("set", "claim"):
                args += [op_args[1], max(int(op_args[2]), 1)]
            elif op == "incr":
                args.append(max(int(op_args[1]), 1))
        replies = self._call(self._batch_script, keys=keys, args=["".join(codes), *args])
        for (op, _, slot), reply in zip(batch.ops, replies, strict=True):
            if op == "incr":
                slot.value = int(reply)
            elif op != "set":
                slot.value = _text(reply)

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        batch = Batch()
        held = batch.claim(key, value, ttl)
        self.run(batch)
        return held.value

    def add(self, key: str, value: str, ttl: int) -> bool:
        return bool(self._call(self._redis.set, self._k(key), value, ex=max(ttl, 1), nx=True))

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

    def run(self, batch: Batch) -> None:
        # One machine, no network: the operations run one after the other.
        for op, args, slot in batch.ops:
            if op == "get":
                slot.value = self.get(args[0])
            elif op == "set":
                self.set(*args)
            elif op == "claim":
                slot.value = self.claim(*args)
            elif op == "incr":
                slot.value = self.incr(*args)
            else:
                raise ValueError(f"unknown store operation {op!r}")

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

    def claim(self, key: str, value: str, ttl: int) -> str | None:
        self.add(key, value, ttl)
        return self.get(key)

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


def _text(raw: bytes | None) -> str | None:
    return raw.decode() if raw is not None else None


def make_store(redis_url: str | None, instance_path: str, namespace: str = "") -> Store:
    """Redis when configured, else the machine-wide SQLite store.

    `namespace` separates installations sharing one Redis: every process of one installation
    shares SECRET_KEY, so the app passes a digest of it and two tools never read each other's keys.
    """
    if redis_url:
        return RedisStore(redis_url, prefix=f"mc:{namespace}:" if namespace else "mc:")
    return SqliteStore(os.path.join(instance_path, "store.sqlite3"))
