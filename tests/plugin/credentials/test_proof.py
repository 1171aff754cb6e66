"""eddsa-rdfc-2022 proofs: the 1EdTech golden vector, our signatures checked independently,
and every way a proof can be wrong."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest

from plugin.credentials import keys, multibase, proof
from plugin.credentials.resolve import KeyResolutionError, KeyResolver, static_fetcher

from . import independent_verifier
from .conftest import NOW

GOLDEN_HASH_DATA = (
    "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"
    "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
)
VECTOR_PUBLIC_KEY = bytes.fromhex(
    "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
)


# --- the 1EdTech test vector ------------------------------------------------------------------


def test_golden_hash_data_of_the_1edtech_vector(testvector: dict[str, Any]) -> None:
    vector_proof = testvector["proof"]
    assert independent_verifier.hash_data(testvector, vector_proof).hex() == GOLDEN_HASH_DATA
    unsecured = {k: v for k, v in testvector.items() if k != "proof"}
    config = {k: v for k, v in vector_proof.items() if k != "proofValue"}
    config["@context"] = testvector["@context"]
    assert proof.hash_data(config, unsecured).hex() == GOLDEN_HASH_DATA


def test_the_1edtech_vector_signature_verifies_independently(testvector: dict[str, Any]) -> None:
    assert independent_verifier.verify(testvector, VECTOR_PUBLIC_KEY)


def test_the_1edtech_vector_verifies_through_its_https_key_document(
    testvector: dict[str, Any], testvector_documents: dict[str, Any]
) -> None:
    result = proof.verify_proof(testvector, KeyResolver(static_fetcher(testvector_documents)))
    assert result.ok, result.reason
    assert result.signature_valid and result.controller_matches
    assert result.verification_method == testvector["proof"]["verificationMethod"]
    assert result.created == "2010-01-01T19:23:24Z"


def test_wrapping_the_vector_proof_in_an_array_keeps_it_valid(
    testvector: dict[str, Any], testvector_documents: dict[str, Any]
) -> None:
    testvector["proof"] = [testvector["proof"]]
    assert independent_verifier.verify(testvector, VECTOR_PUBLIC_KEY)
    assert proof.verify_proof(testvector, KeyResolver(static_fetcher(testvector_documents))).ok


# --- our signatures -----------------------------------------------------------------------------


def test_sign_adds_an_eddsa_rdfc_2022_proof_as_an_array(
    signed: dict[str, Any], issuer: Any
) -> None:
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    added = signed["proof"][0]
    assert added["type"] == "DataIntegrityProof"
    assert added["cryptosuite"] == "eddsa-rdfc-2022"
    assert added["proofPurpose"] == "assertionMethod"
    assert added["verificationMethod"] == issuer.key.key_id
    assert added["created"] == "2026-11-28T12:00:00Z"
    assert added["proofValue"].startswith("z")
    assert len(multibase.decode_multibase(added["proofValue"])) == 64


def test_the_independent_verifier_accepts_what_we_sign(signed: dict[str, Any], issuer: Any) -> None:
    public = independent_verifier.public_key_from_multibase(issuer.key.public_key_multibase)
    assert independent_verifier.verify(signed, public)


def test_sign_does_not_change_its_input(make_credential: Any, issuer: Any) -> None:
    unsigned = make_credential()
    before = copy.deepcopy(unsigned)
    proof.sign(unsigned, issuer.key, created=NOW)
    assert unsigned == before


def test_a_second_proof_is_appended_and_both_verify(signed: dict[str, Any], issuer: Any) -> None:
    other = keys.generate_signing_key(issuer.did)
    twice = proof.sign(signed, other, created=NOW)
    assert [p["verificationMethod"] for p in twice["proof"]] == [issuer.key.key_id, other.key_id]
    for index, key in enumerate([issuer.key, other]):
        public = independent_verifier.public_key_from_multibase(key.public_key_multibase)
        assert independent_verifier.verify(twice, public, proof_index=index)


def test_created_must_be_timezone_aware(make_credential: Any, issuer: Any) -> None:
    with pytest.raises(ValueError, match="timezone"):
        proof.sign(make_credential(), issuer.key, created=datetime(2026, 1, 1))  # naive


# --- what must fail -----------------------------------------------------------------------------


def _resolver_for(*signing_keys: keys.SigningKey) -> Any:
    found = {k.key_id: k.verification_key for k in signing_keys}

    def resolve(method: str) -> keys.VerificationKey:
        if method not in found:
            raise KeyResolutionError(f"unknown key {method}")
        return found[method]

    return resolve


@pytest.mark.parametrize(
    "tamper",
    [
        lambda vc: vc.__setitem__("name", "Advanced Data 999"),
        lambda vc: vc["credentialSubject"]["result"][0].__setitem__("value", "100"),
        lambda vc: vc["credentialSubject"].__setitem__("id", "did:example:someone-else"),
        lambda vc: vc["credentialSubject"]["identifier"][0].__setitem__(
            "identityHash", "sha256$" + hashlib.sha256(b"mallory@example.edu").hexdigest()
        ),
        lambda vc: vc["credentialSubject"]["achievement"].__setitem__("creditsAvailable", 30),
        lambda vc: vc.__setitem__("validUntil", "2099-01-01T00:00:00Z"),
    ],
    ids=["name", "score", "subject", "identifier", "credits", "expiry"],
)
def test_tampering_breaks_the_signature(signed: dict[str, Any], issuer: Any, tamper: Any) -> None:
    tampered = copy.deepcopy(signed)
    tamper(tampered)
    result = proof.verify_proof(tampered, _resolver_for(issuer.key))
    assert not result.ok
    assert result.signature_valid is False
    assert "invalid signature" in result.reason
    public = independent_verifier.public_key_from_multibase(issuer.key.public_key_multibase)
    assert not independent_verifier.verify(tampered, public)


def test_a_signature_by_another_key_under_the_same_id_fails(
    make_credential: Any, issuer: Any
) -> None:
    impostor = keys.SigningKey(issuer.key.key_id, issuer.did, bytes(32))
    forged = proof.sign(make_credential(), impostor, created=NOW)
    result = proof.verify_proof(forged, _resolver_for(issuer.key))
    assert result.signature_valid is False and not result.ok


def test_a_key_controlled_by_someone_else_fails_with_the_1edtech_message(
    make_credential: Any,
) -> None:
    stranger = keys.generate_did_key()  # signs validly, but does not speak for the issuer
    forged = proof.sign(make_credential(), stranger, created=NOW)
    result = proof.verify_proof(forged, KeyResolver())
    assert result.signature_valid is True
    assert result.controller_matches is False
    assert not result.ok
    assert result.reason.startswith("Key controller does not match issuer")


def test_a_proof_object_is_accepted_as_well_as_an_array(
    signed: dict[str, Any], issuer: Any
) -> None:
    as_object = {**signed, "proof": signed["proof"][0]}
    assert proof.verify_proof(as_object, _resolver_for(issuer.key)).ok


def test_an_unreachable_key_is_indeterminate_not_invalid(signed: dict[str, Any]) -> None:
    def unreachable(url: str) -> Any:
        raise TimeoutError("timed out")

    result = proof.verify_proof(signed, KeyResolver(unreachable))
    assert not result.ok
    assert result.indeterminate
    assert result.signature_valid is None
    assert "timed out" in result.reason


def test_one_valid_proof_in_a_set_is_enough(signed: dict[str, Any], issuer: Any) -> None:
    broken = copy.deepcopy(signed["proof"][0])
    broken["proofValue"] = "z" + multibase.b58encode(bytes(64))
    doc = {**signed, "proof": [broken, signed["proof"][0]]}
    assert proof.verify_proof(doc, _resolver_for(issuer.key)).ok


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"cryptosuite": "ecdsa-rdfc-2019"}, "no DataIntegrityProof with eddsa-rdfc-2022"),
        ({"type": "Ed25519Signature2020"}, "no DataIntegrityProof with eddsa-rdfc-2022"),
        ({"proofPurpose": "authentication"}, "proof purpose"),
        ({"proofValue": "uAAAA"}, "base58btc"),
        ({"proofValue": "z" + "1" * 10}, "64-byte"),
        ({"proofValue": 12}, "base58btc"),
        ({"verificationMethod": None}, "no verificationMethod"),
        ({"created": "yesterday"}, "XSD dateTime"),
        ({"@context": ["https://example.org/other"]}, "prefix"),
    ],
)
def test_malformed_proofs_fail_with_a_reason(
    signed: dict[str, Any], issuer: Any, change: dict[str, Any], reason: str
) -> None:
    doc = {**signed, "proof": [{**signed["proof"][0], **change}]}
    result = proof.verify_proof(doc, _resolver_for(issuer.key))
    assert not result.ok
    assert reason in result.reason


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        42,
        "text",
        [],
        {},
        {"proof": None},
        {"proof": 5},
        {"proof": [1, "x", None]},
        {
            "@context": 7,
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "verificationMethod": "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
                "proofPurpose": "assertionMethod",
                "proofValue": "z" + "2" * 88,
            },
        },
    ],
)
def test_verify_proof_never_raises(garbage: Any) -> None:
    result = proof.verify_proof(garbage, KeyResolver())
    assert not result.ok
    assert result.reason


def test_a_key_not_listed_for_assertions_is_refused(signed: dict[str, Any], issuer: Any) -> None:
    did_doc = keys.did_document(issuer.did, [issuer.key])
    did_doc["assertionMethod"] = []
    did_doc["authentication"] = [issuer.key.key_id]
    resolver = KeyResolver(static_fetcher({keys.did_web_document_url(issuer.did): did_doc}))
    result = proof.verify_proof(signed, resolver)
    assert not result.ok
    assert "does not authorize it for assertionMethod" in result.reason


def test_old_keys_keep_verifying_after_rotation(signed: dict[str, Any], issuer: Any) -> None:
    new = keys.generate_signing_key(issuer.did)
    did_doc = keys.did_document(issuer.did, [new, issuer.key.verification_key])
    resolver = KeyResolver(static_fetcher({keys.did_web_document_url(issuer.did): did_doc}))
    assert proof.verify_proof(signed, resolver).ok
    resigned = proof.sign(signed, new, created=NOW + timedelta(days=1))
    assert proof.verify_proof({**resigned, "proof": resigned["proof"][1:]}, resolver).ok
