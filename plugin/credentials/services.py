"""Issuing, revoking and verifying awards (the contract the registrar uses).

Services flush and never commit; the caller commits, then sends `signals.award_issued` for each
award in `new_awards()` (the completion listener in `plugin.credentials.listeners` does both).
An award is made at most once per learner and achievement: the row is inserted with
insert-or-ignore on that unique pair, so racing completions end with one award.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..catalog.models import CourseVersion
from ..db import utcnow
from ..errors import ConflictError, NotFoundError, ValidationError
from ..extensions import db
from ..lti.models import Learner
from . import ob3, proof, statuslist
from .achievements import achievement_document, build_achievement, save_achievement
from .achievements import achievement_for_version as _achievement_for_version
from .issuer import current_signing_key, get_profile, profile_json
from .models import Achievement, Award, LearnerDid
from .sql import insert_ignore
from .status import award_url, list_url, mark_full, open_list, random_index, set_revoked
from .trust import fetch_status_list, resolve_key
from .verify import Verdict, verify_credential

logger = logging.getLogger(__name__)

MAX_COLLISIONS = 16
_NEW = "microcred.credentials.new_awards"


@dataclass(frozen=True)
class Recipient:
    """Who receives a credential: salted hashed identifiers, plus a DID when bound."""

    identifiers: tuple[dict[str, Any], ...]
    did: str | None


def identifiers_of(learner: Learner) -> tuple[dict[str, Any], ...]:
    """Salted hashed identifiers: the e-mail (when the LMS gave one) and the LTI user id."""
    identifiers = []
    if learner.email:
        identifiers.append(ob3.identity_object("emailAddress", learner.email.strip().lower()))
    identifiers.append(ob3.identity_object("ltiUserId", learner.sub))
    return tuple(identifiers)


def recipient_of(learner: Learner) -> Recipient:
    """The learner's hashed identifiers and bound DID."""
    bound = db.session.get(LearnerDid, learner.id)
    return Recipient(identifiers_of(learner), bound.did if bound else None)


def new_awards() -> list[int]:
    """Ids of awards created in this session since the last call (send award_issued for them
    after commit)."""
    return list(db.session.info.pop(_NEW, []))


def get_award(award_id: int) -> Award | None:
    """The award with this id, or None."""
    return db.session.get(Award, award_id)


def get_award_by_public_id(public_id: str) -> Award | None:
    """The award whose credential id ends with ``public_id``, or None."""
    return db.session.scalars(select(Award).where(Award.public_id == public_id)).first()


def get_learner_award(learner_id: int, achievement_id: str) -> Award | None:
    """The learner's award for an achievement, or None."""
    return db.session.scalars(
        select(Award).where(Award.learner_id == learner_id, Award.achievement_id == achievement_id)
    ).first()


def list_awards(learner_id: int) -> list[Award]:
    """A learner's awards, newest first."""
    return list(
        db.session.scalars(
            select(Award).where(Award.learner_id == learner_id).order_by(Award.issued_at.desc())
        )
    )


def _graded_attempts(learner_id: int, course_version_id: int) -> list[Any]:
    from ..learning.models import Attempt

    return list(
        db.session.scalars(
            select(Attempt)
            .where(
                Attempt.learner_id == learner_id,
                Attempt.course_version_id == course_version_id,
                Attempt.status == "submitted",
                Attempt.points.is_not(None),
            )
            .order_by(Attempt.submitted_at, Attempt.id)
        )
    )


def _score(attempts: Sequence[Any]) -> float | None:
    """Best points per quiz over those quizzes' points (0..1); None without graded attempts."""
    best: dict[str, tuple[float, float]] = {}
    for a in attempts:
        points, top = float(a.points or 0), float(a.max_points or 0)
        if a.quiz_id not in best or points > best[a.quiz_id][0]:
            best[a.quiz_id] = (points, top)
    total = sum(top for _, top in best.values())
    return round(sum(p for p, _ in best.values()) / total, 4) if total > 0 else None


