"""Key resolution: did:key offline, did:web and https key documents through a cached fetcher."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.credentials import keys, multibase
from plugin.credentials.resolve import (
    CachingFetcher,
    KeyResolutionError,
    KeyResolver,
    resolve_did_key,
    static_fetcher,
)

VECTOR_METHOD = (
    "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
)


def test_did_key_resolves_offline() -> None:
    key = keys.generate_did_key()
    found = KeyResolver()(key.key_id)
    assert found.public_key == key.public_key
    assert found.controller == key.controller
    assert "assertionMethod" in (found.purposes or ())
    assert resolve_did_key(key.controller).key_id == key.key_id


def test_did_web_resolves_through_its_did_document() -> None:
    did = "did:web:badges.example.edu"
    key = keys.generate_signing_key(did)
    asked: list[str] = []

    def fetch(url: str) -> Any:
        asked.append(url)
        return keys.did_document(did, [key])

    found = KeyResolver(fetch)(key.key_id)
    assert asked == ["https://badges.example.edu/.well-known/did.json"]
    assert (found.key_id, found.controller, found.public_key) == (key.key_id, did, key.public_key)
    assert found.purposes == frozenset({"assertionMethod"})


def test_did_web_on_a_dev_host_can_use_http() -> None:
    did = keys.did_web_from_url("http://localhost:5000")
    key = keys.generate_signing_key(did)
    asked: list[str] = []

    def fetch(url: str) -> Any:
        asked.append(url)
        return keys.did_document(did, [key])

    KeyResolver(fetch, http_hosts=frozenset({"localhost:5000"}))(key.key_id)
    assert asked == ["http://localhost:5000/.well-known/did.json"]


def test_a_did_document_for_another_did_is_refused() -> None:
    key = keys.generate_signing_key("did:web:evil.example")
    document = keys.did_document("did:web:evil.example", [key])
    resolver = KeyResolver(lambda url: document)
    with pytest.raises(KeyResolutionError, match=r"not for did:web:badges\.example\.edu"):
        resolver("did:web:badges.example.edu#" + key.public_key_multibase)


def test_the_1edtech_https_key_document_shape(testvector_documents: dict[str, Any]) -> None:
    found = KeyResolver(static_fetcher(testvector_documents))(VECTOR_METHOD)
    assert found.controller == "https://example.edu/issuers/565049"
    assert found.public_key.hex() == (
        "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
    )
    assert found.purposes == frozenset({"assertionMethod"})


def test_an_https_controller_document_embedding_the_key() -> None:
    controller = "https://example.edu/issuers/1"
    key = keys.generate_signing_key(controller)
    document = {
        "id": controller,
        "verificationMethod": [keys.multikey(key)],
        "assertionMethod": [key.key_id],
    }
    # An HTTP fetcher drops the fragment, so it gets the controller document.
    found = KeyResolver(static_fetcher({controller: document}))(key.key_id)
    assert found.public_key == key.public_key
    assert found.purposes == frozenset({"assertionMethod"})


def test_ed25519_jwk_keys_are_read_too() -> None:
    controller = "https://example.edu/issuers/2"
    key = keys.generate_signing_key(controller, key_id=controller + "#key-1")
    x = multibase.encode_base64url(key.public_key)[1:]
    document = {
        "id": controller,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "JsonWebKey2020",
                "controller": controller,
                "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": x},
            }
        ],
        "assertionMethod": ["#key-1"],
    }
    found = KeyResolver(static_fetcher({controller: document}))(key.key_id)
    assert found.public_key == key.public_key


def test_fetch_failures_are_indeterminate_and_not_cached() -> None:
    did = "did:web:badges.example.edu"
    key = keys.generate_signing_key(did)
    calls = {"n": 0}

    def flaky(url: str) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise TimeoutError("read timed out")
        return keys.did_document(did, [key])

    resolver = KeyResolver(flaky)
    with pytest.raises(KeyResolutionError) as raised:
        resolver(key.key_id)
    assert raised.value.indeterminate
    assert resolver(key.key_id).public_key == key.public_key


def test_documents_are_cached_for_their_ttl() -> None:
    clock = {"t": 0.0}
    calls: list[str] = []

    def fetch(url: str) -> Any:
        calls.append(url)
        return {"n": len(calls)}

    cached = CachingFetcher(fetch, ttl_seconds=60, clock=lambda: clock["t"])
    assert cached("https://a") == {"n": 1}
    clock["t"] = 59
    assert cached("https://a") == {"n": 1}
    clock["t"] = 61
    assert cached("https://a") == {"n": 2}
    cached.clear()
    assert cached("https://a") == {"n": 3}


def test_cache_size_is_bounded() -> None:
    cached = CachingFetcher(lambda url: {"url": url}, max_entries=2)
    for url in ("https://a", "https://b", "https://c"):
        cached(url)
    assert len(cached._entries) == 2


@pytest.mark.parametrize(
    "method",
    [
        "",
        "did:example:123#key",
        "http://example.edu/keys/1",  # plain http only for configured dev hosts
        "did:web:badges.example.edu",  # no fragment
        "did:key:z6MkBAD",
    ],
)
def test_unusable_verification_methods(method: str) -> None:
    with pytest.raises(KeyResolutionError):
        KeyResolver(static_fetcher({}))(method)


def test_without_a_fetcher_web_keys_are_indeterminate() -> None:
    with pytest.raises(KeyResolutionError) as raised:
        KeyResolver()("did:web:badges.example.edu#z6Mk")
    assert raised.value.indeterminate


@pytest.mark.parametrize(
    "document",
    [
        [],
        {
            "id": VECTOR_METHOD,
            "type": "Multikey",
            "controller": "https://example.edu/issuers/565049",
            "publicKeyMultibase": "z6MkBAD",
        },
        {"id": VECTOR_METHOD, "type": "RsaVerificationKey2018", "controller": "https://x"},
        {"id": VECTOR_METHOD, "type": "Multikey"},
        {"id": "https://example.edu/other"},
    ],
)
def test_bad_key_documents_are_refused(document: Any) -> None:
    with pytest.raises(KeyResolutionError):
        KeyResolver(lambda url: document)(VECTOR_METHOD)
