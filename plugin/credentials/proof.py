"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite: sign and verify.

The algorithm (W3C vc-di-eddsa §3.3): proofConfig = the proof options with the document's
``@context``; hashData = sha256(RDFC-1.0(proofConfig)) || sha256(RDFC-1.0(document without
``proof``)); the Ed25519 signature of hashData is ``proofValue``, multibase base58btc. Proofs are
written as an array (the 1EdTech schema demands it); several proofs form a proof set, each over
the document without any proof.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cachetools import LRUCache

from plugin.credentials import multibase
from plugin.credentials.jsonld import (
    CanonicalizationError,
    canonize,
    parse_xsd_datetime,
    xsd_datetime,
)
from plugin.credentials.keys import SigningKey, VerificationKey
from plugin.credentials.resolve import KeyResolutionError, ResolveKey

logger = logging.getLogger(__name__)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
#: Accepted when verifying: ``eddsa-2022`` is the same algorithm under its draft name.
ACCEPTED_CRYPTOSUITES = frozenset({CRYPTOSUITE, "eddsa-2022"})
CONTROLLER_MISMATCH = "Key controller does not match issuer"


@dataclass(frozen=True)
class ProofResult:
    """The outcome of checking a document's proof; never an exception.

    ``signature_valid`` / ``controller_matches`` are None when the check could not be made.
    ``indeterminate`` marks failures that say nothing about the credential itself (the key
    document is unreachable, a context is not bundled): the answer may change later.
    """

    ok: bool
    reason: str
    verification_method: str | None = None
    created: str | None = None
    signature_valid: bool | None = None
    controller_matches: bool | None = None
    indeterminate: bool = False


def hash_data(proof_config: Mapping[str, Any], unsecured_document: Mapping[str, Any]) -> bytes:
    """sha256(canon(proofConfig)) || sha256(canon(document)): the 64 bytes that are signed.

    ``proof_config`` must already carry the document's ``@context``.
    """
    return _config_hash(proof_config) + _document_hash(unsecured_document)


def _document_hash(document: Mapping[str, Any]) -> bytes:
    return hashlib.sha256(canonize(document).encode("utf-8")).digest()


# Proof configurations repeat: a batch signs with one key, one time and one @context. Their
# hashes are kept by exact JSON content (a pure function of it), which saves a canonicalization
# per credential when signing or verifying a batch.
_CONFIG_HASHES: LRUCache[str, bytes] = LRUCache(maxsize=512)
_CONFIG_LOCK = threading.Lock()


def _config_hash(config: Mapping[str, Any]) -> bytes:
    try:
        key = json.dumps(config, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):  # not plain JSON: canonicalize reports it properly
        return _document_hash(config)
    with _CONFIG_LOCK:
        found = _CONFIG_HASHES.get(key)
    if found is None:
        found = _document_hash(config)
        with _CONFIG_LOCK:
            _CONFIG_HASHES[key] = found
    return found


