"""Privacy: everything the tool holds about one learner (export), erasure, and retention.

Tables are found from the database itself (SQLAlchemy reflection): every table with a
`learner_id` column belongs to the learner, so tables added by later features are covered
without changes here. Erasure deletes those rows, except tables listed by `keep_on_erasure`
(issued credentials, which carry only salted hashes and must stay verifiable), and blanks the
learner's own row (name, e-mail, LMS user id). Services flush; the caller commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..db import utcnow
from ..errors import NotFoundError
from ..extensions import db
from ..signals import learner_erasing
from .models import PrivacyEvent

log = logging.getLogger(__name__)
EXPORT_FORMAT = "microcred-learner-export/1"
ERASED_PREFIX = "erased-"
#: Tables whose rows survive an erasure (they hold no personal data in clear).
KEEP_ON_ERASURE: set[str] = {"awards"}
#: Columns of the learner's own row that identify the person.
PERSONAL_COLUMNS = ("name", "email", "sub")


def keep_on_erasure(table: str) -> None:
    """Keep `table`'s rows when a learner is erased (only for rows without personal data)."""
    KEEP_ON_ERASURE.add(table)


@dataclass
class ErasureReport:
    """What an erasure removed: rows deleted per table, and tables kept."""

    learner_ref: str
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)


def _metadata() -> sa.MetaData:
    meta = sa.MetaData()
    meta.reflect(bind=db.session.connection())
    return meta


def learner_tables(meta: sa.MetaData | None = None) -> list[sa.Table]:
    """Every table with a `learner_id` column, parents before children."""
    meta = meta or _metadata()
    return [t for t in meta.sorted_tables if "learner_id" in t.c]


def learner_ref(learner_id: int) -> str:
    """A salted, stable reference to a learner for audit rows (not reversible)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"learner:{learner_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(table: sa.Table, where: Any) -> list[dict[str, Any]]:
    result = db.session.execute(sa.select(table).where(where).order_by(*table.primary_key.columns))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def _learner_row(meta: sa.MetaData, learner_id: int) -> dict[str, Any]:
    learners = meta.tables["learners"]
    rows = _rows(learners, learners.c.id == learner_id)
    if not rows:
        raise NotFoundError(f"There is no learner {learner_id}.")
    return rows[0]


def export_learner(learner_id: int, actor: str) -> dict[str, Any]:
    """Everything the tool holds about one learner, as a JSON-ready document."""
    meta = _metadata()
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "learner": _learner_row(meta, learner_id),
        "tables": {t.name: _rows(t, t.c.learner_id == learner_id) for t in learner_tables(meta)},
    }
    _audit("export", learner_id, actor, {"tables": sorted(document["tables"])})
    return document


def _dependents(meta: sa.MetaData, table: sa.Table) -> list[tuple[sa.Table, sa.Column[Any], str]]:
    """(child table, its FK column, referenced column) for FKs pointing at `table`."""
    found = []
    for child in meta.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table and child is not table:
                found.append((child, fk.parent, fk.column.name))
    return found


def _delete(
    meta: sa.MetaData, table: sa.Table, where: Any, report: ErasureReport, depth: int = 0
) -> None:
    # Children first (their FKs may lack ON DELETE CASCADE, or SQLite may not enforce it).
    if depth < 4:
        for child, column, referenced in _dependents(meta, table):
            if child.name in KEEP_ON_ERASURE:
                continue
            parents = sa.select(table.c[referenced]).where(where)
            _delete(meta, child, column.in_(parents.scalar_subquery()), report, depth + 1)
    result: Any = db.session.execute(sa.delete(table).where(where))  # a CursorResult
    count = result.rowcount or 0
    if count:
        report.deleted[table.name] = report.deleted.get(table.name, 0) + count


def erase_learner(learner_id: int, actor: str) -> ErasureReport:
    """Delete the learner's personal data; issued credentials stay (salted hashes only)."""
    meta = _metadata()
    row = _learner_row(meta, learner_id)  # NotFoundError for an unknown id
    report = ErasureReport(learner_ref(learner_id))
    personal = {c: row[c] for c in PERSONAL_COLUMNS if row.get(c)}
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    learner_erasing.send(app, learner_id=learner_id, personal=personal)
    for table in reversed(learner_tables(meta)):
        where = table.c.learner_id == learner_id
        if table.name in KEEP_ON_ERASURE:
            kept = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(where))
            report.kept[table.name] = int(kept or 0)
            continue
        _delete(meta, table, where, report)
    learners = meta.tables["learners"]
    blank: dict[str, Any] = {c: None for c in PERSONAL_COLUMNS if c in learners.c and c != "sub"}
    blank["sub"] = ERASED_PREFIX + secrets.token_hex(12)
    db.session.execute(sa.update(learners).where(learners.c.id == learner_id).values(**blank))
    _audit("erase", learner_id, actor, {"deleted": report.deleted, "kept": report.kept})
    log.info("erased learner data", extra={"learner_ref": report.learner_ref})
    return report


def is_erased(learner_id: int) -> bool:
    """True when the learner's personal data was erased."""
    learners = _metadata().tables["learners"]
    sub = db.session.scalar(sa.select(learners.c.sub).where(learners.c.id == learner_id))
    return bool(sub and str(sub).startswith(ERASED_PREFIX))


def inactive_learners(days: int, meta: sa.MetaData | None = None) -> list[int]:
    """Learners (not yet erased) with no row touched in the last `days` days."""
    meta = meta or _metadata()
    cutoff = utcnow() - timedelta(days=days)
    learners = meta.tables["learners"]
    stale = set(
        db.session.scalars(
            sa.select(learners.c.id)
            .where(learners.c.created_at < cutoff)
            .where(sa.not_(learners.c.sub.startswith(ERASED_PREFIX)))
        )
    )
    for table in learner_tables(meta):
        times = [c for c in table.c if isinstance(c.type, sa.DateTime | sa.Date)]
        if times and stale:
            recent = sa.select(table.c.learner_id).where(sa.or_(*(c >= cutoff for c in times)))
            stale -= set(db.session.scalars(recent))
    return sorted(stale)


def purge_inactive(days: int, actor: str) -> list[ErasureReport]:
    """Erase every learner inactive for `days` days (the RETENTION_DAYS setting)."""
    return [erase_learner(learner_id, actor) for learner_id in inactive_learners(days)]


def _audit(action: str, learner_id: int, actor: str, detail: dict[str, Any]) -> None:
    db.session.add(
        PrivacyEvent(
            action=action,
            learner_ref=learner_ref(learner_id),
            actor=actor[:200],
            detail=json.dumps(detail, sort_keys=True),
        )
    )
    db.session.flush()


def find_learner(issuer: str, sub: str) -> int | None:
    """The id of the learner `sub` at `issuer`, or None."""
    learners = _metadata().tables["learners"]
    return db.session.scalar(
        sa.select(learners.c.id).where(learners.c.issuer == issuer, learners.c.sub == sub)
    )
