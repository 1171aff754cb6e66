"""A pathway's history: every change to its rules or credit, who made it, from what to what.

Degree credit follows these rules, so a registrar (or an auditor) must be able to see when a
minimum result, a member or the credit hours changed and who changed them. An edit or an import
(`pathways.apply_edit`, `pathways.import_program`) takes a `snapshot` first and `record`s the
difference after it, in the same transaction; the table is append-only in the database
(migration 0007).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..db import utcnow
from ..extensions import db
from .models import Pathway, PathwayChange

#: The fields a registrar sees, in page order, with the label the history shows.
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("version", "Version"),
    ("rule", "Rule"),
    ("n_required", "N (members needed)"),
    ("recency_days", "Recency window (days)"),
    ("expires_after_days", "Certificate expires after (days)"),
    ("credit_hours", "Credit hours"),
    ("credit_cap", "Credit cap (hours)"),
    ("credit_level", "Level"),
    ("institution_course", "Institution course"),
    ("grade_mode", "Grade mode"),
    ("subject", "Subject"),
    ("second_approver", "Second approver"),
    ("description", "Description"),
    ("certificate_json", "Certificate"),
)
#: Long texts: the history says that they changed, not what they say.
_LONG = frozenset({"description", "certificate_json"})
#: How many entries a pathway page shows, newest first.
PAGE_LIMIT = 50


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def snapshot(pathway: Pathway) -> dict[str, str]:
    """What the history compares: each field and each member, as short texts."""
    shot = {label: _text(getattr(pathway, name)) for name, label in FIELDS}
    for member in pathway.members:
        kind = "required" if member.required else "elective"
        shot[f"Member {member.achievement_id}"] = f"minimum {member.min_result:g}, {kind}"
    return shot


def _differences(before: dict[str, str], after: dict[str, str]) -> list[list[str]]:
    """[what, old, new] for each difference; only members come and go (old "" when added)."""
    long_labels = {label for name, label in FIELDS if name in _LONG}
    changes = []
    for what in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(what, ""), after.get(what, "removed")
        if old != new:
            changes.append([what, "", "changed"] if what in long_labels else [what, old, new])
    return changes


def record(
    pathway: Pathway, before: dict[str, str] | None, *, by: str, source: str
) -> PathwayChange | None:
    """Add the history entry for what changed since `before` (None: the pathway is new);
    None when nothing changed. Call after the change is flushed, before the commit."""
    if before is None:
        changes = [["Pathway", "", f"created, version {pathway.version}"]]
    else:
        changes = _differences(before, snapshot(pathway))
    if not changes:
        return None
    entry = PathwayChange(
        pathway_id=pathway.id,
        source=source,
        changed_by=by[:300],
        changed_at=utcnow(),
        changes=json.dumps(changes),
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class HistoryEntry:
    """One entry as the pathway page shows it."""

    changed_at: datetime
    changed_by: str
    source: str
    changes: list[tuple[str, str, str]]


def history(pathway: Pathway, limit: int = PAGE_LIMIT) -> list[HistoryEntry]:
    """The pathway's latest entries, newest first."""
    rows = db.session.scalars(
        sa.select(PathwayChange)
        .where(PathwayChange.pathway_id == pathway.id)
        .order_by(PathwayChange.changed_at.desc(), PathwayChange.id.desc())
        .limit(limit)
    )
    return [
        HistoryEntry(
            row.changed_at,
            row.changed_by,
            row.source,
            [(str(what), str(old), str(new)) for what, old, new in json.loads(row.changes)],
        )
        for row in rows
    ]