def issuer_id(doc: Mapping[str, Any]) -> str | None:
    """The issuer's id, whether ``issuer`` is a URL or a Profile object."""
    issuer = doc.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def sign(
    doc: Mapping[str, Any],
    key: SigningKey,
    *,
    created: datetime,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a copy of ``doc`` with an eddsa-rdfc-2022 ``DataIntegrityProof`` appended.

    ``proof`` is always an array; existing proofs are kept (a proof set). Raises
    ``CanonicalizationError`` for a document that is not valid JSON-LD with bundled contexts,
    and ``ValueError`` for a naive ``created``.
    """
    if "@context" not in doc:
        raise CanonicalizationError("a credential needs an @context to be signed")
    unsecured = {name: value for name, value in doc.items() if name != "proof"}
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": key.key_id,
        "proofPurpose": proof_purpose,
    }
    signature = key.sign(hash_data({"@context": doc["@context"], **options}, unsecured))
    proof = {**options, "proofValue": multibase.encode_base58btc(signature)}
    existing = doc.get("proof")
    proofs = (
        [] if existing is None else list(existing) if isinstance(existing, list) else [existing]
    )
    return {**unsecured, "proof": [*proofs, proof]}


def verify_proof(
    doc: object, resolve_key: ResolveKey, *, proof_purpose: str = "assertionMethod"
) -> ProofResult:
    """Check the document's eddsa-rdfc-2022 proof(s); one valid proof is enough.

    Checks type, cryptosuite, proof purpose, resolves the key, checks that the key's controller
    is the issuer (1EdTech: "Key controller does not match issuer") and the signature. Accepts
    ``proof`` as an object or an array. Never raises on bad input.
    """
    if not isinstance(doc, Mapping):
        return ProofResult(False, "the credential is not a JSON object")
    raw = doc.get("proof")
    if raw is None:
        return ProofResult(False, "the credential has no proof")
    proofs = raw if isinstance(raw, list) else [raw]
    candidates = [
        p
        for p in proofs
        if isinstance(p, Mapping)
        and p.get("type") == PROOF_TYPE
        and p.get("cryptosuite") in ACCEPTED_CRYPTOSUITES
    ]
    if not candidates:
        kinds = sorted(
            {f"{p.get('type')}/{p.get('cryptosuite')}" for p in proofs if isinstance(p, Mapping)}
        )
        return ProofResult(
            False, f"no DataIntegrityProof with eddsa-rdfc-2022 (found: {', '.join(kinds)})"
        )
    unsecured = {name: value for name, value in doc.items() if name != "proof"}
    cache: dict[str, Any] = {}
    first: ProofResult | None = None
    for proof in candidates:
        try:
            result = _verify_one(doc, unsecured, proof, resolve_key, proof_purpose, cache)
        except Exception as exc:  # last line of defence: verification never raises
            logger.exception("unexpected error while verifying a proof")
            result = ProofResult(False, f"verification error: {exc}")
        if result.ok:
            return result
        first = first or result
    assert first is not None
    return first


def _verify_one(
    doc: Mapping[str, Any],
    unsecured: Mapping[str, Any],
    proof: Mapping[str, Any],
    resolve_key: ResolveKey,
    purpose: str,
    cache: dict[str, Any],
) -> ProofResult:
    method = proof.get("verificationMethod")
    if isinstance(method, Mapping):
        method = method.get("id")
    created = proof.get("created")
    created = created if isinstance(created, str) else None

    def fail(reason: str, **extra: Any) -> ProofResult:
        return ProofResult(
            False, reason, method if isinstance(method, str) else None, created, **extra
        )

    if not isinstance(method, str) or not method:
        return fail("the proof has no verificationMethod")
    if proof.get("proofPurpose") != purpose:
        return fail(f"proof purpose is {proof.get('proofPurpose')!r}, expected {purpose!r}")
    if "created" in proof and parse_xsd_datetime(proof.get("created")) is None:
        return fail("proof 'created' is not an XSD dateTime")
    value = proof.get("proofValue")
    try:
        if not isinstance(value, str) or not value.startswith("z"):
            raise multibase.MultibaseError("proofValue must be multibase base58btc ('z...')")
        signature = multibase.decode_multibase(value)
    except multibase.MultibaseError as exc:
        return fail(str(exc))
    if len(signature) != 64:
        return fail("proofValue is not a 64-byte Ed25519 signature")
    context = doc.get("@context")
    if "@context" in proof and not _starts_with(context, proof["@context"]):
        return fail("the proof's @context is not a prefix of the document's @context")

    try:
        key: VerificationKey = resolve_key(method)
    except KeyResolutionError as exc:
        return fail(f"key not resolved: {exc}", indeterminate=exc.indeterminate)
    except Exception as exc:  # a custom resolver failing is not the credential's fault
        return fail(f"key not resolved: {exc}", indeterminate=True)
    if key.key_id != method:
        return fail(f"resolver returned key {key.key_id} for {method}")
    if key.purposes is not None and purpose not in key.purposes:
        return fail(f"the key's controller does not authorize it for {purpose}")

    try:
        if "document" not in cache:
            cache["document"] = _document_hash(unsecured)
        options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
        config_hash = _config_hash({"@context": context, **options})
    except CanonicalizationError as exc:
        return fail(f"cannot canonicalize: {exc}", indeterminate=exc.unbundled_context is not None)

    signature_valid = key.verify(signature, config_hash + cache["document"])
    issuer = issuer_id(doc)
    controller_matches = issuer is not None and key.controller == issuer
    if not signature_valid:
        reason = "invalid signature: the credential was changed or signed with another key"
    elif not controller_matches:
        reason = f"{CONTROLLER_MISMATCH} (key controller {key.controller}, issuer {issuer})"
    else:
        reason = f"valid {proof.get('cryptosuite')} signature by {method}"
    return ProofResult(
        signature_valid and controller_matches,
        reason,
        method,
        created,
        signature_valid=signature_valid,
        controller_matches=controller_matches,
    )


def _starts_with(context: object, prefix: object) -> bool:
    full = context if isinstance(context, list) else [context]
    head = prefix if isinstance(prefix, list) else [prefix]
    return full[: len(head)] == head