def _evidence(attempts: Sequence[Any]) -> list[dict[str, Any]]:
    items = []
    for a in attempts:
        when = a.submitted_at.date().isoformat() if a.submitted_at else ""
        items.append(
            ob3.evidence(
                evidence_id=f"urn:microcred:attempt:{a.id}",
                name=f"Quiz {a.quiz_id}, attempt {a.attempt_no}",
                description=f"Graded attempt in module {a.module_id}",
                narrative=f"Scored {a.points:g} of {a.max_points:g} points on {when}.",
                genre="Assessment",
            )
        )
    return items


def award_for_completion(learner_id: int, course_version_id: int) -> Award | None:
    """The learner's award for completing the course version (issued now unless it exists).

    None when the course's package defines no `credential`.
    """
    version = db.session.get(CourseVersion, course_version_id)
    if version is None:
        raise NotFoundError(f"There is no course version {course_version_id}.")
    existing = get_learner_award(learner_id, version.course_id)
    if existing is not None:
        return existing
    achievement = _achievement_for_version(version)
    if achievement is None:
        logger.info("course %s earns no credential; nothing awarded", version.course_id)
        return None
    attempts = _graded_attempts(learner_id, course_version_id)
    score = _score(attempts)
    document = achievement_document(achievement)
    return issue_award(
        learner_id,
        achievement,
        kind="course",
        course_id=version.course_id,
        course_version_id=version.id,
        score=score,
        credits=document.get("creditsAvailable"),
        evidence=_evidence(attempts),
    )


def issue_certificate(
    learner_id: int, achievement: Mapping[str, Any], members: list[Award]
) -> Award:
    """A stacked certificate for ``members``; ``achievement`` is a program's certificate spec.

    ``achievement`` keys: ``id`` ("program:<program id>"), ``name``, ``description``,
    ``criteria``, and optionally ``credit_hours``, ``achievement_type``, ``alignments``,
    ``expires_after_days``, ``human_code``, ``field_of_study``, ``tags``, ``version``.
    """
    achievement_id = str(achievement.get("id") or "")
    if not achievement_id or not achievement.get("name"):
        raise ValidationError("A certificate achievement needs an id and a name.")
    if not members:
        raise ValidationError("A certificate stacks at least one award.")
    if any(m.learner_id != learner_id for m in members):
        raise ValidationError("Every member award must belong to the learner.")
    if any(m.is_revoked for m in members):
        raise ValidationError("A revoked award cannot count toward a certificate.")
    existing = get_learner_award(learner_id, achievement_id)
    if existing is not None:
        return existing
    document = build_achievement(
        achievement_id, achievement, kind="certificate", version=achievement.get("version")
    )
    row = save_achievement(
        achievement_id,
        document,
        kind="certificate",
        expires_after_days=achievement.get("expires_after_days"),
    )
    evidence = [
        ob3.evidence(
            evidence_id=award_url(m.public_id),
            name=f"Credential: {m.achievement_id}",
            description="A member credential of this certificate",
            genre="Credential",
        )
        for m in members
    ]
    scores = [m.score for m in members if m.score is not None]
    return issue_award(
        learner_id,
        row,
        kind="certificate",
        score=round(sum(scores) / len(scores), 4) if scores else None,
        credits=document.get("creditsAvailable"),
        evidence=evidence,
    )


