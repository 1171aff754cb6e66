"""Open Badges 3.0 builders: the shapes the 1EdTech schema and wallets expect."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from plugin.credentials import ob3

from .conftest import NOW, make_achievement

# Read by path, not through plugin.credentials.verify: the issuing code does not grade itself.
SCHEMA_FILE = (
    Path(__file__).resolve().parents[3]
    / "plugin/credentials/schema/ob_v3p0_achievementcredential_schema.json"
)
SCHEMA = json.loads(SCHEMA_FILE.read_text("utf-8"))


def _schema_errors(doc: dict[str, Any]) -> list[str]:
    validator = Draft201909Validator(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_signed_credential_validates_against_the_1edtech_schema(
    signed: dict[str, Any],
) -> None:
    assert _schema_errors(signed) == []


def test_the_1edtech_vector_as_published_fails_the_strict_schema_on_its_proof_object(
    testvector: dict[str, Any],
) -> None:
    # The trap in credentials.md §1.8: the strict schema wants proof as an array.
    errors = _schema_errors(testvector)
    assert errors and all("proof" in e for e in errors)
    testvector["proof"] = [testvector["proof"]]
    assert _schema_errors(testvector) == []


def test_credential_shape(signed: dict[str, Any], issuer: Any) -> None:
    assert signed["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert signed["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed["issuer"] == issuer.profile
    assert signed["name"] == "Tidy Data 101"  # wallets show it
    assert signed["validFrom"] == "2026-11-28T12:00:00Z"
    assert signed["credentialSchema"] == [
        {"id": ob3.SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}
    ]
    subject = signed["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["creditsEarned"] == 1
    assert subject["result"] == [
        {
            "type": ["Result"],
            "resultDescription": subject["achievement"]["id"] + "#score",
            "value": "92",
        }
    ]
    assert signed["evidence"][0]["type"] == ["Evidence"]
    assert signed["credentialStatus"]["type"] == "BitstringStatusListEntry"


def test_every_type_is_an_array_where_the_schema_allows_one(signed: dict[str, Any]) -> None:
    string_types = {
        "IdentityObject",
        "Image",
        "BitstringStatusListEntry",
        "DataIntegrityProof",
        "1EdTechJsonSchemaValidator2019",
    }

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str):
                assert kind in string_types, kind
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(signed)


def test_achievement_fields() -> None:
    achievement = make_achievement("https://x.edu/a/1")
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["criteria"] == {"narrative": "Score at least 70% on the module quizzes."}
    assert achievement["image"] == {
        "id": "https://x.edu/a/1/badge.svg",
        "type": "Image",
        "caption": "Tidy Data 101 badge",
    }
    assert achievement["creditsAvailable"] == 1
    assert achievement["resultDescription"] == [
        {
            "id": "https://x.edu/a/1#score",
            "type": ["ResultDescription"],
            "name": "Final score",
            "resultType": "Percent",
            "valueMin": "0",
            "valueMax": "100",
            "requiredValue": "70",
        }
    ]
    assert achievement["alignment"][0]["type"] == ["Alignment"]
    assert achievement["humanCode"] == "DATA101"
    assert achievement["tag"] == ["data", "spreadsheets"]
    assert achievement["inLanguage"] == "en"


def test_an_achievement_needs_criteria() -> None:
    with pytest.raises(ValueError, match="criteria"):
        ob3.achievement(achievement_id="https://x.edu/a", name="A", description="B")


def test_fractional_credits_stay_fractional() -> None:
    achievement = ob3.achievement(
        achievement_id="https://x.edu/a",
        name="A",
        description="B",
        criteria_id="https://x.edu/a/criteria",
        credits_available=1.5,
    )
    assert achievement["creditsAvailable"] == 1.5


def test_identity_hash_is_sha256_of_value_plus_salt() -> None:
    expected = "sha256$" + hashlib.sha256(b"ada@example.edu" + b"s4lt").hexdigest()
    assert ob3.identity_hash("ada@example.edu", "s4lt") == expected


def test_identity_object_is_hashed_salted_and_typed_as_the_schema_says() -> None:
    first = ob3.identity_object("emailAddress", "ada@example.edu")
    second = ob3.identity_object("emailAddress", "ada@example.edu")
    assert first["type"] == "IdentityObject"
    assert first["hashed"] is True
    assert first["identityType"] == "emailAddress"
    assert len(first["salt"]) == 32 and first["salt"] != second["salt"]
    assert first["identityHash"] == ob3.identity_hash("ada@example.edu", first["salt"])
    assert "ada@example.edu" not in json.dumps(first)


def test_a_credential_needs_a_recipient(make_credential: Any) -> None:
    with pytest.raises(ValueError, match="recipient"):
        make_credential(identifiers=[], subject_did=None)


def test_a_wallet_did_becomes_the_subject_id(make_credential: Any) -> None:
    vc = make_credential(subject_did="did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    assert vc["credentialSubject"]["id"].startswith("did:key:")


def test_valid_until_must_follow_valid_from(make_credential: Any) -> None:
    with pytest.raises(ValueError, match="validUntil"):
        make_credential(valid_until=NOW - timedelta(days=30))


def test_is_open_badge() -> None:
    assert ob3.is_open_badge({"type": ["VerifiableCredential", "AchievementCredential"]})
    assert not ob3.is_open_badge({"type": "VerifiableCredential"})
    assert not ob3.is_open_badge(None)
