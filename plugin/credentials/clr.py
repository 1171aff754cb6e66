"""CLR 2.0: a ``ClrCredential`` bundling signed OpenBadgeCredentials with associations.

The wrapper is signed like any credential (``proof.sign``); each inner credential keeps its own
proof. Associations link *achievement* ids, not credential ids (e.g. micro ``isChildOf``
certificate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from plugin.credentials.jsonld import CLR_V2P0_201, OB_V3P0_303, VC_V2, xsd_datetime

CLR_CONTEXT = (VC_V2, CLR_V2P0_201, OB_V3P0_303)
ASSOCIATION_TYPES = frozenset(
    {
        "exactMatchOf",
        "isChildOf",
        "isParentOf",
        "isPartOf",
        "isPeerOf",
        "isRelatedTo",
        "precedes",
        "replacedBy",
    }
)

#: (source achievement id, association type, target achievement id)
AssociationTriple = tuple[str, str, str]


def association(source_id: str, association_type: str, target_id: str) -> dict[str, Any]:
    """An ``Association`` between two achievement ids; the type must be a CLR 2.0 one."""
    if association_type not in ASSOCIATION_TYPES:
        raise ValueError(f"unknown association type {association_type!r}")
    return {
        "type": "Association",
        "associationType": association_type,
        "sourceId": source_id,
        "targetId": target_id,
    }


def clr_credential(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    valid_from: datetime,
    verifiable_credentials: Sequence[Mapping[str, Any]],
    subject_did: str | None = None,
    identifiers: Sequence[Mapping[str, Any]] = (),
    achievements: Sequence[Mapping[str, Any]] = (),
    associations: Sequence[AssociationTriple | Mapping[str, Any]] = (),
    name: str = "Comprehensive Learner Record",
    description: str | None = None,
    partial: bool = False,
    valid_until: datetime | None = None,
    status_entry: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned ``ClrCredential`` (VC 2.0, CLR 2.0.1 + OB 3.0.3 contexts).

    ``verifiable_credentials`` are the signed OpenBadgeCredentials (at least one);
    ``achievements`` the achievements to describe (the certificate and its members), awarded or
    not; ``associations`` triples such as ``(micro_id, "isChildOf", certificate_id)``.
    ``partial`` says the record leaves out assertions the issuer knows of.
    """
    if not verifiable_credentials:
        raise ValueError("a CLR holds at least one verifiable credential")
    if not subject_did and not identifiers:
        raise ValueError("the learner needs a DID or at least one identifier")
    links = [
        dict(item) if isinstance(item, Mapping) else association(*item) for item in associations
    ]
    subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if subject_did:
        subject["id"] = subject_did
    if identifiers:
        subject["identifier"] = [dict(i) for i in identifiers]
    if achievements:
        subject["achievement"] = [dict(a) for a in achievements]
    subject["verifiableCredential"] = [dict(vc) for vc in verifiable_credentials]
    if links:
        subject["association"] = links
    doc: dict[str, Any] = {
        "@context": list(CLR_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": name,
    }
    if description:
        doc["description"] = description
    doc.update(
        partial=partial,
        issuer=dict(issuer),
        validFrom=xsd_datetime(valid_from),
    )
    if valid_until is not None:
        doc["validUntil"] = xsd_datetime(valid_until)
    doc["credentialSubject"] = subject
    if status_entry is not None:
        doc["credentialStatus"] = dict(status_entry)
    return doc


def inner_credentials(doc: object) -> list[Any]:
    """The ``verifiableCredential`` items of a CLR (empty when the shape is wrong)."""
    if not isinstance(doc, Mapping):
        return []
    subject = doc.get("credentialSubject")
    if not isinstance(subject, Mapping):
        return []
    inner = subject.get("verifiableCredential")
    if isinstance(inner, Mapping):
        return [inner]
    return list(inner) if isinstance(inner, list) else []


def is_clr(doc: object) -> bool:
    """True when ``doc`` claims to be a ``ClrCredential``."""
    if not isinstance(doc, Mapping):
        return False
    kinds = doc.get("type")
    return "ClrCredential" in (kinds if isinstance(kinds, list) else [kinds])