def build_credential(
    *,
    public_id: str,
    learner: Learner,
    recipient: Recipient,
    achievement: Mapping[str, Any],
    issuer: Mapping[str, Any],
    list_number: int,
    index: int,
    issued_at: datetime,
    valid_until: datetime | None,
    score: float | None,
    credits: float | None,
    evidence: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of one award."""
    results = []
    if score is not None:
        results.append(
            ob3.result(
                result_description_id=f"{achievement['id']}#score", value=round(100 * score, 2)
            )
        )
    return ob3.open_badge_credential(
        credential_id=award_url(public_id),
        issuer=issuer,
        achievement=achievement,
        valid_from=issued_at,
        valid_until=valid_until,
        identifiers=recipient.identifiers,
        subject_did=recipient.did,
        results=results,
        credits_earned=credits,
        evidence=evidence,
        status_entry=statuslist.status_entry(list_url(list_number), index),
        awarded_date=issued_at,
    )


def issue_award(
    learner_id: int,
    achievement: Achievement,
    *,
    kind: str,
    course_id: str | None = None,
    course_version_id: int | None = None,
    score: float | None = None,
    credits: float | None = None,
    evidence: Sequence[Mapping[str, Any]] = (),
) -> Award:
    """Sign and insert the award; when one exists (a racing call won) return that one."""
    learner = db.session.get(Learner, learner_id)
    if learner is None:
        raise NotFoundError(f"There is no learner {learner_id}.")
    recipient = recipient_of(learner)
    issuer = profile_json(get_profile(learner.registration_id))
    document = achievement_document(achievement)
    key = current_signing_key()
    issued_at = utcnow().replace(microsecond=0)
    valid_until = (
        issued_at + timedelta(days=achievement.expires_after_days)
        if achievement.expires_after_days
        else None
    )
    collisions = 0
    while True:
        listing = open_list()
        index, public_id = random_index(), str(uuid.uuid4())
        credential = build_credential(
            public_id=public_id,
            learner=learner,
            recipient=recipient,
            achievement=document,
            issuer=issuer,
            list_number=listing.number,
            index=index,
            issued_at=issued_at,
            valid_until=valid_until,
            score=score,
            credits=credits,
            evidence=evidence,
        )
        signed = proof.sign(credential, key, created=issued_at)
        db.session.execute(
            insert_ignore(Award).values(
                learner_id=learner_id,
                achievement_id=achievement.achievement_id,
                course_id=course_id,
                course_version_id=course_version_id,
                score=score,
                credits=credits,
                issued_at=issued_at,
                valid_from=issued_at,
                valid_until=valid_until,
                status_index=index,
                credential_json=json.dumps(signed),
                kind=kind,
                public_id=public_id,
                status_list_id=listing.id,
            )
        )
        award = get_learner_award(learner_id, achievement.achievement_id)
        if award is not None:
            if award.public_id == public_id:
                db.session.info.setdefault(_NEW, []).append(award.id)
                logger.info("award %s issued: %s", award.id, achievement.achievement_id)
            return award
        collisions += 1  # the status entry was taken: try another
        if collisions >= MAX_COLLISIONS:
            mark_full(listing)
            collisions = 0


def revoke(award_id: int, reason: str, by: str) -> None:
    """Revoke an award with a reason; its status bit is set and the list re-signed at once."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Give a reason for revoking the credential.")
    award = get_award(award_id)
    if award is None:
        raise NotFoundError("There is no such credential.")
    if award.is_revoked:
        raise ConflictError("This credential is already revoked.")
    award.revoked_at = utcnow()
    award.revoked_reason = reason[:2000]
    award.revoked_by = by[:300]
    set_revoked(award.status_list_id, award.status_index)
    db.session.flush()
    logger.info("award %s revoked by %s", award.id, by)


def verify_document(document: object, *, now: datetime | None = None) -> Verdict:
    """Verify any credential (ours or another issuer's): every check with its reason."""
    return verify_credential(
        document,
        resolve_key=resolve_key,
        fetch_status_list=fetch_status_list,
        now=now or utcnow(),
    )


def verify_award(award_id: int) -> Verdict:
    """Verify a stored award as any verifier would (signature, key, status, dates, schema)."""
    award = get_award(award_id)
    if award is None:
        raise NotFoundError("There is no such credential.")
    return verify_document(json.loads(award.credential_json))
