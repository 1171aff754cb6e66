"""Open Badges 3.0 builders: achievements, issuer profiles and OpenBadgeCredentials as plain dicts.

Shapes follow the 1EdTech JSON schema (``schema/``): every ``type`` that the schema allows as an
array is an array; ``IdentityObject`` and ``Image`` types are the strings the schema demands.
Numbers with no fractional part are written as integers (see ``jsonld._integral_numbers``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from plugin.credentials.jsonld import OB_V3P0_303, VC_V2, xsd_datetime

#: ``1EdTechJsonSchemaValidator2019`` is defined neither by VC 2.0 nor by the OB 3.0.3 context
#: (only by 1EdTech's extensions.json): undefined, it is a relative IRI that jsonld.js safe mode
#: refuses and pyld resolves against a made-up base, so the credential would not verify
#: elsewhere. This inline context defines it as extensions.json does, with nothing to fetch.
SCHEMA_VALIDATOR_CONTEXT = {
    "1EdTechJsonSchemaValidator2019": (
        "https://purl.imsglobal.org/spec/vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019"
    )
}
OB_CONTEXT = (VC_V2, OB_V3P0_303, SCHEMA_VALIDATOR_CONTEXT)
SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
OB_CREDENTIAL_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})

Json = dict[str, Any]


def _compact(doc: Json) -> Json:
    """Drop unset (None) and empty optional fields."""
    return {k: v for k, v in doc.items() if v is not None and v != [] and v != ""}


def _number(value: float | int | None) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def new_salt() -> str:
    """A random salt for identity hashes (16 bytes, hex), as the guide recommends."""
    return secrets.token_hex(16)


def identity_hash(value: str, salt: str) -> str:
    """``"sha256$" + hex(sha256(utf8(value + salt)))``: the OB 3.0 IdentityHash format."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def identity_object(identity_type: str, value: str, salt: str | None = None) -> Json:
    """A hashed ``IdentityObject`` (``identityType`` e.g. ``emailAddress``, ``ltiUserId``).

    The value is hashed exactly as given (normalise emails before calling, the same way the
    verifying side will); a fresh random salt unless one is given.
    """
    salt = new_salt() if salt is None else salt
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(value, salt),
        "identityType": identity_type,
        "hashed": True,
        "salt": salt,
    }


def image(image_id: str, *, caption: str | None = None) -> Json:
    """An ``Image``: a URL or ``data:`` URI, with an optional caption (alt text)."""
    return _compact({"id": image_id, "type": "Image", "caption": caption})


def _image(value: Mapping[str, Any] | str | None) -> Json | None:
    if value is None:
        return None
    return image(value) if isinstance(value, str) else dict(value)


def issuer_profile(
    *,
    issuer_id: str,
    name: str,
    url: str | None = None,
    email: str | None = None,
    image: Mapping[str, Any] | str | None = None,
    description: str | None = None,
) -> Json:
    """The issuer ``Profile``; ``issuer_id`` is the did:web that controls the signing keys."""
    return _compact(
        {
            "id": issuer_id,
            "type": ["Profile"],
            "name": name,
            "url": url,
            "email": email,
            "description": description,
            "image": _image(image),
        }
    )


def alignment(
    *,
    target_name: str,
    target_url: str,
    target_framework: str | None = None,
    target_code: str | None = None,
    target_type: str | None = None,
    target_description: str | None = None,
) -> Json:
    """An ``Alignment`` to a skill framework item (``targetType`` e.g. ``CFItem``)."""
    return _compact(
        {
            "type": ["Alignment"],
            "targetName": target_name,
            "targetUrl": target_url,
            "targetDescription": target_description,
            "targetFramework": target_framework,
            "targetCode": target_code,
            "targetType": target_type,
        }
    )


def result_description(
    *,
    result_description_id: str,
    name: str,
    required_value: str | int | float | None = None,
    result_type: str = "Percent",
    value_min: str = "0",
    value_max: str = "100",
) -> Json:
    """A ``ResultDescription``; ``requiredValue`` is the pass threshold. Values are strings."""
    return _compact(
        {
            "id": result_description_id,
            "type": ["ResultDescription"],
            "name": name,
            "resultType": result_type,
            "valueMin": str(value_min),
            "valueMax": str(value_max),
            "requiredValue": None if required_value is None else _text(required_value),
        }
    )


def _text(value: str | int | float) -> str:
    number = _number(value) if isinstance(value, int | float) else value
    return str(number)


def result(
    *, result_description_id: str, value: str | int | float, status: str | None = None
) -> Json:
    """A ``Result``: the learner's value against a ``ResultDescription`` of the achievement."""
    return _compact(
        {
            "type": ["Result"],
            "resultDescription": result_description_id,
            "value": _text(value),
            "status": status,
        }
    )


