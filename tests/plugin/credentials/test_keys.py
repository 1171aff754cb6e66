"""Signing keys, Multikey JSON, DID documents and did:web names."""

from __future__ import annotations

import logging
import pickle

import pytest

from plugin.credentials import keys, multibase


def test_a_generated_key_signs_and_its_public_half_verifies() -> None:
    key = keys.generate_signing_key("did:web:badges.example.edu")
    assert key.key_id == f"did:web:badges.example.edu#{key.public_key_multibase}"
    signature = key.sign(b"data")
    assert key.verification_key.verify(signature, b"data")
    assert not key.verification_key.verify(signature, b"other data")


def test_the_private_key_never_shows_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    key = keys.generate_signing_key("did:web:badges.example.edu")
    secret_forms = {key.private_key.hex(), repr(key.private_key)[2:-1]}
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("key %s / %r", key, key)
    shown = repr(key) + str(key) + caplog.text
    assert all(form not in shown for form in secret_forms)
    assert "private_key" not in repr(key)


def test_keys_survive_pickling_for_batch_workers() -> None:
    key = keys.generate_signing_key("did:web:badges.example.edu")
    clone = pickle.loads(pickle.dumps(key))
    assert clone == key
    assert key.verification_key.verify(clone.sign(b"x"), b"x")


def test_a_key_is_rebuilt_from_its_seed() -> None:
    key = keys.generate_signing_key("did:web:badges.example.edu")
    again = keys.signing_key_from_seed(key.private_key, key.controller)
    assert again.key_id == key.key_id
    assert again.public_key == key.public_key


def test_did_key_controls_itself() -> None:
    key = keys.generate_did_key()
    assert key.controller.startswith("did:key:z6Mk")
    assert key.key_id == multibase.did_key_verification_method(key.controller)
    assert multibase.public_key_from_did_key(key.controller) == key.public_key


def test_multikey_json() -> None:
    key = keys.generate_signing_key("did:web:x.edu")
    assert keys.multikey(key) == {
        "id": key.key_id,
        "type": "Multikey",
        "controller": "did:web:x.edu",
        "publicKeyMultibase": key.public_key_multibase,
    }
    assert keys.multikey(key, with_context=True)["@context"] == keys.MULTIKEY_V1_CONTEXT


def test_did_document_lists_current_and_rotated_keys_for_assertions() -> None:
    did = "did:web:badges.example.edu"
    old, new = keys.generate_signing_key(did), keys.generate_signing_key(did)
    doc = keys.did_document(did, [new, old.verification_key])
    assert doc["@context"] == [keys.DID_V1_CONTEXT, keys.MULTIKEY_V1_CONTEXT]
    assert doc["id"] == did
    assert [m["id"] for m in doc["verificationMethod"]] == [new.key_id, old.key_id]
    assert doc["assertionMethod"] == [new.key_id, old.key_id]
    assert "private" not in repr(doc).lower()


def test_did_document_refuses_someone_elses_key() -> None:
    with pytest.raises(ValueError, match="controlled by"):
        keys.did_document("did:web:a.edu", [keys.generate_signing_key("did:web:b.edu")])


@pytest.mark.parametrize(
    ("url", "did", "document"),
    [
        (
            "http://localhost:5000",
            "did:web:localhost%3A5000",
            "https://localhost:5000/.well-known/did.json",
        ),
        (
            "https://Badges.Example.edu/",
            "did:web:badges.example.edu",
            "https://badges.example.edu/.well-known/did.json",
        ),
        (
            "https://example.edu/tools/microcred",
            "did:web:example.edu:tools:microcred",
            "https://example.edu/tools/microcred/did.json",
        ),
    ],
)
def test_did_web_names_and_documents(url: str, did: str, document: str) -> None:
    assert keys.did_web_from_url(url) == did
    assert keys.did_web_document_url(did) == document
    assert keys.url_from_did_web(did) == document.rsplit("/.well-known", 1)[0].removesuffix(
        "/did.json"
    )


def test_did_web_back_to_a_dev_url() -> None:
    assert keys.url_from_did_web("did:web:localhost%3A5000", scheme="http") == (
        "http://localhost:5000"
    )


@pytest.mark.parametrize("bad", ["ftp://x.edu", "https://x.edu/?q=1", "not a url"])
def test_did_web_from_url_refuses_non_http_urls(bad: str) -> None:
    with pytest.raises(ValueError):
        keys.did_web_from_url(bad)


@pytest.mark.parametrize("bad", ["did:key:z6Mk", "did:web:x.edu#key-1", "did:web:"])
def test_url_from_did_web_refuses_other_dids(bad: str) -> None:
    with pytest.raises(ValueError):
        keys.url_from_did_web(bad)


def test_a_signing_key_needs_a_32_byte_seed() -> None:
    with pytest.raises(ValueError):
        keys.SigningKey("did:web:x.edu#k", "did:web:x.edu", b"short")
