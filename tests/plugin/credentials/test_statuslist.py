"""Bitstring Status List v1.0: bits, encoding, entries and the list credential."""

from __future__ import annotations

import base64
import gzip

import pytest

from plugin.credentials import statuslist
from plugin.credentials.multibase import encode_base64url

from .conftest import NOW


def test_a_list_has_at_least_131072_entries() -> None:
    assert len(statuslist.new_bitstring()) * 8 == 131_072
    with pytest.raises(statuslist.StatusListError):
        statuslist.new_bitstring(131_064)
    with pytest.raises(statuslist.StatusListError):
        statuslist.encode_list(bytes(1024))
    small = encode_base64url(gzip.compress(bytes(1024)))
    with pytest.raises(statuslist.StatusListError, match="131072"):
        statuslist.decode_list(small)


def test_encode_decode_round_trip_and_bit_order() -> None:
    bits = statuslist.new_bitstring()
    for index in (0, 7, 8, 94_567, 131_071):
        statuslist.set_bit(bits, index)
    encoded = statuslist.encode_list(bits)
    assert encoded.startswith("u")
    assert encoded == statuslist.encode_list(bits)  # reproducible (no gzip timestamp)
    decoded = statuslist.decode_list(encoded)
    assert decoded == bytes(bits)
    assert decoded[0] == 0b1000_0001  # index 0 is the left-most bit
    assert decoded[1] == 0b1000_0000
    assert statuslist.is_set(encoded, 94_567)
    assert not statuslist.is_set(encoded, 94_568)
    statuslist.set_bit(bits, 7, False)
    assert not statuslist.get_bit(bits, 7)


def test_an_empty_list_compresses_small() -> None:
    assert len(statuslist.encode_list(statuslist.new_bitstring())) < 200


def test_decoding_refuses_garbage_and_gzip_bombs() -> None:
    for bad in [
        "",
        "zabc",
        "u!!",
        "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="),
    ]:
        with pytest.raises(statuslist.StatusListError):
            statuslist.decode_list(bad)
    bomb = encode_base64url(gzip.compress(bytes(statuslist.MAX_DECODED_BYTES + 8)))
    with pytest.raises(statuslist.StatusListError, match="too large"):
        statuslist.decode_list(bomb)


def test_indexes_outside_the_list_are_refused() -> None:
    bits = statuslist.new_bitstring()
    for bad in (-1, 131_072, True, "3"):
        with pytest.raises(statuslist.StatusListError):
            statuslist.get_bit(bits, bad)  # type: ignore[arg-type]


def test_allocate_index_is_random_and_avoids_used_indexes() -> None:
    used = {statuslist.allocate_index(set()) for _ in range(50)}
    assert len(used) > 45  # random, not sequential
    assert all(0 <= i < 131_072 for i in used)
    again = statuslist.allocate_index(used)
    assert again not in used
    with pytest.raises(statuslist.StatusListError, match="full"):
        statuslist.allocate_index(range(16), entries=16)


def test_status_entry() -> None:
    entry = statuslist.status_entry("https://x.edu/status/1", 94_567)
    assert entry == {
        "id": "https://x.edu/status/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://x.edu/status/1",
    }
    assert statuslist.status_entry("https://x.edu/s", 1, "suspension")["statusPurpose"] == (
        "suspension"
    )
    with pytest.raises(statuslist.StatusListError):
        statuslist.status_entry("https://x.edu/s", 1, "refresh")


def test_status_list_credential() -> None:
    encoded = statuslist.encode_list(statuslist.new_bitstring())
    listing = statuslist.status_list_credential(
        "https://x.edu/status/1", {"id": "did:web:x.edu", "name": "X"}, encoded, NOW
    )
    assert listing == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://x.edu/status/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:x.edu",
        "validFrom": "2026-11-29T12:00:00Z",
        "credentialSubject": {
            "id": "https://x.edu/status/1#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }
