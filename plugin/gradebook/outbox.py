"""Claiming outbox rows and recording what became of them, safe with many workers.

A claim sets a lease (`claimed_until`, `claimed_by`) in one short transaction: on PostgreSQL the
rows are picked with `SELECT ... FOR UPDATE SKIP LOCKED`, on SQLite under `BEGIN IMMEDIATE`.
A worker killed mid-batch loses nothing: its leases run out and another worker re-delivers the
same score with the same timestamp (at-least-once; the LMS keeps one value). Every update after
delivery names the timestamp that was sent, so a newer score queued meanwhile is never lost.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, delete, or_, select, update
from sqlalchemy.exc import OperationalError

from ..db import utcnow
from ..extensions import db
from .models import LatestScore, OutboxScore
from .settings import GradebookSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
OUTBOX = cast(Table, OutboxScore.__table__)
LATEST = cast(Table, LatestScore.__table__)
_rng = random.SystemRandom()


@dataclass(frozen=True)
class ClaimedScore:
    """An outbox row as it was when this worker claimed it."""

    id: int
    registration_id: int
    learner_id: int
    resource_link_pk: int
    user_sub: str
    resource_link_id: str
    lineitem_url: str | None
    lineitems_url: str | None
    resource_id: str | None
    tag: str | None
    label: str
    score_given: float
    score_maximum: float
    activity_progress: str
    grading_progress: str
    comment: str
    timestamp_ms: int
    tries: int

    @classmethod
    def from_row(cls, row: Any) -> ClaimedScore:
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt came to.

    kind: "delivered"; "retry" (transient, counts a try); "failed" (permanent); "released"
    (not tried: platform paused or busy, lease too short; back after `delay` seconds).
    """

    kind: str
    message: str = ""
    http_status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0


def in_write_transaction(fn: Callable[[Connection], T]) -> T:
    """Run `fn(conn)` in its own committed transaction; SQLite takes the write lock first
    (BEGIN IMMEDIATE), so concurrent writers queue instead of failing on a lock upgrade."""
    for attempt in range(5):
        try:
            with db.engine.connect() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                result = fn(conn)
                conn.commit()
                return result
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def claim_batch(worker_id: str, limit: int, lease_seconds: float) -> list[ClaimedScore]:
    """Lease up to `limit` due rows to `worker_id`; rows leased by others are skipped."""

    def claim(conn: Connection) -> list[ClaimedScore]:
        now = utcnow()
        due = (
            select(OUTBOX.c.id)
            .where(
                OUTBOX.c.status == "pending",
                OUTBOX.c.next_try_at <= now,
                or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
            )
            .order_by(OUTBOX.c.next_try_at, OUTBOX.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the write lock
        )
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(due.scalar_subquery()))
            .values(claimed_until=now + timedelta(seconds=lease_seconds), claimed_by=worker_id)
            .returning(*OUTBOX.c)
        )
        return [ClaimedScore.from_row(row) for row in conn.execute(stmt)]

    return in_write_transaction(claim)


def backoff_seconds(tries: int, settings: GradebookSettings) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^(tries-1))]."""
    ceiling = min(settings.backoff_cap, settings.backoff_base * (2 ** max(tries - 1, 0)))
    return _rng.uniform(0, ceiling)


def _release(conn: Connection, item: ClaimedScore, worker_id: str, delay: float = 0.0) -> None:
    values: dict[str, Any] = {"claimed_until": None, "claimed_by": None}
    if delay > 0:
        values["next_try_at"] = utcnow() + timedelta(seconds=delay)
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == item.id, OUTBOX.c.claimed_by == worker_id)
        .values(**values)
    )


def _record(
    conn: Connection,
    item: ClaimedScore,
    outcome: Outcome,
    worker_id: str,
    settings: GradebookSettings,
) -> str:
    now = utcnow()
    same = (OUTBOX.c.id == item.id, OUTBOX.c.timestamp_ms == item.timestamp_ms)
    if outcome.kind == "delivered":
        gone = conn.execute(delete(OUTBOX).where(*same)).rowcount
        conn.execute(
            update(LATEST)
            .where(
                LATEST.c.learner_id == item.learner_id,
                LATEST.c.resource_link_pk == item.resource_link_pk,
                LATEST.c.timestamp_ms == item.timestamp_ms,
            )
            .values(delivered_at=now)
        )
        if gone:
            return "delivered"
        _release(conn, item, worker_id)
        return "superseded"
    if outcome.kind == "released":
        _release(conn, item, worker_id, outcome.delay)
        return "released"
    tries = item.tries + 1
    values: dict[str, Any] = {
        "tries": tries,
        "last_try_at": now,
        "last_status": outcome.http_status,
        "last_error": outcome.message[:2000],
        "claimed_until": None,
        "claimed_by": None,
    }
    if outcome.kind == "failed" or tries >= settings.max_tries:
        values["status"], result = "failed", "failed"
    else:
        wait = backoff_seconds(tries, settings)
        if outcome.retry_after:
            wait = max(wait, min(outcome.retry_after, settings.retry_after_max))
        values["next_try_at"], result = now + timedelta(seconds=wait), "retry"
    changed = conn.execute(
        update(OUTBOX).where(*same, OUTBOX.c.claimed_by == worker_id).values(**values)
    ).rowcount
    if changed:
        return result
    _release(conn, item, worker_id)
    return "superseded"


def finish_many(
    done: Sequence[tuple[ClaimedScore, Outcome]], worker_id: str, settings: GradebookSettings
) -> list[str]:
    """Record the outcomes of several claimed rows in one transaction (one commit instead of
    one per row); returns what happened to each, as `finish` does."""
    if not done:
        return []
    results = in_write_transaction(
        lambda conn: [_record(conn, item, outcome, worker_id, settings) for item, outcome in done]
    )
    for (item, outcome), result in zip(done, results, strict=True):
        if result == "failed":
            log.warning(
                "score %s for %s failed after %s tries: %s",
                item.id,
                item.resource_link_id,
                item.tries + 1,
                outcome.message,
            )
        elif result == "retry":
            log.info("score %s will be tried again: %s", item.id, outcome.message)
    return results


def finish(
    item: ClaimedScore, outcome: Outcome, worker_id: str, settings: GradebookSettings
) -> str:
    """Record `outcome` for a claimed row; returns what happened to the row:
    "delivered", "retry", "failed", "released" or "superseded" (a newer score is waiting)."""
    return finish_many([(item, outcome)], worker_id, settings)[0]
