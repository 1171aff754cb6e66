"""Ed25519 signing and verification keys, Multikey JSON, did:key and did:web documents.

Private keys are generated at run time and never appear in a repr, a log line or this repository;
storing them (outside git) is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from plugin.credentials import multibase

DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"


@dataclass(frozen=True)
class VerificationKey:
    """A public Ed25519 key as a verifier sees it (resolved from a DID or key document).

    ``purposes`` are the verification relationships (``assertionMethod``, ...) under which the
    controller document lists the key; None when no controller document said.
    """

    key_id: str
    controller: str
    public_key: bytes
    purposes: frozenset[str] | None = None

    @property
    def public_key_multibase(self) -> str:
        """The key as Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
        return multibase.encode_ed25519_public_key(self.public_key)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is a valid Ed25519 signature of ``data`` by this key."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair that signs for ``controller`` (the issuer id, e.g. a did:web).

    ``key_id`` is the verification method URL written into proofs. ``private_key`` is the raw
    32-byte seed; it is left out of ``repr`` and equality is never logged.
    """

    key_id: str
    controller: str
    private_key: bytes = field(repr=False)
    public_key: bytes = field(init=False)
    _signer: Ed25519PrivateKey = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, bytes) or len(self.private_key) != 32:
            raise ValueError("an Ed25519 private key is a 32-byte seed")
        if not self.key_id or not self.controller:
            raise ValueError("a signing key needs a key id and a controller")
        signer = Ed25519PrivateKey.from_private_bytes(self.private_key)
        public = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "_signer", signer)
        object.__setattr__(self, "public_key", public)

    def __reduce__(self) -> tuple[Any, ...]:
        # The cryptography key object does not pickle; rebuild it from the seed (batch workers).
        return (SigningKey, (self.key_id, self.controller, self.private_key))

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self._signer.sign(data)

    @property
    def public_key_multibase(self) -> str:
        """The public key as Multikey ``publicKeyMultibase`` (``z6Mk...``)."""
        return multibase.encode_ed25519_public_key(self.public_key)

    @property
    def verification_key(self) -> VerificationKey:
        """The public half, as a verifier would resolve it."""
        return VerificationKey(self.key_id, self.controller, self.public_key)


def generate_signing_key(controller: str, *, key_id: str | None = None) -> SigningKey:
    """A fresh Ed25519 key for ``controller``; the key id defaults to ``controller#z6Mk...``."""
    return signing_key_from_seed(_new_seed(), controller, key_id=key_id)


def _new_seed() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )


def _public_from_seed(seed: bytes) -> bytes:
    return (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def signing_key_from_seed(seed: bytes, controller: str, *, key_id: str | None = None) -> SigningKey:
    """Rebuild a signing key from its stored 32-byte seed."""
    if key_id is None:
        public = _public_from_seed(seed)
        key_id = f"{controller}#{multibase.encode_ed25519_public_key(public)}"
    return SigningKey(key_id=key_id, controller=controller, private_key=seed)


def generate_did_key() -> SigningKey:
    """A fresh key whose controller is its own ``did:key`` (for tests and learner wallets)."""
    seed = _new_seed()
    did = multibase.did_key_from_public_key(_public_from_seed(seed))
    return SigningKey(multibase.did_key_verification_method(did), did, seed)


def multikey(key: SigningKey | VerificationKey, *, with_context: bool = False) -> dict[str, Any]:
    """The public key as a Multikey verification method (the private key never leaves)."""
    doc: dict[str, Any] = {}
    if with_context:
        doc["@context"] = MULTIKEY_V1_CONTEXT
    doc.update(
        id=key.key_id,
        type="Multikey",
        controller=key.controller,
        publicKeyMultibase=key.public_key_multibase,
    )
    return doc


def did_document(did: str, keys: Sequence[SigningKey | VerificationKey]) -> dict[str, Any]:
    """The DID document for a did:web issuer, listing every key (current and rotated-out).

    Each key is a Multikey verification method and an ``assertionMethod``, so credentials signed
    with older keys keep verifying. Built as plain JSON: serving it needs no canonicalization.
    """
    if not did.startswith("did:"):
        raise ValueError(f"not a DID: {did!r}")
    for key in keys:
        if key.controller != did:
            raise ValueError(f"key {key.key_id} is controlled by {key.controller}, not {did}")
        if not key.key_id.startswith(did + "#"):
            raise ValueError(f"key id {key.key_id} is not a fragment of {did}")
    return {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
        "id": did,
        "verificationMethod": [multikey(key) for key in keys],
        "assertionMethod": [key.key_id for key in keys],
    }


def did_web_from_url(public_url: str) -> str:
    """The did:web naming the tool's public URL.

    ``http://localhost:5000`` -> ``did:web:localhost%3A5000``. A path becomes colon-separated
    segments (``https://x.edu/tool`` -> ``did:web:x.edu:tool``);
    the scheme is dropped, because did:web always resolves over HTTPS.
    """
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {public_url!r}")
    if parts.query or parts.fragment:
        raise ValueError("a did:web URL has no query or fragment")
    host = parts.hostname.lower()
    if parts.port is not None:
        host += f"%3A{parts.port}"
    segments = [quote(unquote(s), safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def url_from_did_web(did: str, *, scheme: str = "https") -> str:
    """The base URL a did:web names: ``did:web:localhost%3A5000`` -> ``https://localhost:5000``."""
    if not did.startswith("did:web:") or "#" in did or "?" in did:
        raise ValueError(f"not a did:web (without fragment): {did!r}")
    host, *segments = did.removeprefix("did:web:").split(":")
    host = unquote(host)
    if not host or "/" in host or "@" in host:
        raise ValueError(f"not a valid did:web host: {did!r}")
    path = "".join("/" + quote(unquote(s), safe="") for s in segments)
    return f"{scheme}://{host}{path}"


def did_web_document_url(did: str, *, scheme: str = "https") -> str:
    """Where a did:web's DID document lives: ``/.well-known/did.json`` or ``<path>/did.json``."""
    base = url_from_did_web(did, scheme=scheme)
    has_path = ":" in did.removeprefix("did:web:")
    return base + ("/did.json" if has_path else "/.well-known/did.json")
