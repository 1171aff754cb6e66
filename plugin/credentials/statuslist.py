"""W3C Bitstring Status List v1.0: revocation (and suspension) bitstrings and their credentials.

Bit ``i`` is the ``i``-th bit from the left: byte ``i // 8``, mask ``0x80 >> (i % 8)``. A list
holds at least 131,072 entries (16 KB) so a set bit does not single anyone out, and indexes are
allocated at random for the same reason.
"""

from __future__ import annotations

import gzip
import secrets
import zlib
from collections.abc import Container, Mapping
from datetime import datetime
from typing import Any

from plugin.credentials.jsonld import VC_V2, xsd_datetime
from plugin.credentials.multibase import MultibaseError, decode_multibase, encode_base64url

MIN_ENTRIES = 131_072
#: Refuse to inflate more than this (a gzip bomb in a fetched list): 2**27 entries.
MAX_DECODED_BYTES = 16 * 1024 * 1024
PURPOSES = frozenset({"revocation", "suspension"})


class StatusListError(ValueError):
    """A status list or index is malformed, out of range or full."""


def new_bitstring(entries: int = MIN_ENTRIES) -> bytearray:
    """An all-clear bitstring of ``entries`` bits (a multiple of 8, at least 131,072)."""
    if entries < MIN_ENTRIES or entries % 8:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries, in whole bytes")
    return bytearray(entries // 8)


def _locate(bits: bytes | bytearray, index: int) -> tuple[int, int]:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status list index {index!r} is out of range")
    return index // 8, 0x80 >> (index % 8)


def get_bit(bits: bytes | bytearray, index: int) -> bool:
    """The bit at ``index`` (True = set: revoked or suspended)."""
    byte, mask = _locate(bits, index)
    return bool(bits[byte] & mask)


def set_bit(bits: bytearray, index: int, value: bool = True) -> None:
    """Set (or clear) the bit at ``index`` in place."""
    byte, mask = _locate(bits, index)
    if value:
        bits[byte] |= mask
    else:
        bits[byte] &= ~mask & 0xFF


def allocate_index(used: Container[int], entries: int = MIN_ENTRIES, *, tries: int = 64) -> int:
    """A random index not in ``used`` (random, so neighbours in a list are unrelated people).

    Raises ``StatusListError`` when no free index was found after ``tries`` attempts: the list
    is (nearly) full and the caller should start a new one.
    """
    for _ in range(tries):
        index = secrets.randbelow(entries)
        if index not in used:
            return index
    raise StatusListError("the status list is full; start a new list")


def encode_list(bits: bytes | bytearray) -> str:
    """``encodedList``: GZIP, then multibase base64url (``u...``); byte-for-byte reproducible."""
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries")
    return encode_base64url(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


def decode_list(encoded: str) -> bytes:
    """The bitstring inside ``encodedList`` (multibase base64url of GZIP), size-limited."""
    try:
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise MultibaseError("encodedList must be multibase base64url ('u...')")
        compressed = decode_multibase(encoded)
    except MultibaseError as exc:
        raise StatusListError(str(exc)) from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        bits = inflater.decompress(compressed, MAX_DECODED_BYTES + 1)
    except zlib.error as exc:
        raise StatusListError(f"encodedList is not GZIP data: {exc}") from exc
    if len(bits) > MAX_DECODED_BYTES or inflater.unconsumed_tail:
        raise StatusListError("encodedList is too large")
    if not inflater.eof:
        raise StatusListError("encodedList is truncated")
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"a status list has at least {MIN_ENTRIES} entries")
    return bits


def is_set(encoded: str, index: int) -> bool:
    """Whether bit ``index`` is set in an ``encodedList``."""
    return get_bit(decode_list(encoded), index)


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """The credential's ``credentialStatus``: a ``BitstringStatusListEntry`` at ``index``."""
    if purpose not in PURPOSES:
        raise StatusListError(f"unsupported status purpose {purpose!r}")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(f"status list index {index!r} is out of range")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str,
    issuer: str | Mapping[str, Any],
    encoded: str,
    valid_from: datetime,
    *,
    purpose: str = "revocation",
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` served at ``list_url`` (sign it, then serve).

    ``issuer`` is the issuer id (a Profile mapping is reduced to its id: the list needs no
    more, and only the VC 2.0 context is used).
    """
    if purpose not in PURPOSES:
        raise StatusListError(f"unsupported status purpose {purpose!r}")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    doc: dict[str, Any] = {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": xsd_datetime(valid_from),
    }
    if valid_until is not None:
        doc["validUntil"] = xsd_datetime(valid_until)
    doc["credentialSubject"] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded,
    }
    return doc
