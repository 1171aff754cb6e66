"""Charts for registrars: the pathway funnel and time to completion, as accessible SVG (a title,
a description and text labels) always shown next to a data table with the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

import sqlalchemy as sa
from markupsafe import Markup, escape

from ..credentials.models import Award
from ..extensions import db
from ..learning.models import Enrollment
from .models import CreditCase, CreditCaseAward, Pathway

#: Time-to-completion buckets: (label, upper bound in days, inclusive).
BUCKETS: tuple[tuple[str, float], ...] = (
    ("up to 30 days", 30),
    ("31 to 90 days", 90),
    ("91 to 180 days", 180),
    ("181 to 365 days", 365),
    ("over a year", float("inf")),
)


@dataclass(frozen=True)
class Bar:
    """One bar: its label and value."""

    label: str
    value: int


def funnel(pathway: Pathway) -> list[Bar]:
    """Learners who started (enrolled in a member course or hold a member credential), earned
    each member, stacked (have a credit case), and were credited (approved)."""
    ids = [m.achievement_id for m in pathway.members]
    who = sa.union(
        sa.select(Enrollment.learner_id).where(Enrollment.course_id.in_(ids)),
        sa.select(Award.learner_id).where(Award.achievement_id.in_(ids), Award.kind == "course"),
    ).subquery()
    started = db.session.scalar(sa.select(sa.func.count()).select_from(who)) or 0
    per_member = dict(
        db.session.execute(
            sa.select(Award.achievement_id, sa.func.count())
            .where(
                Award.achievement_id.in_(ids), Award.kind == "course", Award.revoked_at.is_(None)
            )
            .group_by(Award.achievement_id)
        ).all()
    )
    statuses = dict(
        db.session.execute(
            sa.select(CreditCase.status, sa.func.count())
            .where(CreditCase.pathway_id == pathway.id)
            .group_by(CreditCase.status)
        ).all()
    )
    bars = [Bar("Started", started)]
    bars += [Bar(f"Earned {aid}", per_member.get(aid, 0)) for aid in ids]
    bars.append(Bar("Stacked", sum(statuses.values())))
    bars.append(Bar("Credited", statuses.get("approved", 0)))
    return bars


def time_to_completion(pathway: Pathway) -> list[Bar]:
    """Cases by days from the first member credential earned to eligibility (one query)."""
    first = (
        sa.select(CreditCase.eligible_at, sa.func.min(Award.issued_at))
        .join(CreditCaseAward, CreditCaseAward.case_id == CreditCase.id)
        .join(Award, Award.id == CreditCaseAward.award_id)
        .where(CreditCase.pathway_id == pathway.id)
        .group_by(CreditCase.id, CreditCase.eligible_at)
    )
    counts = [0] * len(BUCKETS)
    for eligible_at, earliest in db.session.execute(first):
        if earliest is None:
            continue
        if earliest.tzinfo is None:  # SQLite hands back naive values from an aggregate
            earliest = earliest.replace(tzinfo=UTC)
        days = max((eligible_at - earliest).total_seconds() / 86400, 0)
        index = next(i for i, (_, upper) in enumerate(BUCKETS) if days <= upper)
        counts[index] += 1
    return [Bar(label, n) for (label, _), n in zip(BUCKETS, counts, strict=True)]


def bar_chart_svg(bars: list[Bar], title: str, chart_id: str) -> Markup:
    """A horizontal bar chart: role="img" with a title and description; labels are text."""
    width, label_w, row_h = 640, 220, 30
    height = row_h * len(bars) + 10
    top = max((b.value for b in bars), default=0) or 1
    desc = "; ".join(f"{b.label}: {b.value}" for b in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'class="chart" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = 5 + i * row_h
        w = round((width - label_w - 60) * bar.value / top)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" class="chart-label">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 10}" class="chart-bar"/>'
            f'<text x="{label_w + w + 6}" y="{y + 19}" class="chart-value">{bar.value}</text>'
        )
    parts.append("</svg>")
    # Every piece of text above went through escape(); numbers are ints.
    return Markup("".join(parts))  # noqa: S704
