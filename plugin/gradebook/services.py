"""Gradebook services: put a score in the outbox, list and retry deliveries.

`enqueue_score` runs inside the caller's transaction (the graded attempt) and only flushes, so
the attempt and its outbox row commit together or not at all.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite

from ..db import utcnow
from ..errors import NotFoundError, ValidationError
from ..extensions import db
from ..lti.models import Deployment, Learner, ResourceLink
from .models import ACTIVITY_PROGRESS, GRADING_PROGRESS, LatestScore, OutboxScore

log = logging.getLogger(__name__)

#: The tag of line items the tool creates (and deep linking asks for).
LINE_ITEM_TAG = "microcred"


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _greatest(*args: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.greatest(*args)
    return func.max(*args)  # SQLite's scalar max() with several arguments


def format_timestamp(ms: int) -> str:
    """AGS timestamp text: ISO 8601 with milliseconds and a UTC offset."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+00:00"


def _check(score_given: float, score_maximum: float, activity: str, grading: str) -> None:
    problems = []
    if (
        not isinstance(score_given, int | float)
        or not math.isfinite(score_given)
        or score_given < 0
    ):
        problems.append("score_given must be a finite number >= 0")
    if (
        not isinstance(score_maximum, int | float)
        or not math.isfinite(score_maximum)
        or score_maximum <= 0
    ):
        problems.append("score_maximum must be a finite number > 0")
    if activity not in ACTIVITY_PROGRESS:
        problems.append(f"activity_progress must be one of {', '.join(ACTIVITY_PROGRESS)}")
    if grading not in GRADING_PROGRESS:
        problems.append(f"grading_progress must be one of {', '.join(GRADING_PROGRESS)}")
    if problems:
        raise ValidationError("; ".join(problems), code="GRADE_INVALID")


def line_item_identity(link: ResourceLink) -> tuple[str | None, str]:
    """(resourceId, label) for the line item of a placement, from its custom parameters."""
    custom = link.custom_params
    resource_id = custom.get("resource_id")
    if not resource_id and custom.get("course_id") and custom.get("module_id"):
        resource_id = f"{custom['course_id']}/{custom['module_id']}"
    resource_id = str(resource_id)[:255] if resource_id else None
    label = link.title or resource_id or "microcred activity"
    return resource_id, label[:500]


def enqueue_score(
    *,
    learner_id: int,
    resource_link_pk: int,
    score_given: float,
    score_maximum: float,
    activity_progress: str,
    grading_progress: str,
    comment: str = "",
) -> None:
    """Queue a score for the placement's line item, in the caller's transaction (flush only).

    A pending or failed row of the same learner and placement is replaced by this newer score
    (one row each, the newest value). The AGS timestamp is strictly increasing per learner and
    placement, even for two scores in one millisecond. A placement whose launch offered no
    Assignment and Grade Services has no gradebook to reach: nothing is queued then.
    """
    _check(score_given, score_maximum, activity_progress, grading_progress)
    found = db.session.execute(
        db.select(ResourceLink, Deployment.registration_id)
        .join(Deployment, Deployment.id == ResourceLink.deployment_pk)
        .where(ResourceLink.id == resource_link_pk)
    ).one_or_none()
    learner = db.session.get(Learner, learner_id)
    if found is None or learner is None:
        raise ValidationError(
            "The learner or the placement of this score is unknown.", code="GRADE_UNKNOWN_TARGET"
        )
    link, registration_id = found
    if learner.registration_id != registration_id:
        raise ValidationError(
            "The learner and the placement belong to different LMSs.", code="GRADE_WRONG_PLATFORM"
        )
    if not link.ags_lineitem and not link.ags_lineitems:
        log.info(
            "placement %s offers no grade service; score of learner %s not queued",
            resource_link_pk,
            learner_id,
        )
        return
    now = utcnow()
    timestamp_ms = _next_timestamp(
        learner_id,
        resource_link_pk,
        score_given,
        score_maximum,
        activity_progress,
        grading_progress,
        now,
    )
    resource_id, label = line_item_identity(link)
    values = {
        "registration_id": registration_id,
        "learner_id": learner_id,
        "resource_link_pk": resource_link_pk,
        "user_sub": learner.sub,
        "resource_link_id": link.resource_link_id,
        "lineitem_url": link.ags_lineitem,
        "lineitems_url": link.ags_lineitems,
        "resource_id": resource_id,
        "tag": LINE_ITEM_TAG,
        "label": label,
        "score_given": float(score_given),
        "score_maximum": float(score_maximum),
        "activity_progress": activity_progress,
        "grading_progress": grading_progress,
        "comment": comment or "",
        "timestamp_ms": timestamp_ms,
        "status": "pending",
        "tries": 0,
        "next_try_at": now,
        "last_error": None,
        "last_status": None,
    }
    stmt = _insert(OutboxScore.__table__).values(created_at=now, **values)
    # A claimed row keeps its claim: the worker delivering the older value sees the new
    # timestamp when it finishes, keeps the row, and hands it back for the next round.
    keep = {"registration_id", "learner_id", "resource_link_pk"}
    stmt = stmt.on_conflict_do_update(
        index_elements=["learner_id", "resource_link_pk"],
        set_={k: stmt.excluded[k] for k in values if k not in keep},
    )
    db.session.execute(stmt)


