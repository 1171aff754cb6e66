"""Eligibility, computed set-wise in SQL: one query per pathway finds every learner who holds
what it requires (works on SQLite and PostgreSQL; the awards indexes of migration 0005 keep it
fast).

A member award qualifies when it is a course award for a member achievement, not revoked, not
expired at `now`, has at least the member's minimum result, and (with a recency window) was
issued within it. A learner is eligible when the qualifying awards cover every required member
and number at least the pathway's N (all members for rule "all").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..credentials.models import Award
from ..db import utcnow
from ..extensions import db
from .models import CreditCase, Pathway


@dataclass(frozen=True)
class MemberCheck:
    """One member rule for one learner: met or not, and why."""

    achievement_id: str
    required: bool
    min_result: float
    met: bool
    reason: str
    award_id: int | None


def qualifying_awards(pathway: Pathway, now: datetime) -> sa.Select[int, int, str, bool]:
    """SELECT learner_id, award_id, achievement_id, required of every qualifying member award.

    One branch per member, with its own constants, joined by UNION ALL: PostgreSQL answers each
    from the partial covering index ix_awards_eligibility (achievement_id, score) alone.
    """
    awards = Award.__table__
    common = [
        awards.c.revoked_at.is_(None),
        awards.c.kind == "course",
        sa.or_(awards.c.valid_until.is_(None), awards.c.valid_until > now),
    ]
    if pathway.recency_days is not None:
        common.append(awards.c.issued_at >= now - timedelta(days=pathway.recency_days))
    branches = []
    for m in pathway.members:
        rule = [awards.c.achievement_id == m.achievement_id, *common]
        if m.min_result > 0:
            rule.append(awards.c.score >= m.min_result)
        branches.append(
            sa.select(
                awards.c.learner_id.label("learner_id"),
                awards.c.id.label("award_id"),
                awards.c.achievement_id.label("achievement_id"),
                sa.literal(m.required).label("required"),
            ).where(*rule)
        )
    if not branches:
        branches.append(
            sa.select(
                awards.c.learner_id,
                awards.c.id.label("award_id"),
                awards.c.achievement_id,
                sa.literal(False).label("required"),
            ).where(sa.false())
        )
    union = sa.union_all(*branches).subquery("member_awards")
    return sa.select(union.c.learner_id, union.c.award_id, union.c.achievement_id, union.c.required)


def eligible_learners_query(
    pathway: Pathway,
    now: datetime,
    *,
    new_only: bool = False,
    learner_ids: list[int] | None = None,
) -> sa.Select[int, int]:
    """The one set-wise query: (learner_id, qualifying member count) of every eligible learner.

    With `new_only`, learners who already have a credit case for the pathway are left out;
    `learner_ids` limits the query to those learners.
    """
    inner = qualifying_awards(pathway, now)
    if learner_ids is not None:
        inner = inner.where(inner.selected_columns.learner_id.in_(learner_ids))
    q = inner.subquery("q")
    stmt = (
        sa.select(q.c.learner_id, sa.func.count().label("held"))
        .group_by(q.c.learner_id)
        .having(sa.func.count() >= pathway.needed)
    )
    required_count = sum(1 for m in pathway.members if m.required)
    if pathway.rule == "n-of" and required_count:
        held_required = sa.func.sum(sa.case((q.c.required, 1), else_=0))
        stmt = stmt.having(held_required >= required_count)
    if new_only:
        cases = CreditCase.__table__
        stmt = stmt.where(
            ~sa.exists().where(
                cases.c.pathway_id == pathway.id, cases.c.learner_id == q.c.learner_id
            )
        )
    return stmt


def eligible_learner_ids(
    pathway: Pathway,
    now: datetime | None = None,
    *,
    new_only: bool = False,
    learner_ids: list[int] | None = None,
) -> list[int]:
    """Every learner eligible for `pathway` at `now` (of `learner_ids`, if given), by id."""
    stmt = eligible_learners_query(
        pathway, now or utcnow(), new_only=new_only, learner_ids=learner_ids
    )
    rows = db.session.execute(stmt.order_by(stmt.selected_columns[0])).all()
    return [row[0] for row in rows]


def qualifying_award_ids(
    pathway: Pathway, learner_ids: list[int], now: datetime | None = None
) -> dict[int, list[int]]:
    """The qualifying member award ids of each of `learner_ids` (for the CLR and the case)."""
    found: dict[int, list[int]] = {lid: [] for lid in learner_ids}
    for start in range(0, len(learner_ids), 500):
        chunk = learner_ids[start : start + 500]
        stmt = qualifying_awards(pathway, now or utcnow())
        stmt = stmt.where(stmt.selected_columns.learner_id.in_(chunk))
        for learner_id, award_id, _aid, _req in db.session.execute(stmt):
            found[learner_id].append(award_id)
    return found


def check_learner(
    pathway: Pathway, learner_id: int, now: datetime | None = None
) -> list[MemberCheck]:
    """Each member rule for one learner, met or not with the reason (for the evidence page)."""
    now = now or utcnow()
    ids = [m.achievement_id for m in pathway.members]
    held = {
        a.achievement_id: a
        for a in db.session.scalars(
            sa.select(Award).where(Award.learner_id == learner_id, Award.achievement_id.in_(ids))
        )
    }
    cutoff = now - timedelta(days=pathway.recency_days) if pathway.recency_days else None
    checks = []
    for m in pathway.members:
        award = held.get(m.achievement_id)
        reason = "met"
        if award is None:
            reason = "no credential"
        elif award.revoked_at is not None:
            reason = f"revoked {award.revoked_at:%Y-%m-%d}"
        elif award.valid_until is not None and award.valid_until <= now:
            reason = f"expired {award.valid_until:%Y-%m-%d}"
        elif m.min_result > 0 and (award.score is None or award.score < m.min_result):
            shown = "none" if award.score is None else f"{award.score:.0%}"
            reason = f"result {shown} is below the minimum {m.min_result:.0%}"
        elif cutoff is not None and award.issued_at < cutoff:
            window = f"{pathway.recency_days}-day window"
            reason = f"earned {award.issued_at:%Y-%m-%d}, outside the {window}"
        checks.append(
            MemberCheck(
                m.achievement_id,
                m.required or pathway.rule == "all",
                m.min_result,
                reason == "met",
                reason,
                award.id if award is not None else None,
            )
        )
    return checks


def rule_summary(pathway: Pathway, checks: list[MemberCheck]) -> tuple[bool, str]:
    """Whether the pathway's count rule is met by `checks`, and a sentence saying so."""
    met = sum(1 for c in checks if c.met)
    required_unmet = [c.achievement_id for c in checks if c.required and not c.met]
    if pathway.rule == "n-of":
        n = pathway.needed
        text = f"{met} of the {n} credentials needed (any {n} of {len(checks)})"
    else:
        text = f"{met} of all {len(checks)} credentials"
    if required_unmet and pathway.rule == "n-of":
        text += "; required but not met: " + ", ".join(required_unmet)
    return met >= pathway.needed and not required_unmet, text
