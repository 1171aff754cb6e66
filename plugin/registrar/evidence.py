"""The evidence behind one credit case: each member credential with a live verification, its
score, dates, course version and quiz attempts, and the pathway rules met or not."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..catalog.models import CourseVersion
from ..credentials import services
from ..credentials.models import Award
from ..db import utcnow
from ..extensions import db
from ..learning.models import Attempt
from ..lti.models import Learner
from . import eligibility
from .models import CreditCase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verification:
    """A verification outcome as the page shows it."""

    status: str  # "pass", "fail", "indeterminate"
    reason: str
    checks: tuple[tuple[str, str, str], ...]  # (name, result, reason)


@dataclass(frozen=True)
class CredentialEvidence:
    """One member credential of a case."""

    award: Award
    name: str
    verification: Verification
    course_version: str | None
    attempts: int
    best_attempt: float | None


@dataclass(frozen=True)
class Evidence:
    """Everything the evidence page shows for one case."""

    case: CreditCase
    learner: Learner
    credentials: tuple[CredentialEvidence, ...]
    checks: tuple[eligibility.MemberCheck, ...]
    rule_met: bool
    rule_text: str
    now: datetime


def verify_award(award: Award) -> Verification:
    """Verify an award now, as any verifier would (the credentials service).

    A revoked award fails whatever its signature says (the status list may lag a moment).
    """
    try:
        verdict = services.verify_award(award.id)
        status, reason = verdict.status.value, verdict.reason
        checks = tuple((c.name, c.status.value, c.reason) for c in verdict.checks)
    except Exception as exc:  # a verifier crash must not hide the rest of the evidence
        log.exception("verifying award %s failed", award.id)
        status, reason, checks = "indeterminate", f"verification could not run: {exc}", ()
    if award.revoked_at is not None:
        status = "fail"
        reason = f"revoked on {award.revoked_at:%Y-%m-%d}" + (
            f": {award.revoked_reason}" if award.revoked_reason else ""
        )
    return Verification(status, reason, checks)


def _name(award: Award) -> str:
    try:
        doc = json.loads(award.credential_json)
    except ValueError:
        return award.achievement_id
    name = doc.get("name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) and name else award.achievement_id


def gather(case: CreditCase) -> Evidence:
    """The evidence of `case`, verified now."""
    now = utcnow()
    learner = db.session.get(Learner, case.learner_id)
    assert learner is not None
    checks = eligibility.check_learner(case.pathway, case.learner_id, now)
    ids = sorted({*case.member_ids, *(c.award_id for c in checks if c.award_id)})
    awards = list(db.session.scalars(sa.select(Award).where(Award.id.in_(ids)).order_by(Award.id)))
    items = []
    for award in awards:
        version = (
            db.session.get(CourseVersion, award.course_version_id)
            if award.course_version_id
            else None
        )
        tries, best = 0, None
        if award.course_version_id is not None:
            tries, best = db.session.execute(
                sa.select(sa.func.count(), sa.func.max(Attempt.fraction)).where(
                    Attempt.learner_id == case.learner_id,
                    Attempt.course_version_id == award.course_version_id,
                    Attempt.status == "submitted",
                )
            ).one()
        items.append(
            CredentialEvidence(
                award,
                _name(award),
                verify_award(award),
                f"{version.course_id} {version.version}" if version else None,
                tries or 0,
                best,
            )
        )
    met, text = eligibility.rule_summary(case.pathway, checks)
    return Evidence(case, learner, tuple(items), tuple(checks), met, text, now)
