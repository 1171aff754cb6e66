"""CLR 2.0: a signed wrapper around signed credentials, with achievement associations."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from plugin.credentials import clr, ob3, proof
from plugin.credentials.resolve import KeyResolver
from plugin.credentials.verify import CheckStatus, verify_clr

from . import independent_verifier
from .conftest import NOW, PUBLIC_URL, make_achievement

CERTIFICATE = f"{PUBLIC_URL}/achievements/data-certificate"


@pytest.fixture
def record(issuer: Any, make_credential: Any) -> dict[str, Any]:
    """A signed CLR: a certificate and two micro-credentials that are its children."""
    micros = [make_achievement(f"{PUBLIC_URL}/achievements/micro-{n}") for n in (1, 2)]
    certificate = ob3.achievement(
        achievement_id=CERTIFICATE,
        name="Data Certificate",
        description="Two micro-credentials in data work.",
        criteria_narrative="Earn both micro-credentials.",
        achievement_type="Certificate",
        credits_available=2,
    )
    signed = [
        proof.sign(make_credential(achievement=a), issuer.key, created=NOW - timedelta(days=1))
        for a in [*micros, certificate]
    ]
    wrapper = clr.clr_credential(
        credential_id="urn:uuid:clr-0001",
        issuer=issuer.profile,
        valid_from=NOW - timedelta(hours=1),
        verifiable_credentials=signed,
        identifiers=[ob3.identity_object("ltiUserId", "lms-user-42")],
        achievements=[certificate, *micros],
        associations=[(m["id"], "isChildOf", CERTIFICATE) for m in micros],
    )
    return proof.sign(wrapper, issuer.key, created=NOW - timedelta(hours=1))


def test_clr_shape(record: dict[str, Any]) -> None:
    assert record["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert record["type"] == ["VerifiableCredential", "ClrCredential"]
    assert record["partial"] is False
    subject = record["credentialSubject"]
    assert subject["type"] == ["ClrSubject"]
    assert len(subject["verifiableCredential"]) == 3
    assert subject["association"][0] == {
        "type": "Association",
        "associationType": "isChildOf",
        "sourceId": f"{PUBLIC_URL}/achievements/micro-1",
        "targetId": CERTIFICATE,
    }


def test_the_clr_and_each_inner_credential_verify_independently(
    record: dict[str, Any], issuer: Any
) -> None:
    public = independent_verifier.public_key_from_multibase(issuer.key.public_key_multibase)
    assert independent_verifier.verify(record, public)
    for inner in record["credentialSubject"]["verifiableCredential"]:
        assert independent_verifier.verify(inner, public)


def test_verify_clr_passes_the_wrapper_and_every_credential(
    record: dict[str, Any], issuer: Any
) -> None:
    verdict = verify_clr(
        record, resolve_key=KeyResolver(issuer.fetch), fetch_status_list=issuer.fetch, now=NOW
    )
    assert verdict.ok, verdict.as_dict()
    assert verdict.wrapper.ok
    assert len(verdict.credentials) == 3 and all(v.ok for v in verdict.credentials)
    assert verdict.as_dict()["verdict"] == "pass"


def test_a_tampered_inner_credential_fails_it_and_the_wrapper(
    record: dict[str, Any], issuer: Any
) -> None:
    tampered = copy.deepcopy(record)
    tampered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"][
        "creditsEarned"
    ] = 30
    verdict = verify_clr(
        tampered, resolve_key=KeyResolver(issuer.fetch), fetch_status_list=issuer.fetch, now=NOW
    )
    assert verdict.status is CheckStatus.FAIL
    assert not verdict.credentials[0].ok and verdict.credentials[1].ok
    assert not verdict.wrapper.ok  # the wrapper signs its contents too


def test_a_revoked_inner_credential_shows_in_the_clr_verdict(
    record: dict[str, Any], issuer: Any
) -> None:
    issuer.revoke(record["credentialSubject"]["verifiableCredential"][1])
    verdict = verify_clr(
        record, resolve_key=KeyResolver(issuer.fetch), fetch_status_list=issuer.fetch, now=NOW
    )
    assert verdict.status is CheckStatus.FAIL
    assert verdict.wrapper.ok
    assert "revoked" in verdict.reason


@pytest.mark.parametrize("garbage", [None, {}, {"type": ["VerifiableCredential"]}, "{"])
def test_verify_clr_never_raises(garbage: Any) -> None:
    verdict = verify_clr(garbage, resolve_key=KeyResolver(), now=NOW)
    assert verdict.status is CheckStatus.FAIL


def test_builder_rules(issuer: Any, signed: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="at least one"):
        clr.clr_credential(
            credential_id="urn:x",
            issuer=issuer.profile,
            valid_from=NOW,
            verifiable_credentials=[],
            subject_did="did:example:1",
        )
    with pytest.raises(ValueError, match="association type"):
        clr.association("https://a", "isCousinOf", "https://b")
    partial = clr.clr_credential(
        credential_id="urn:x",
        issuer=issuer.profile,
        valid_from=NOW,
        verifiable_credentials=[signed],
        subject_did="did:example:1",
        partial=True,
    )
    assert partial["partial"] is True and partial["credentialSubject"]["id"] == "did:example:1"
