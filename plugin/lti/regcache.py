"""Registration lookups of the launch path, cached in the process and invalidated everywhere.

A login and a launch each looked their registration up in the database. Now each process keeps
the answers, tagged with a generation read from the shared store once per request; any change to
registrations or deployments (through `plugin.lti.services`) writes a new generation, before and
again after its commit, so every process drops its copies at its next request. Entries also
expire after PROCESS_TTL seconds as a safety net (and bound what a login, which does not read the
generation, may use). Only plain values are cached, never ORM rows.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g
from sqlalchemy import event

from ..extensions import db
from ..web import get_store

T = TypeVar("T")

GENERATION_KEY = "lti:registrations:generation"
GENERATION_TTL = 30 * 24 * 3600
PROCESS_TTL = 30.0
MAX_ENTRIES = 5000

_lock = threading.Lock()
_entries: dict[tuple[Any, ...], tuple[str, float, Any]] = {}


def generation() -> str:
    """The current generation (read from the store once per request)."""
    try:
        return str(g.lti_registry_generation)
    except AttributeError:
        value = get_store().get(GENERATION_KEY) or "0"
        g.lti_registry_generation = value
        return value


def prime(value: str | None) -> None:
    """Take this request's generation from a store read the caller batched with its own."""
    if "lti_registry_generation" not in g:
        g.lti_registry_generation = value or "0"


def peek(key: tuple[Any, ...]) -> tuple[str, Any] | None:
    """This process's unexpired entry for `key` as (generation, value), whatever the current
    generation, without reading it: for a login, which only picks where to send the browser
    (its launch is checked against the current generation)."""
    now = time.monotonic()
    with _lock:
        hit = _entries.get((_app_token(), *key))
    return (hit[0], hit[2]) if hit is not None and hit[1] > now else None


def _app_token() -> str:
    """Each app (each database) has its own entries: tests build many apps in one process."""
    token = current_app.extensions.get("microcred.lti.regcache")
    if token is None:
        token = current_app.extensions["microcred.lti.regcache"] = secrets.token_hex(8)
    return str(token)


def cached(key: tuple[Any, ...], load: Callable[[], T | None]) -> T | None:
    """`load()`'s answer for `key`, from this process when still valid. None is not cached
    (an unknown registration or deployment may appear at any moment)."""
    gen = generation()
    key = (_app_token(), *key)
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
    if hit is not None and hit[0] == gen and hit[1] > now:
        return hit[2]
    value = load()
    if value is not None:
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            _entries[key] = (gen, now + PROCESS_TTL, value)
    return value


def invalidate() -> None:
    """Registrations or deployments change in this transaction: new generation now, and again
    once the transaction commits (so no process keeps what it read in between)."""
    get_store().set(GENERATION_KEY, secrets.token_hex(8), GENERATION_TTL)
    g.pop("lti_registry_generation", None)
    db.session.info["lti_registry_changed"] = True


def forget() -> None:
    """Drop this process's entries (tests)."""
    with _lock:
        _entries.clear()


@event.listens_for(db.session, "after_commit")
def _after_commit(session: Any) -> None:
    if session.info.pop("lti_registry_changed", False):
        get_store().set(GENERATION_KEY, secrets.token_hex(8), GENERATION_TTL)
        g.pop("lti_registry_generation", None)