def evidence(
    *,
    evidence_id: str | None = None,
    name: str | None = None,
    description: str | None = None,
    narrative: str | None = None,
    genre: str | None = None,
) -> Json:
    """An ``Evidence`` item (e.g. a graded attempt); its URL should not change later."""
    return _compact(
        {
            "id": evidence_id,
            "type": ["Evidence"],
            "name": name,
            "description": description,
            "narrative": narrative,
            "genre": genre,
        }
    )


def achievement(
    *,
    achievement_id: str,
    name: str,
    description: str,
    criteria_narrative: str | None = None,
    criteria_id: str | None = None,
    achievement_type: str | None = None,
    image: Mapping[str, Any] | str | None = None,
    credits_available: float | None = None,
    alignments: Sequence[Mapping[str, Any]] = (),
    result_descriptions: Sequence[Mapping[str, Any]] = (),
    human_code: str | None = None,
    field_of_study: str | None = None,
    tags: Sequence[str] = (),
    in_language: str | None = None,
    version: str | None = None,
    creator: Mapping[str, Any] | None = None,
) -> Json:
    """An ``Achievement`` (what the credential certifies); ``achievement_id`` is a public URL.

    ``criteria`` is required by the schema: give a narrative (Markdown), a URL, or both.
    """
    criteria = _compact({"id": criteria_id, "narrative": criteria_narrative})
    if not criteria:
        raise ValueError("an achievement needs criteria: a narrative or a URL")
    return _compact(
        {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": achievement_type,
            "name": name,
            "description": description,
            "criteria": criteria,
            "image": _image(image),
            "creditsAvailable": _number(credits_available),
            "alignment": [dict(a) for a in alignments],
            "resultDescription": [dict(r) for r in result_descriptions],
            "humanCode": human_code,
            "fieldOfStudy": field_of_study,
            "tag": list(tags),
            "inLanguage": in_language,
            "version": version,
            "creator": dict(creator) if creator is not None else None,
        }
    )


def open_badge_credential(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    achievement: Mapping[str, Any],
    valid_from: datetime,
    valid_until: datetime | None = None,
    identifiers: Sequence[Mapping[str, Any]] = (),
    subject_did: str | None = None,
    results: Sequence[Mapping[str, Any]] = (),
    credits_earned: float | None = None,
    evidence: Sequence[Mapping[str, Any]] = (),
    status_entry: Mapping[str, Any] | None = None,
    awarded_date: datetime | None = None,
    name: str | None = None,
    description: str | None = None,
    image: Mapping[str, Any] | str | None = None,
    term: str | None = None,
) -> Json:
    """An unsigned ``OpenBadgeCredential`` on the VC 2.0 model with the OB 3.0.3 context.

    The recipient is ``subject_did`` (a wallet DID) and/or salted hashed ``identifiers``; at
    least one is required. ``name`` defaults to the achievement's name, since wallets show it.
    """
    if not subject_did and not identifiers:
        raise ValueError("the recipient needs a DID or at least one identifier")
    if valid_until is not None and valid_until <= valid_from:
        raise ValueError("validUntil must be after validFrom")
    subject = _compact(
        {
            "id": subject_did,
            "type": ["AchievementSubject"],
            "identifier": [dict(i) for i in identifiers],
            "achievement": dict(achievement),
            "result": [dict(r) for r in results],
            "creditsEarned": _number(credits_earned),
            "term": term,
        }
    )
    return _compact(
        {
            "@context": [VC_V2, OB_V3P0_303, dict(SCHEMA_VALIDATOR_CONTEXT)],
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": name if name is not None else achievement.get("name"),
            "description": description,
            "image": _image(image),
            "issuer": dict(issuer),
            "validFrom": xsd_datetime(valid_from),
            "validUntil": xsd_datetime(valid_until) if valid_until is not None else None,
            "awardedDate": xsd_datetime(awarded_date) if awarded_date is not None else None,
            "credentialSubject": subject,
            "evidence": [dict(e) for e in evidence],
            "credentialStatus": dict(status_entry) if status_entry is not None else None,
            "credentialSchema": [{"id": SCHEMA_URL, "type": SCHEMA_TYPE}],
        }
    )


def is_open_badge(doc: object) -> bool:
    """True when ``doc`` claims to be an OpenBadgeCredential / AchievementCredential."""
    if not isinstance(doc, Mapping):
        return False
    kinds = doc.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k in OB_CREDENTIAL_TYPES for k in kinds)
