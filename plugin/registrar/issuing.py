"""Issuing a stack: the certificate credential (OB 3.0, achievement type Certificate) through
the credentials services, and the CLR 2.0 bundling the member credentials and the certificate
with `isChildOf` associations, signed with the issuer's key like every other credential."""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

from ..credentials import clr, proof, services
from ..credentials.issuer import current_signing_key, get_profile, profile_json
from ..credentials.models import Award
from ..credentials.status import award_url
from ..db import utcnow
from ..extensions import db
from ..lti.models import Learner
from .models import CreditCase, Pathway
from .pathways import certificate_spec

log = logging.getLogger(__name__)


def certificate_achievement_id(pathway: Pathway) -> str:
    """The contract's achievement id of a pathway's certificate."""
    return f"program:{pathway.slug}"


def member_awards(case: CreditCase) -> list[Award]:
    """The member awards that made the case, in id order."""
    ids = case.member_ids
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Award).where(Award.id.in_(ids)).order_by(Award.id)))


def issue_stack(case: CreditCase, pathway: Pathway) -> None:
    """Issue the certificate (kept if the learner already holds it) and the signed CLR."""
    members = member_awards(case)
    spec: dict[str, Any] = {
        "id": certificate_achievement_id(pathway),
        **certificate_spec(pathway),
        "version": pathway.version,
        "expires_after_days": pathway.expires_after_days,
    }
    certificate = services.issue_certificate(case.learner_id, spec, members)
    case.certificate_award_id = certificate.id
    case.clr_json = json.dumps(build_clr(case, certificate, members), ensure_ascii=False)
    db.session.flush()


def _achievement_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    subject = doc.get("credentialSubject")
    found = subject.get("achievement") if isinstance(subject, dict) else None
    return found if isinstance(found, dict) else None


def build_clr(case: CreditCase, certificate: Award, members: list[Award]) -> dict[str, Any]:
    """The signed ClrCredential: member credentials and the certificate, members isChildOf it."""
    learner = db.session.get(Learner, case.learner_id)
    assert learner is not None
    recipient = services.recipient_of(learner)
    cert_doc = json.loads(certificate.credential_json)
    member_docs = [json.loads(m.credential_json) for m in members]
    cert_achievement = _achievement_of(cert_doc)
    achievements = [a for a in (_achievement_of(d) for d in [cert_doc, *member_docs]) if a]
    associations = []
    if cert_achievement is not None:
        for doc in member_docs:
            member = _achievement_of(doc)
            if member is not None:
                associations.append((member["id"], "isChildOf", cert_achievement["id"]))
    now = utcnow()
    doc = clr.clr_credential(
        credential_id=award_url(certificate.public_id) + "/clr",
        issuer=profile_json(get_profile(learner.registration_id)),
        valid_from=now,
        verifiable_credentials=[*member_docs, cert_doc],
        subject_did=recipient.did,
        identifiers=recipient.identifiers,
        achievements=achievements,
        associations=associations,
        name=f"{case.pathway.title}: Comprehensive Learner Record",
    )
    return proof.sign(doc, current_signing_key(), created=now)


def clr_document(case: CreditCase) -> dict[str, Any] | None:
    """The signed CLR JSON of a case, when it was issued."""
    return json.loads(case.clr_json) if case.clr_json else None
