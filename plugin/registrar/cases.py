"""Credit cases: opened when a learner becomes eligible, decided by registrars, every decision
appended to the immutable log; revoked member credentials raise alerts on decided cases."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..credentials.models import Award
from ..db import utcnow
from ..errors import ConflictError, NotFoundError, ValidationError
from ..extensions import db
from . import eligibility, issuing
from .models import CreditCase, CreditCaseAward, CreditDecision, Pathway, PathwayMember

log = logging.getLogger(__name__)

#: Reason codes a decision may carry, with the words shown to registrars.
REASON_CODES: dict[str, str] = {
    "meets-requirements": "Meets every requirement",
    "evidence-incomplete": "Evidence incomplete",
    "credential-invalid": "A credential does not verify",
    "outside-recency": "Outside the recency window",
    "duplicate-credit": "Credit already granted for this course",
    "policy-exception": "Policy exception",
    "other": "Other (see note)",
}
ACTIONS = ("approve", "deny", "more-info")
DECIDED = ("approved", "denied")


@dataclass(frozen=True)
class RefreshResult:
    """What one eligibility run did for one pathway."""

    pathway_id: int
    opened: int
    alerts: int


def refresh_pathway(pathway: Pathway, now: datetime | None = None) -> RefreshResult:
    """Open a case (and issue the certificate and CLR) for each newly eligible learner, and
    raise alerts on decided cases whose member credentials were revoked since."""
    now = now or utcnow()
    new_ids = eligibility.eligible_learner_ids(pathway, now, new_only=True)
    opened = _open_cases(pathway, new_ids, now)
    alerts = raise_revocation_alerts(pathway.id)
    return RefreshResult(pathway.id, opened, alerts)


def refresh_learner(learner_id: int, achievement_id: str, now: datetime | None = None) -> int:
    """After `learner_id` earned `achievement_id`: open a case in every pathway that it
    completes for them; returns how many were opened."""
    now = now or utcnow()
    pathways = db.session.scalars(
        sa.select(Pathway)
        .join(PathwayMember, PathwayMember.pathway_id == Pathway.id)
        .where(PathwayMember.achievement_id == achievement_id)
    ).all()
    opened = 0
    for pathway in pathways:
        ids = eligibility.eligible_learner_ids(
            pathway, now, new_only=True, learner_ids=[learner_id]
        )
        opened += _open_cases(pathway, ids, now)
    return opened


def _open_cases(pathway: Pathway, learner_ids: list[int], now: datetime) -> int:
    """Open one case per learner, each in a savepoint: a case another process opened at the
    same moment, or a credential revoked in between, skips that learner only."""
    members = eligibility.qualifying_award_ids(pathway, learner_ids, now)
    opened = 0
    for learner_id in learner_ids:
        try:
            with db.session.begin_nested():
                case = CreditCase(
                    pathway_id=pathway.id,
                    learner_id=learner_id,
                    status="pending",
                    eligible_at=now,
                    members=[CreditCaseAward(award_id=i) for i in sorted(members[learner_id])],
                )
                db.session.add(case)
                db.session.flush()
                issuing.issue_stack(case, pathway)
        except (sa.exc.IntegrityError, ValidationError) as exc:
            log.warning("no case for learner %s in %s: %s", learner_id, pathway.slug, exc)
            continue
        opened += 1
        log.info("learner %s eligible for pathway %s: case %s", learner_id, pathway.slug, case.id)
    return opened


def raise_revocation_alerts(pathway_id: int | None = None) -> int:
    """Alert every approved case with a member credential revoked since; returns how many.

    One set-wise query finds them; a case is alerted once (its alert stays until reviewed).
    """
    stmt = (
        sa.select(CreditCase.id, Award.achievement_id, Award.revoked_at, Award.revoked_reason)
        .join(CreditCaseAward, CreditCaseAward.case_id == CreditCase.id)
        .join(Award, Award.id == CreditCaseAward.award_id)
        .where(
            CreditCase.status == "approved",
            CreditCase.alert.is_(None),
            Award.revoked_at.is_not(None),
        )
        .order_by(CreditCase.id, Award.id)
    )
    if pathway_id is not None:
        stmt = stmt.where(CreditCase.pathway_id == pathway_id)
    found: dict[int, list[str]] = {}
    for case_id, achievement_id, revoked_at, reason in db.session.execute(stmt):
        words = f"{achievement_id} revoked {revoked_at:%Y-%m-%d}"
        words += f" ({reason})" if reason else ""
        found.setdefault(case_id, []).append(words)
    for case_id, lines in found.items():
        case = get_case(case_id)
        where = "after the credit was posted" if case.posted_at else "after approval"
        case.alert = f"Member credential revoked {where}: {', '.join(lines)}."
        db.session.add(
            CreditDecision(
                case_id=case.id,
                action="alert",
                reason_code="credential-revoked",
                note=case.alert,
                status_before=case.status,
                status_after=case.status,
                decided_by="system",
                decided_at=utcnow(),
            )
        )
        log.warning("credit case %s: %s", case.id, case.alert)
    db.session.flush()
    return len(found)


def get_case(case_id: int) -> CreditCase:
    """One case; NotFoundError when there is none."""
    case = db.session.get(CreditCase, case_id)
    if case is None:
        raise NotFoundError("There is no such credit case.")
    return case


def decide(case: CreditCase, action: str, reason_code: str, note: str, by: str) -> CreditDecision:
    """Record a decision on `case` and move its status; the log row is never changed again.

    "approve" on a pathway with a second approver moves the case to awaiting-second; the
    approval of a different registrar completes it. Decided cases cannot be decided again,
    and a case already in an export batch cannot change.
    """
    problems = []
    if action not in ACTIONS:
        problems.append("Choose approve, deny or ask for more information.")
    if reason_code not in REASON_CODES:
        problems.append("Choose a reason code.")
    note = note.strip()
    if action in ("deny", "more-info") and not note:
        problems.append("Write a note saying why (the learner's advisor reads it).")
    if reason_code == "other" and not note:
        problems.append("Write a note for the reason 'Other'.")
    if problems:
        raise ValidationError(" ".join(problems))
    if case.status in DECIDED or case.export_batch_id is not None:
        raise ConflictError(f"This case was already {case.status}; decisions are final.")
    before = case.status
    logged = action
    if action == "approve":
        if case.pathway.second_approver and before != "awaiting-second":
            after = "awaiting-second"
            case.first_approver = by
        elif before == "awaiting-second":
            if case.first_approver == by:
                raise ConflictError("A second registrar must make the second approval.")
            after, logged = "approved", "second-approve"
        else:
            after = "approved"
    else:
        after = "denied" if action == "deny" else "needs-info"
    now = utcnow()
    case.status = after
    if after in DECIDED:
        case.decided_at = now
    entry = CreditDecision(
        case_id=case.id,
        action=logged,
        reason_code=reason_code,
        note=note,
        status_before=before,
        status_after=after,
        decided_by=by,
        decided_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    log.info("credit case %s: %s -> %s by %s", case.id, before, after, by)
    return entry


def decision_log(case_id: int) -> list[CreditDecision]:
    """The decisions of one case, oldest first."""
    return list(
        db.session.scalars(
            sa.select(CreditDecision)
            .where(CreditDecision.case_id == case_id)
            .order_by(CreditDecision.decided_at, CreditDecision.id)
        )
    )
