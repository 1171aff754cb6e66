"""The dev LMS's own SQLite file (stdlib sqlite3): schema, one lock-guarded connection, counters.

One connection shared by the server's threads behind a re-entrant lock keeps this simple and safe;
`BEGIN IMMEDIATE` plus a busy timeout keeps a second process on the same file correct too.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY, private_pem TEXT NOT NULL, created_at REAL NOT NULL,
    current INTEGER NOT NULL DEFAULT 0, retired_at REAL);
CREATE TABLE IF NOT EXISTS tools (
    client_id TEXT PRIMARY KEY, name TEXT NOT NULL, deployment_id TEXT NOT NULL,
    login_url TEXT NOT NULL, redirect_uris TEXT NOT NULL, target_link_uri TEXT NOT NULL,
    deep_link_url TEXT, jwks_url TEXT, jwks TEXT, scopes TEXT NOT NULL, custom TEXT NOT NULL,
    claims TEXT, active INTEGER NOT NULL DEFAULT 1, source TEXT NOT NULL,
    registration TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    handle TEXT PRIMARY KEY, sub TEXT NOT NULL UNIQUE, given_name TEXT, family_name TEXT,
    email TEXT, context_roles TEXT NOT NULL, institution_roles TEXT NOT NULL,
    enrolled INTEGER NOT NULL, share_name INTEGER NOT NULL, share_email INTEGER NOT NULL,
    position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS contexts (id TEXT PRIMARY KEY, label TEXT NOT NULL, title TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS placements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, context_id TEXT NOT NULL,
    client_id TEXT NOT NULL, title TEXT NOT NULL, text TEXT, url TEXT NOT NULL,
    custom TEXT NOT NULL, line_item_id INTEGER, source TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS line_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, context_id TEXT NOT NULL, client_id TEXT NOT NULL,
    label TEXT NOT NULL, score_maximum REAL NOT NULL, resource_id TEXT, resource_link_id TEXT,
    tag TEXT, start_date_time TEXT, end_date_time TEXT, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS scores (
    line_item_id INTEGER NOT NULL, user_sub TEXT NOT NULL, score_given REAL,
    score_maximum REAL, activity_progress TEXT NOT NULL, grading_progress TEXT NOT NULL,
    comment TEXT, timestamp TEXT NOT NULL, ts REAL NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (line_item_id, user_sub));
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, client_id TEXT NOT NULL, scopes TEXT NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS used_jtis (
    client_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (client_id, jti));
CREATE TABLE IF NOT EXISTS message_hints (
    hint TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL, user_handle TEXT NOT NULL,
    context_id TEXT NOT NULL, placement_id TEXT, document_target TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deep_link_requests (
    data TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_handle TEXT NOT NULL,
    context_id TEXT NOT NULL, created_at REAL NOT NULL, used_at REAL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    endpoint TEXT PRIMARY KEY, mode TEXT NOT NULL, retry_after INTEGER, remaining INTEGER,
    delay_ms INTEGER NOT NULL DEFAULT 0);
"""

#: Tables emptied by a full reset (keys, meta, users and the course survive it).
DATA_TABLES = (
    "tools",
    "placements",
    "line_items",
    "scores",
    "access_tokens",
    "used_jtis",
    "message_hints",
    "deep_link_requests",
    "counters",
    "faults",
)


def dumps(value: Any) -> str:
    """JSON for a TEXT column."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Any:
    """The value of a JSON TEXT column (None stays None)."""
    return None if text is None else json.loads(text)


class Store:
    """The dev LMS database: call `query`/`execute`, group writes in `transaction()`."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            if path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection (the app keeps one Store for its lifetime)."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One atomic unit of writes; nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement (its own transaction unless inside `transaction()`)."""
        with self._lock:
            return self._conn.execute(sql, tuple(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """All rows of a SELECT."""
        with self._lock:
            return list(self._conn.execute(sql, tuple(params)).fetchall())

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row of a SELECT, or None."""
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, tuple(params)).fetchone()
            return row

    # -- small shared facilities -------------------------------------------------------------

    def get_meta(self, name: str) -> str | None:
        """A value of the meta table (platform guid, ...)."""
        row = self.query_one("SELECT value FROM meta WHERE name = ?", (name,))
        return None if row is None else str(row["value"])

    def set_meta_default(self, name: str, value: str) -> str:
        """Store `value` under `name` unless one exists; return the stored value."""
        with self.transaction():
            self.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, value))
            stored = self.get_meta(name)
        assert stored is not None
        return stored

    def bump(self, *names: str) -> None:
        """Add one to each named counter (shown at P/_dev/stats)."""
        with self.transaction():
            for name in names:
                self.execute(
                    "INSERT INTO counters (name, value) VALUES (?, 1) "
                    "ON CONFLICT(name) DO UPDATE SET value = value + 1",
                    (name,),
                )

    def counters(self) -> dict[str, int]:
        """Every counter by name."""
        return {
            row["name"]: int(row["value"])
            for row in self.query("SELECT name, value FROM counters ORDER BY name")
        }

    def purge_expired(self) -> None:
        """Forget expired access tokens, used jti values and message hints."""
        now = time.time()
        with self.transaction():
            self.execute("DELETE FROM access_tokens WHERE expires_at < ?", (now,))
            self.execute("DELETE FROM used_jtis WHERE expires_at < ?", (now,))
            self.execute("DELETE FROM message_hints WHERE created_at < ?", (now - 86400,))

    def wipe_data(self) -> None:
        """Empty every data table (used by P/_dev/reset with scope "all")."""
        with self.transaction():
            for table in DATA_TABLES:
                self.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        logger.info("dev LMS data wiped")
