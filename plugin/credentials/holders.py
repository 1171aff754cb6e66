"""The holder's side: the DID a learner binds to their wallet, and awards that completed
enrollments are still missing (issued when the learner opens the wallet)."""

from __future__ import annotations

from sqlalchemy import select

from ..db import utcnow
from ..errors import ValidationError
from ..extensions import db
from .models import Award, LearnerDid
from .multibase import MultibaseError, public_key_from_did_key
from .services import award_for_completion


def bind_did(learner_id: int, did: str) -> LearnerDid:
    """Bind a did:key to the learner's wallet; later credentials name it as their subject."""
    did = (did or "").strip()
    if not did.startswith("did:key:"):
        raise ValidationError("Enter a did:key identifier (it starts with did:key:z6Mk).")
    try:
        public_key_from_did_key(did)
    except MultibaseError as exc:
        raise ValidationError(f"This is not a valid did:key: {exc}") from exc
    did = did.partition("#")[0]
    row = db.session.get(LearnerDid, learner_id)
    if row is None:
        row = LearnerDid(learner_id=learner_id, did=did)
        db.session.add(row)
    row.did, row.bound_at = did, utcnow()
    db.session.flush()
    return row


def get_bound_did(learner_id: int) -> str | None:
    """The DID the learner bound, or None."""
    row = db.session.get(LearnerDid, learner_id)
    return row.did if row else None


def award_pending_completions(learner_id: int) -> list[Award]:
    """Issue awards for completed enrollments that have none (a failed listener loses nothing)."""
    from ..learning.models import Enrollment

    missing = db.session.scalars(
        select(Enrollment).where(
            Enrollment.learner_id == learner_id,
            Enrollment.completed_at.is_not(None),
            ~select(Award.id)
            .where(Award.learner_id == learner_id, Award.achievement_id == Enrollment.course_id)
            .exists(),
        )
    )
    made = []
    for enrollment in list(missing):
        award = award_for_completion(learner_id, enrollment.course_version_id)
        if award is not None:
            made.append(award)
    return made
