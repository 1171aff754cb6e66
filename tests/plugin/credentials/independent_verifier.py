"""An eddsa-rdfc-2022 verifier written for the tests only, never sharing code with the issuer.

It uses plain pyld (RDFC-1.0 / URDNA2015), cryptography (Ed25519), its own base58 and its own
document loader over the context files bundled in the project; it never imports
``plugin.credentials`` and never touches the network. Written from W3C vc-di-eddsa §3.3.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

CONTEXTS = Path(__file__).resolve().parents[3] / "plugin" / "credentials" / "contexts"
FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "2018-credentials-v1.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-2.0.1.json",
}
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def loader(url: str, options: Any = None) -> dict[str, Any]:
    """Serve the bundled files; anything else is an error (no network, ever)."""
    if url not in FILES:
        raise ValueError(f"independent verifier refuses to load {url}")
    document = json.loads((CONTEXTS / FILES[url]).read_text("utf-8"))
    return {"contextUrl": None, "documentUrl": url, "document": document}


def b58decode(text: str) -> bytes:
    """Base58 (Bitcoin alphabet) to bytes."""
    number = 0
    for char in text:
        number = number * 58 + ALPHABET.index(char)
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")


def public_key_from_multibase(value: str) -> bytes:
    """Raw Ed25519 key from ``z6Mk...`` (multicodec 0xed01)."""
    assert value.startswith("z")
    data = b58decode(value[1:])
    assert data[:2] == b"\xed\x01" and len(data) == 34
    return data[2:]


def canonize(doc: dict[str, Any]) -> str:
    """RDFC-1.0 N-Quads with plain pyld, no base IRI (as Digital Bazaar's cryptosuite)."""
    return jsonld.normalize(
        doc,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": loader,
            "base": None,
        },
    )


def proofs_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (the spec allows one object or an array)."""
    proof = doc["proof"]
    return proof if isinstance(proof, list) else [proof]


def hash_data(doc: dict[str, Any], proof: dict[str, Any]) -> bytes:
    """sha256(canon(proof options + document @context)) || sha256(canon(document - proof))."""
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = doc["@context"]
    return (
        hashlib.sha256(canonize(config).encode()).digest()
        + hashlib.sha256(canonize(unsecured).encode()).digest()
    )


def verify(doc: dict[str, Any], public_key: bytes, *, proof_index: int = -1) -> bool:
    """True when the proof at ``proof_index`` is a valid eddsa-rdfc-2022 signature by the key."""
    proof = proofs_of(doc)[proof_index]
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-rdfc-2022":
        return False
    signature = b58decode(proof["proofValue"][1:])
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, hash_data(doc, proof))
    except InvalidSignature:
        return False
    return True
