"""Recent server errors, kept in the shared store as a small ring (every process writes to it),
for the admin operations page. Entries hold no personal data: time, request id, method, path,
status and the exception's type.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from ..store import Store

log = logging.getLogger(__name__)
SLOTS = 50
KEEP_SECONDS = 7 * 24 * 3600


def record_error(store: Store, entry: dict[str, Any], prefix: str = "") -> None:
    """Remember one error (best effort: a store outage must not hide the original error)."""
    try:
        slot = store.incr(f"ops:{prefix}:errors:seq", KEEP_SECONDS * 52) % SLOTS
        now = time.time()
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
        store.set(
            f"ops:{prefix}:errors:{slot}",
            json.dumps({"at": now, "when": when, **entry}),
            KEEP_SECONDS,
        )
    except Exception:
        log.warning("could not record an error for the operations page")


def list_recent_errors(store: Store, prefix: str = "") -> list[dict[str, Any]]:
    """The remembered errors, newest first."""
    entries = []
    for slot in range(SLOTS):
        raw = store.get(f"ops:{prefix}:errors:{slot}")
        if raw:
            entries.append(json.loads(raw))
    return sorted(entries, key=lambda e: e["at"], reverse=True)
