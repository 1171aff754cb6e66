"""verify_credential: each check named, and the right verdict for every kind of bad credential."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from plugin.credentials import jsonld, keys, multibase, proof, statuslist
from plugin.credentials.resolve import KeyResolver, static_fetcher
from plugin.credentials.verify import CheckStatus, verify_credential

from .conftest import LIST_URL, NOW

PASS, FAIL, UNKNOWN = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.INDETERMINATE


def _verify(doc: Any, issuer: Any, **kwargs: Any) -> Any:
    options = dict(resolve_key=KeyResolver(issuer.fetch), fetch_status_list=issuer.fetch, now=NOW)
    options.update(kwargs)
    return verify_credential(doc, **options)


def _statuses(verdict: Any) -> dict[str, CheckStatus]:
    return {check.name: check.status for check in verdict.checks}


def test_a_good_credential_passes_every_check(signed: dict[str, Any], issuer: Any) -> None:
    verdict = _verify(signed, issuer)
    assert _statuses(verdict) == {
        "schema": PASS,
        "signature": PASS,
        "issuer key": PASS,
        "status": PASS,
        "validity": PASS,
    }
    assert verdict.ok and verdict.status is PASS
    assert verdict.credential_id == signed["id"]
    assert verdict.issuer_id == issuer.did
    api = verdict.as_dict()
    assert api["verdict"] == "pass"
    assert [c["name"] for c in api["checks"]] == [
        "schema",
        "signature",
        "issuer key",
        "status",
        "validity",
    ]
    json.dumps(api)  # the API can serve it as is


def test_json_text_is_accepted(signed: dict[str, Any], issuer: Any) -> None:
    assert _verify(json.dumps(signed), issuer).ok


@pytest.mark.parametrize(
    "path",
    [
        ("name",),
        ("credentialSubject", "result", 0, "value"),
        ("credentialSubject", "identifier", 0, "identityHash"),
    ],
    ids=["name", "score", "subject"],
)
def test_tampered_credentials_fail_the_signature(
    signed: dict[str, Any], issuer: Any, path: tuple[Any, ...]
) -> None:
    tampered = copy.deepcopy(signed)
    target = tampered
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = "tampered"
    verdict = _verify(tampered, issuer)
    assert verdict.status is FAIL
    assert _statuses(verdict)["signature"] is FAIL
    assert "invalid signature" in verdict.check("signature").reason  # type: ignore[union-attr]


def test_signed_with_another_key_fails(make_credential: Any, issuer: Any) -> None:
    impostor = keys.SigningKey(issuer.key.key_id, issuer.did, bytes(range(32)))
    verdict = _verify(proof.sign(make_credential(), impostor, created=NOW), issuer)
    assert verdict.status is FAIL
    assert _statuses(verdict)["signature"] is FAIL


def test_a_key_controlled_by_someone_else_fails_the_issuer_key_check(
    make_credential: Any, issuer: Any
) -> None:
    stranger = keys.generate_did_key()
    verdict = _verify(proof.sign(make_credential(), stranger, created=NOW), issuer)
    assert _statuses(verdict)["signature"] is PASS
    assert _statuses(verdict)["issuer key"] is FAIL
    assert "Key controller does not match issuer" in verdict.check("issuer key").reason  # type: ignore[union-attr]
    assert verdict.status is FAIL


def test_a_revoked_credential_fails_the_status_check(signed: dict[str, Any], issuer: Any) -> None:
    assert _verify(signed, issuer).ok
    issuer.revoke(signed)
    verdict = _verify(signed, issuer)
    assert verdict.status is FAIL
    assert _statuses(verdict) == {
        "schema": PASS,
        "signature": PASS,
        "issuer key": PASS,
        "status": FAIL,
        "validity": PASS,
    }
    assert verdict.reason.startswith("revoked")


def test_a_suspended_credential_fails_and_says_so(make_credential: Any, issuer: Any) -> None:
    vc = make_credential()
    vc["credentialStatus"] = {**vc["credentialStatus"], "statusPurpose": "suspension"}
    signed = proof.sign(vc, issuer.key, created=NOW)
    issuer.revoke(signed)
    issuer.documents[LIST_URL] = proof.sign(
        statuslist.status_list_credential(
            LIST_URL,
            issuer.did,
            statuslist.encode_list(issuer.bits),
            NOW - timedelta(days=1),
            purpose="suspension",
        ),
        issuer.key,
        created=NOW,
    )
    assert _verify(signed, issuer).check("status").reason.startswith("suspended")  # type: ignore[union-attr]


def test_an_unreachable_status_list_is_indeterminate_never_not_revoked(
    signed: dict[str, Any], issuer: Any
) -> None:
    issuer.unreachable.add(LIST_URL)
    verdict = _verify(signed, issuer)
    assert _statuses(verdict)["status"] is UNKNOWN
    assert verdict.status is UNKNOWN
    assert not verdict.ok
    assert "could not be fetched" in verdict.reason


def test_no_status_fetcher_is_indeterminate_too(signed: dict[str, Any], issuer: Any) -> None:
    verdict = _verify(signed, issuer, fetch_status_list=None)
    assert _statuses(verdict)["status"] is UNKNOWN


def test_a_status_list_whose_proof_fails_is_not_trusted(
    signed: dict[str, Any], issuer: Any
) -> None:
    issuer.revoke(signed)
    forged = copy.deepcopy(issuer.documents[LIST_URL])
    forged["credentialSubject"]["encodedList"] = statuslist.encode_list(statuslist.new_bitstring())
    issuer.documents[LIST_URL] = forged  # "not revoked" again, but the list's proof breaks
    verdict = _verify(signed, issuer)
    assert _statuses(verdict)["status"] is UNKNOWN
    assert "proof does not hold" in verdict.check("status").reason  # type: ignore[union-attr]


def test_a_status_list_signed_by_someone_else_is_not_trusted(
    signed: dict[str, Any], issuer: Any
) -> None:
    stranger = keys.generate_did_key()
    issuer.documents[LIST_URL] = proof.sign(
        statuslist.status_list_credential(
            LIST_URL,
            stranger.controller,
            statuslist.encode_list(statuslist.new_bitstring()),
            NOW - timedelta(days=1),
        ),
        stranger,
        created=NOW,
    )
    verdict = _verify(signed, issuer)
    assert _statuses(verdict)["status"] is UNKNOWN
    assert "someone other than the credential's issuer" in verdict.reason


def test_a_list_served_under_another_url_is_not_trusted(
    signed: dict[str, Any], issuer: Any
) -> None:
    other = copy.deepcopy(issuer.documents[LIST_URL])
    issuer.documents[LIST_URL] = {**other, "id": "https://elsewhere.example/list"}
    assert _statuses(_verify(signed, issuer))["status"] is UNKNOWN


def test_an_expired_credential_fails_validity(make_credential: Any, issuer: Any) -> None:
    vc = make_credential(valid_from=NOW - timedelta(days=400), valid_until=NOW - timedelta(days=1))
    verdict = _verify(proof.sign(vc, issuer.key, created=NOW - timedelta(days=400)), issuer)
    assert _statuses(verdict)["validity"] is FAIL
    assert _statuses(verdict)["signature"] is PASS
    assert verdict.reason.startswith("expired")


def test_a_not_yet_valid_credential_fails_validity(make_credential: Any, issuer: Any) -> None:
    vc = make_credential(valid_from=NOW + timedelta(days=2), valid_until=None)
    verdict = _verify(proof.sign(vc, issuer.key, created=NOW), issuer)
    assert _statuses(verdict)["validity"] is FAIL
    assert verdict.reason.startswith("not yet valid")


def test_schema_failures_are_reported_with_their_place(make_credential: Any, issuer: Any) -> None:
    vc = make_credential()
    vc["credentialSubject"]["achievement"]["type"] = "Achievement"  # a string, not an array
    verdict = _verify(proof.sign(vc, issuer.key, created=NOW), issuer)
    assert _statuses(verdict)["schema"] is FAIL
    assert _statuses(verdict)["signature"] is PASS
    assert "credentialSubject.achievement.type" in verdict.reason


def test_schema_check_can_be_skipped(make_credential: Any, issuer: Any) -> None:
    vc = make_credential()
    vc["credentialSubject"]["achievement"]["type"] = "Achievement"
    verdict = _verify(proof.sign(vc, issuer.key, created=NOW), issuer, schema=False)
    assert verdict.ok and verdict.check("schema") is None


def test_the_1edtech_vector_verifies_except_for_its_proof_object(
    testvector: dict[str, Any], testvector_documents: dict[str, Any]
) -> None:
    resolver = KeyResolver(static_fetcher(testvector_documents))
    verdict = verify_credential(testvector, resolve_key=resolver, now=NOW)
    assert _statuses(verdict) == {
        "schema": FAIL,
        "signature": PASS,
        "issuer key": PASS,
        "status": PASS,
        "validity": PASS,
    }
    assert "proof" in verdict.check("schema").reason  # type: ignore[union-attr]
    testvector["proof"] = [testvector["proof"]]
    assert verify_credential(testvector, resolve_key=resolver, now=NOW).ok


def test_any_issuer_with_a_did_key_verifies_offline(make_credential: Any) -> None:
    holder = keys.generate_did_key()
    vc = make_credential(
        issuer={"id": holder.controller, "type": ["Profile"], "name": "Peer"}, status_entry=None
    )
    verdict = verify_credential(
        proof.sign(vc, holder, created=NOW), resolve_key=KeyResolver(), now=NOW
    )
    assert verdict.ok, verdict.as_dict()


def test_a_key_document_that_cannot_be_fetched_is_indeterminate(
    signed: dict[str, Any], issuer: Any
) -> None:
    issuer.unreachable.add(keys.did_web_document_url(issuer.did))
    verdict = _verify(signed, issuer)
    assert _statuses(verdict)["signature"] is UNKNOWN
    assert _statuses(verdict)["issuer key"] is UNKNOWN
    assert verdict.status is UNKNOWN


def test_an_unbundled_context_is_indeterminate(make_credential: Any, issuer: Any) -> None:
    vc = make_credential()
    vc["@context"] = [*vc["@context"], "https://example.org/unknown-context.json"]
    doc = {
        **vc,
        "proof": [
            {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": "2026-01-01T00:00:00Z",
                "verificationMethod": issuer.key.key_id,
                "proofPurpose": "assertionMethod",
                "proofValue": multibase.encode_base58btc(bytes(range(64))),
            }
        ],
    }
    verdict = _verify(doc, issuer)
    assert _statuses(verdict)["signature"] is UNKNOWN
    assert "not bundled" in verdict.check("signature").reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        3,
        "not json",
        "[1, 2]",
        b"{",
        [],
        {},
        {"@context": "x"},
        {
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": 5,
            "credentialStatus": [1, {"type": "BitstringStatusListEntry"}],
            "validFrom": "soon",
            "proof": {"type": "DataIntegrityProof"},
        },
        {
            "type": ["VerifiableCredential"],
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "999999999",
                "statusListCredential": LIST_URL,
            },
        },
    ],
)
def test_malformed_input_never_raises(garbage: Any, issuer: Any) -> None:
    verdict = _verify(garbage, issuer)
    assert verdict.status is not PASS
    assert verdict.checks and all(check.reason for check in verdict.checks)


def test_naive_now_is_a_programming_error(signed: dict[str, Any], issuer: Any) -> None:
    with pytest.raises(ValueError):
        _verify(signed, issuer, now=NOW.replace(tzinfo=None))


def test_1edtech_revocation_lists_are_read(make_credential: Any, issuer: Any) -> None:
    vc = make_credential(
        status_entry={
            "id": "https://badges.example.edu/revocations",
            "type": "1EdTechRevocationList",
        }
    )
    vc["@context"].append(jsonld.OB_EXTENSIONS)  # where 1EdTech defines the type
    signed = proof.sign(vc, issuer.key, created=NOW)
    issuer.documents["https://badges.example.edu/revocations"] = {"revokedCredential": []}
    assert _verify(signed, issuer).check("status").status is PASS  # type: ignore[union-attr]
    issuer.documents["https://badges.example.edu/revocations"] = {
        "revokedCredential": [{"id": signed["id"], "revoked": True, "revocationReason": "error"}]
    }
    assert _verify(signed, issuer).check("status").reason == "revoked: error"  # type: ignore[union-attr]
