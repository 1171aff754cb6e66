"""Multibase, multicodec Ed25519 keys and did:key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.credentials import multibase

# The public key of the 1EdTech OB 3.0 test vector, and its Multikey as published.
VECTOR_KEY = bytes.fromhex("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
VECTOR_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def test_base58_matches_the_bitcoin_alphabet_vectors() -> None:
    assert multibase.b58encode(b"hello world") == "StV1DL6CwTryKyV"
    assert multibase.b58encode(b"\0\0\x01") == "112"
    assert multibase.b58decode("112") == b"\0\0\x01"
    assert multibase.b58encode(b"") == ""


@given(st.binary(max_size=80))
def test_base58btc_and_base64url_round_trip(data: bytes) -> None:
    assert multibase.decode_multibase(multibase.encode_base58btc(data)) == data
    assert multibase.decode_multibase(multibase.encode_base64url(data)) == data


def test_base64url_has_no_padding() -> None:
    assert multibase.encode_base64url(b"ab") == "uYWI"


@pytest.mark.parametrize("bad", ["", "x123", "z0OIl", "uab+/", "uYWI="])
def test_invalid_multibase_is_refused(bad: str) -> None:
    with pytest.raises(multibase.MultibaseError):
        multibase.decode_multibase(bad)


def test_ed25519_public_key_multikey_matches_the_1edtech_vector() -> None:
    assert multibase.encode_ed25519_public_key(VECTOR_KEY) == VECTOR_MULTIKEY
    assert multibase.decode_ed25519_public_key(VECTOR_MULTIKEY) == VECTOR_KEY


def test_a_private_key_is_not_taken_for_a_public_one() -> None:
    private = multibase.encode_ed25519_private_key(bytes(range(32)))
    assert private.startswith("z3u2")
    assert multibase.decode_ed25519_private_key(private) == bytes(range(32))
    with pytest.raises(multibase.MultibaseError, match="ed25519-pub"):
        multibase.decode_ed25519_public_key(private)


def test_did_key_round_trip() -> None:
    did = multibase.did_key_from_public_key(VECTOR_KEY)
    assert did == f"did:key:{VECTOR_MULTIKEY}"
    method = multibase.did_key_verification_method(did)
    assert method == f"{did}#{VECTOR_MULTIKEY}"
    assert multibase.public_key_from_did_key(did) == VECTOR_KEY
    assert multibase.public_key_from_did_key(method) == VECTOR_KEY


@pytest.mark.parametrize(
    "bad",
    [
        "did:web:example.com",
        f"did:key:{VECTOR_MULTIKEY}#z6MkOther",
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1
    ],
)
def test_bad_did_keys_are_refused(bad: str) -> None:
    with pytest.raises(multibase.MultibaseError):
        multibase.public_key_from_did_key(bad)