def _next_timestamp(
    learner_id: int,
    resource_link_pk: int,
    given: float,
    maximum: float,
    activity: str,
    grading: str,
    now: datetime,
) -> int:
    """Record the latest score; return its timestamp, one ms past the previous at least.

    The upsert locks the learner's row on PostgreSQL, so concurrent scores of one learner and
    placement are ordered too.
    """
    table = LatestScore.__table__
    stmt = _insert(table).values(
        learner_id=learner_id,
        resource_link_pk=resource_link_pk,
        timestamp_ms=int(time.time() * 1000),
        score_given=float(given),
        score_maximum=float(maximum),
        activity_progress=activity,
        grading_progress=grading,
        updated_at=now,
        delivered_at=None,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["learner_id", "resource_link_pk"],
        set_={
            "timestamp_ms": _greatest(stmt.excluded.timestamp_ms, table.c.timestamp_ms + 1),
            "score_given": stmt.excluded.score_given,
            "score_maximum": stmt.excluded.score_maximum,
            "activity_progress": stmt.excluded.activity_progress,
            "grading_progress": stmt.excluded.grading_progress,
            "updated_at": stmt.excluded.updated_at,
            "delivered_at": None,
        },
    ).returning(table.c.timestamp_ms)
    return int(db.session.execute(stmt).scalar_one())


def get_delivery(row_id: int) -> OutboxScore | None:
    """One outbox row, or None."""
    return db.session.get(OutboxScore, row_id)


def list_deliveries(
    resource_link_pks: Collection[int], status: str | None = None
) -> list[OutboxScore]:
    """Outbox rows of these placements (oldest first), only those with `status` when given."""
    if not resource_link_pks:
        return []
    query = db.select(OutboxScore).where(OutboxScore.resource_link_pk.in_(resource_link_pks))
    if status is not None:
        query = query.where(OutboxScore.status == status)
    return list(db.session.execute(query.order_by(OutboxScore.id)).scalars())


def retry_delivery(row_id: int, resource_link_pks: Collection[int] | None = None) -> OutboxScore:
    """Queue a failed delivery again, from its first try (NotFoundError outside the placements)."""
    row = db.session.get(OutboxScore, row_id)
    if row is None or (
        resource_link_pks is not None and row.resource_link_pk not in resource_link_pks
    ):
        raise NotFoundError(
            "This delivery is not in the outbox any more: it may have arrived.",
            code="GRADE_DELIVERY_UNKNOWN",
        )
    if row.status == "failed":
        row.status, row.tries, row.next_try_at = "pending", 0, utcnow()
        db.session.flush()
        log.info("delivery %s queued again by hand", row.id)
    return row


def retry_failed_deliveries(resource_link_pks: Collection[int] | None = None) -> int:
    """Queue every failed delivery (of these placements) again; return how many."""
    query = db.update(OutboxScore).where(OutboxScore.status == "failed")
    if resource_link_pks is not None:
        if not resource_link_pks:
            return 0
        query = query.where(OutboxScore.resource_link_pk.in_(resource_link_pks))
    result = db.session.execute(
        query.values(status="pending", tries=0, next_try_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delivery_counts(resource_link_pks: Collection[int] | None = None) -> dict[str, int]:
    """How many outbox rows are pending and failed (of these placements, or all)."""
    query = db.select(OutboxScore.status, func.count()).group_by(OutboxScore.status)
    if resource_link_pks is not None:
        query = query.where(OutboxScore.resource_link_pk.in_(resource_link_pks))
    counts = {"pending": 0, "failed": 0}
    counts.update({status: int(n) for status, n in db.session.execute(query)})
    return counts


def latest_scores(resource_link_pks: Collection[int]) -> list[LatestScore]:
    """The latest reported score of every learner on these placements."""
    if not resource_link_pks:
        return []
    return list(
        db.session.execute(
            db.select(LatestScore).where(LatestScore.resource_link_pk.in_(resource_link_pks))
        ).scalars()
    )
