"""Awards on a real database: issued once on completion, signed so an independent verifier
accepts them, valid against the 1EdTech schema, revocable, and verified with reasons."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from plugin import signals
from plugin.credentials import holders, keys, proof, services
from plugin.credentials.models import Award
from plugin.db import utcnow
from plugin.errors import ConflictError, ValidationError
from plugin.extensions import db
from tests.plugin.credentials import independent_verifier
from tests.plugin.credentials.factories import complete_course, make_learner, publish_sample

SCHEMA = (
    Path(__file__).resolve().parents[3]
    / "plugin/credentials/schema/ob_v3p0_achievementcredential_schema.json"
)


def served_public_key(client: Any, key_id: str) -> bytes:
    """The key as /.well-known/did.json publishes it (what a verifier would fetch)."""
    document = client.get("/.well-known/did.json").get_json()
    method = next(m for m in document["verificationMethod"] if m["id"] == key_id)
    assert method["controller"] == document["id"]
    return independent_verifier.public_key_from_multibase(method["publicKeyMultibase"])


def all_types_are_arrays(node: Any, path: str = "") -> list[str]:
    """Paths where a ``type`` is a string although the schema allows an array."""
    # Single-valued in the 1EdTech schema; every other type must be an array.
    strings_allowed = {
        "IdentityObject",
        "Image",
        "BitstringStatusListEntry",
        "DataIntegrityProof",
        "1EdTechJsonSchemaValidator2019",
    }
    found = []
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str) and kind not in strings_allowed:
            found.append(path or "(top)")
        for name, value in node.items():
            found += all_types_are_arrays(value, f"{path}.{name}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            found += all_types_are_arrays(value, f"{path}[{n}]")
    return found


def test_completion_award_is_a_signed_open_badge(app: Any, client: Any) -> None:
    with app.app_context():
        version = publish_sample()
        learner = make_learner(email="Grace@Example.edu")
        complete_course(learner, version, (1.0, 0.8, 0.9, 0.7, 0.6))
        award = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        assert award is not None
        credential = json.loads(award.credential_json)

        assert (award.achievement_id, award.course_id, award.kind) == (
            "data-spreadsheets",
            "data-spreadsheets",
            "course",
        )
        assert award.score == pytest.approx(0.8) and award.credits == 1
        assert award.valid_until - award.valid_from == timedelta(days=1825)

    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    assert isinstance(credential["proof"], list) and len(credential["proof"]) == 1
    assert all_types_are_arrays(credential) == []
    subject = credential["credentialSubject"]
    assert subject["result"][0]["value"] == "80"
    assert subject["creditsEarned"] == 1
    assert len(credential["evidence"]) == 5
    kinds = {i["identityType"]: i for i in subject["identifier"]}
    email = kinds["emailAddress"]
    assert email["hashed"] is True
    assert email["identityHash"] == keys_hash("grace@example.edu", email["salt"])
    assert kinds["ltiUserId"]["identityHash"] == keys_hash("user-grace", kinds["ltiUserId"]["salt"])
    assert "grace@example.edu" not in award.credential_json.lower()

    # An independent verifier (plain pyld + cryptography) accepts the served key's signature.
    key_id = credential["proof"][0]["verificationMethod"]
    assert credential["issuer"]["id"] == key_id.split("#")[0]
    assert independent_verifier.verify(credential, served_public_key(client, key_id))
    # The 1EdTech JSON schema accepts it.
    validator = Draft201909Validator(json.loads(SCHEMA.read_text("utf-8")))
    assert [e.message for e in validator.iter_errors(credential)] == []


def keys_hash(value: str, salt: str) -> str:
    import hashlib

    return "sha256$" + hashlib.sha256((value + salt).encode()).hexdigest()


def test_second_completion_returns_the_same_award(app: Any) -> None:
    with app.app_context():
        version = publish_sample()
        learner = make_learner()
        complete_course(learner, version)
        first = services.award_for_completion(learner.id, version.id)
        second = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        assert first is not None and second is not None and first.id == second.id
        assert db.session.query(Award).count() == 1


def test_completion_signal_awards_after_commit_and_announces(app: Any) -> None:
    announced: list[int] = []

    def listen(sender: Any, award_id: int, **_: Any) -> None:
        # award_issued comes after commit: a fresh session sees the row.
        with app.app_context():
            assert db.session.get(Award, award_id) is not None
        announced.append(award_id)

    signals.award_issued.connect(listen)
    try:
        with app.app_context():
            version = publish_sample()
            learner = make_learner()
            complete_course(learner, version)
            learner_id, version_id = learner.id, version.id
        with app.test_request_context():
            signals.course_completed.send(app, learner_id=learner_id, course_version_id=version_id)
            signals.course_completed.send(app, learner_id=learner_id, course_version_id=version_id)
        with app.app_context():
            awards = db.session.query(Award).all()
            assert [a.id for a in awards] == announced  # one award, announced once
    finally:
        signals.award_issued.disconnect(listen)


def test_course_without_credential_spec_earns_nothing(app: Any) -> None:
    with app.app_context():
        version = publish_sample()
        course = version.course
        course.pop("credential")
        version.course_json = json.dumps(course)
        learner = make_learner()
        complete_course(learner, version)
        assert services.award_for_completion(learner.id, version.id) is None


def test_revoked_award_verifies_as_revoked_at_once(app: Any) -> None:
    with app.app_context():
        version = publish_sample()
        learner = make_learner()
        complete_course(learner, version)
        award = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        assert services.verify_award(award.id).ok  # fills the status list cache
        with pytest.raises(ValidationError, match="reason"):
            services.revoke(award.id, "  ", by="instructor")
        services.revoke(award.id, "Academic misconduct found on review", by="Ada (lms)")
        db.session.commit()
        verdict = services.verify_award(award.id)
        assert not verdict.ok
        status = verdict.check("status")
        assert status is not None and status.status.value == "fail"
        assert status.reason.startswith("revoked")
        assert verdict.check("signature").status.value == "pass"
        with pytest.raises(ConflictError):
            services.revoke(award.id, "again", by="Ada")
        assert award.revoked_reason == "Academic misconduct found on review"


def _signed_award(app: Any) -> tuple[dict[str, Any], Any]:
    version = publish_sample()
    learner = make_learner()
    complete_course(learner, version)
    award = services.award_for_completion(learner.id, version.id)
    db.session.commit()
    return json.loads(award.credential_json), award


def test_tampered_and_wrongly_signed_credentials_fail_with_reasons(app: Any) -> None:
    with app.app_context():
        credential, _ = _signed_award(app)
        tampered = json.loads(json.dumps(credential))
        tampered["credentialSubject"]["creditsEarned"] = 30
        verdict = services.verify_document(tampered)
        assert verdict.check("signature").status.value == "fail"
        assert "changed" in verdict.check("signature").reason

        # Signed by someone else's key, claiming our issuer: the key is not in our DID document.
        stranger = keys.generate_did_key()
        unsigned = {k: v for k, v in credential.items() if k != "proof"}
        forged = proof.sign(unsigned, stranger, created=utcnow())
        verdict = services.verify_document(forged)
        assert not verdict.ok
        assert verdict.check("issuer key").status.value == "fail"


def test_expired_and_not_yet_valid(app: Any) -> None:
    with app.app_context():
        credential, _ = _signed_award(app)
        issued = credential["validFrom"]
        now = utcnow()
        later = services.verify_document(credential, now=now + timedelta(days=1830))
        assert later.check("validity").reason.startswith("expired")
        earlier = services.verify_document(credential, now=now - timedelta(days=1))
        assert earlier.check("validity").reason == f"not yet valid: valid from {issued}"
        assert not later.ok and not earlier.ok


def test_rotated_key_signs_new_awards_and_old_ones_still_verify(app: Any, client: Any) -> None:
    from plugin.credentials.issuer import rotate_key

    with app.app_context():
        old_credential, old_award = _signed_award(app)
        new_key = rotate_key()
        db.session.commit()
        learner = make_learner(sub="user-alan", name="Alan Turing")
        from plugin.catalog.services import find_version

        version = find_version("data-spreadsheets", "1.0.0")
        complete_course(learner, version)
        new_award = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        new_credential = json.loads(new_award.credential_json)
        assert new_credential["proof"][0]["verificationMethod"] == new_key.key_id
        assert old_credential["proof"][0]["verificationMethod"] != new_key.key_id
        assert services.verify_award(old_award.id).ok
        assert services.verify_award(new_award.id).ok
    methods = client.get("/.well-known/did.json").get_json()["assertionMethod"]
    assert len(methods) == 2


def test_bound_did_becomes_the_subject_id(app: Any) -> None:
    with app.app_context():
        version = publish_sample()
        learner = make_learner()
        with pytest.raises(ValidationError, match="did:key"):
            holders.bind_did(learner.id, "did:web:example.com")
        with pytest.raises(ValidationError, match="not a valid did:key"):
            holders.bind_did(learner.id, "did:key:z6MkNOTAKEY")
        wallet = keys.generate_did_key()
        holders.bind_did(learner.id, wallet.controller)
        complete_course(learner, version)
        award = services.award_for_completion(learner.id, version.id)
        subject = json.loads(award.credential_json)["credentialSubject"]
        assert subject["id"] == wallet.controller
        assert subject["identifier"]  # hashed identifiers stay alongside the DID


def test_certificate_stacks_member_awards(app: Any) -> None:
    with app.app_context():
        credential, member = _signed_award(app)
        spec = {
            "id": "program:data-literacy-foundations",
            "name": "Foundations of Data Literacy",
            "description": "Three micro-credentials.",
            "criteria": "Earn all three member micro-credentials.",
            "credit_hours": 3,
        }
        with pytest.raises(ValidationError):
            services.issue_certificate(member.learner_id, spec, [])
        certificate = services.issue_certificate(member.learner_id, spec, [member])
        db.session.commit()
        assert certificate.kind == "certificate"
        assert certificate.achievement_id == "program:data-literacy-foundations"
        doc = json.loads(certificate.credential_json)
        achievement = doc["credentialSubject"]["achievement"]
        assert achievement["achievementType"] == "Certificate"
        assert doc["evidence"][0]["id"] == credential["id"]
        assert services.verify_award(certificate.id).ok
        again = services.issue_certificate(member.learner_id, spec, [member])
        assert again.id == certificate.id
