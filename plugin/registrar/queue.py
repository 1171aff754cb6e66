"""The review queue: credit cases filtered by pathway, status and date, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..lti.models import Learner
from .models import CASE_STATUSES, CreditCase, Pathway

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters, parsed from the query string; `problems` lists bad values."""

    pathway_id: int | None = None
    status: str | None = "pending"
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    problems: tuple[str, ...] = ()

    def as_args(self, **override: object) -> dict[str, object]:
        """Query-string arguments for links (pagination keeps the filters)."""
        args: dict[str, object] = {
            "pathway": self.pathway_id or "",
            "status": self.status or "any",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "page": self.page,
        }
        args.update(override)
        return {k: v for k, v in args.items() if v not in ("", None)}


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue."""

    case: CreditCase
    learner_name: str
    pathway_title: str


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and how many rows match in all."""

    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def parse_filter(args: dict[str, str]) -> QueueFilter:
    """Read filters from the query string; bad values are ignored and reported."""
    problems: list[str] = []
    pathway_id: int | None = None
    raw = (args.get("pathway") or "").strip()
    if raw:
        if raw.isdigit():
            pathway_id = int(raw)
        else:
            problems.append("The pathway filter was not understood; showing every pathway.")
    status: str | None = args.get("status") or "pending"
    if status == "any":
        status = None
    elif status not in CASE_STATUSES:
        problems.append(f"There is no status '{status}'; showing pending cases.")
        status = "pending"
    dates: list[date | None] = []
    for key, label in (("from", "From"), ("to", "To")):
        value = (args.get(key) or "").strip()
        try:
            dates.append(date.fromisoformat(value) if value else None)
        except ValueError:
            problems.append(f"{label} date '{value}' is not a date like 2026-12-31; ignored.")
            dates.append(None)
    page_raw = args.get("page") or "1"
    page = int(page_raw) if page_raw.isdigit() and int(page_raw) > 0 else 1
    return QueueFilter(pathway_id, status, dates[0], dates[1], page, tuple(problems))


def list_queue(f: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    """The cases matching `f`, oldest eligibility first, one page of them."""
    conditions = []
    if f.pathway_id is not None:
        conditions.append(CreditCase.pathway_id == f.pathway_id)
    if f.status is not None:
        conditions.append(CreditCase.status == f.status)
    if f.date_from is not None:
        conditions.append(CreditCase.eligible_at >= datetime.combine(f.date_from, time(), UTC))
    if f.date_to is not None:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), UTC)
        conditions.append(CreditCase.eligible_at < end)
    total = (
        db.session.scalar(sa.select(sa.func.count()).select_from(CreditCase).where(*conditions))
        or 0
    )
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(f.page, pages)
    stmt = (
        sa.select(CreditCase, Learner.name, Learner.sub, Pathway.title)
        .join(Learner, Learner.id == CreditCase.learner_id)
        .join(Pathway, Pathway.id == CreditCase.pathway_id)
        .where(*conditions)
        .order_by(CreditCase.eligible_at, CreditCase.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [
        QueueRow(case, name or f"Learner {sub}", title)
        for case, name, sub, title in db.session.execute(stmt)
    ]
    return QueuePage(rows, total, page, pages)
