"""Multibase (base58btc ``z``, base64url ``u``), multicodec Ed25519 keys and ``did:key``."""

from __future__ import annotations

import base64
import binascii

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(B58_ALPHABET)}

#: multicodec ed25519-pub (0xed) and ed25519-priv (0x1300), as unsigned varints.
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
ED25519_KEY_LENGTH = 32


class MultibaseError(ValueError):
    """A value is not valid multibase, or not the expected multicodec key."""


def b58encode(data: bytes) -> str:
    """Encode bytes in base58 (Bitcoin alphabet), keeping leading zero bytes as ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        chars.append(B58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(chars))


def b58decode(text: str) -> bytes:
    """Decode base58 (Bitcoin alphabet); raises ``MultibaseError`` on a foreign character."""
    number = 0
    try:
        for char in text:
            number = number * 58 + _B58_INDEX[char]
    except KeyError as exc:
        raise MultibaseError(f"not base58btc: unexpected character {exc.args[0]!r}") from exc
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: ``"z" + base58(data)``."""
    return "z" + b58encode(data)


def encode_base64url(data: bytes) -> str:
    """Multibase base64url without padding: ``"u" + base64url(data)``."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_multibase(value: str) -> bytes:
    """Decode a multibase string in base58btc (``z``) or base64url (``u``)."""
    if not isinstance(value, str) or not value:
        raise MultibaseError("not a multibase string")
    prefix, body = value[0], value[1:]
    if prefix == "z":
        return b58decode(body)
    if prefix == "u":
        if "=" in body or "+" in body or "/" in body:
            raise MultibaseError("not base64url without padding")
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError) as exc:
            raise MultibaseError(f"not base64url: {exc}") from exc
    raise MultibaseError(f"unsupported multibase prefix {prefix!r} (expected 'z' or 'u')")


def _check_key(raw: bytes) -> bytes:
    if not isinstance(raw, bytes | bytearray) or len(raw) != ED25519_KEY_LENGTH:
        raise MultibaseError("an Ed25519 key is 32 bytes")
    return bytes(raw)


def encode_ed25519_public_key(raw: bytes) -> str:
    """A raw 32-byte Ed25519 public key as Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
    return encode_base58btc(ED25519_PUB_PREFIX + _check_key(raw))


def decode_ed25519_public_key(value: str) -> bytes:
    """The raw 32-byte key from a ``z6Mk...`` multibase value (checks the multicodec prefix)."""
    data = decode_multibase(value)
    if not data.startswith(ED25519_PUB_PREFIX):
        raise MultibaseError("not an ed25519-pub multicodec key (expected prefix 0xed01)")
    return _check_key(data[len(ED25519_PUB_PREFIX) :])


def encode_ed25519_private_key(raw: bytes) -> str:
    """A raw 32-byte Ed25519 seed as multibase ed25519-priv (``z3u2...``); keep it secret."""
    return encode_base58btc(ED25519_PRIV_PREFIX + _check_key(raw))


def decode_ed25519_private_key(value: str) -> bytes:
    """The raw 32-byte seed from a multibase ed25519-priv value."""
    data = decode_multibase(value)
    if not data.startswith(ED25519_PRIV_PREFIX):
        raise MultibaseError("not an ed25519-priv multicodec key (expected prefix 0x1300)")
    return _check_key(data[len(ED25519_PRIV_PREFIX) :])


def did_key_from_public_key(raw: bytes) -> str:
    """``did:key:z6Mk...`` for a raw Ed25519 public key."""
    return "did:key:" + encode_ed25519_public_key(raw)


def did_key_verification_method(did: str) -> str:
    """The verification method URL of a did:key: ``did:key:z6Mk...#z6Mk...``."""
    return f"{did}#{did.removeprefix('did:key:')}"


def public_key_from_did_key(did_or_url: str) -> bytes:
    """The raw Ed25519 public key of a ``did:key`` (or a did:key URL with a fragment).

    A fragment, when present, must name the same key, as the did:key method requires.
    """
    if not isinstance(did_or_url, str) or not did_or_url.startswith("did:key:"):
        raise MultibaseError("not a did:key")
    did, _, fragment = did_or_url.partition("#")
    identifier = did.removeprefix("did:key:")
    if fragment and fragment != identifier:
        raise MultibaseError("did:key fragment does not match its key")
    return decode_ed25519_public_key(identifier)
