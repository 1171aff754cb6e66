"""The issuer: the tool's did:web, its Ed25519 keys (encrypted at rest, rotatable, old keys kept
for verification) and the issuer profiles of the institutions it issues for.

Seeds are encrypted with AES-GCM under a key derived from SECRET_KEY (HKDF), so a database dump
alone does not give the signing key; changing SECRET_KEY therefore needs `microcred credentials
rotate-key` (old credentials keep verifying: only public keys are needed for that).
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import func, select

from ..db import utcnow
from ..errors import ServiceUnavailable
from ..extensions import db
from ..lti.models import Registration
from ..web import settings
from . import keys, ob3
from .models import IssuerKey, IssuerProfile
from .sql import insert_ignore

logger = logging.getLogger(__name__)


def issuer_did() -> str:
    """The tool's did:web, named after PUBLIC_URL (``did:web:badges.example.edu``)."""
    return keys.did_web_from_url(settings().public_url)


def _cipher() -> AESGCM:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    derived = HKDF(hashes.SHA256(), 32, salt=b"microcred", info=b"issuer-keys").derive(secret)
    return AESGCM(derived)


def _encrypt(seed: bytes, key_id: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + _cipher().encrypt(nonce, seed, key_id.encode("utf-8"))


def _decrypt(blob: bytes, key_id: str) -> bytes:
    try:
        return _cipher().decrypt(blob[:12], blob[12:], key_id.encode("utf-8"))
    except InvalidTag as exc:
        raise ServiceUnavailable(
            "The issuer key cannot be unlocked (SECRET_KEY changed?). "
            "Run `microcred credentials rotate-key` to issue with a new key.",
            code="ISSUER_KEY_LOCKED",
        ) from exc


def _insert_key(controller: str, generation: int) -> None:
    signing = keys.generate_signing_key(controller)
    db.session.execute(
        insert_ignore(IssuerKey).values(
            controller=controller,
            generation=generation,
            key_id=signing.key_id,
            public_key_multibase=signing.public_key_multibase,
            private_key_enc=_encrypt(signing.private_key, signing.key_id),
            created_at=utcnow(),
        )
    )


def _current_row(controller: str) -> IssuerKey | None:
    return db.session.scalars(
        select(IssuerKey)
        .where(IssuerKey.controller == controller, IssuerKey.retired_at.is_(None))
        .order_by(IssuerKey.generation.desc())
        .limit(1)
    ).first()


def current_signing_key() -> keys.SigningKey:
    """The key that signs now; the first call for a DID generates it (races insert once)."""
    controller = issuer_did()
    row = _current_row(controller)
    if row is None:
        _insert_key(controller, 1)
        row = _current_row(controller)
        assert row is not None
        logger.info("generated the first issuer key %s", row.key_id)
    cache: dict[str, keys.SigningKey] = current_app.extensions.setdefault(
        "microcred.credentials.keys", {}
    )
    found = cache.get(row.key_id)
    if found is None:
        seed = _decrypt(row.private_key_enc, row.key_id)
        found = keys.signing_key_from_seed(seed, controller, key_id=row.key_id)
        cache[row.key_id] = found
    return found


def rotate_key() -> keys.SigningKey:
    """Start signing with a new key; earlier keys stay in the DID document for verification."""
    controller = issuer_did()
    latest = db.session.scalar(
        select(func.max(IssuerKey.generation)).where(IssuerKey.controller == controller)
    )
    _insert_key(controller, int(latest or 0) + 1)
    db.session.flush()
    key = current_signing_key()
    logger.info("issuer key rotated; now signing with %s", key.key_id)
    return key


def list_verification_keys(controller: str | None = None) -> list[keys.VerificationKey]:
    """Every key ever used by the DID (current and rotated out), oldest first."""
    controller = controller or issuer_did()
    rows = db.session.scalars(
        select(IssuerKey).where(IssuerKey.controller == controller).order_by(IssuerKey.generation)
    )
    from .multibase import decode_ed25519_public_key

    return [
        keys.VerificationKey(
            row.key_id,
            controller,
            decode_ed25519_public_key(row.public_key_multibase),
            frozenset({"assertionMethod"}),
        )
        for row in rows
    ]


def did_document() -> dict[str, Any]:
    """The DID document served at /.well-known/did.json (generates the first key if needed)."""
    current_signing_key()
    did = issuer_did()
    return keys.did_document(did, list_verification_keys(did))


def get_profile(registration_id: int | None) -> IssuerProfile:
    """The institution's issuer profile, else the default one (a placeholder until set)."""
    if registration_id is not None:
        found = db.session.scalars(
            select(IssuerProfile).where(IssuerProfile.registration_id == registration_id)
        ).first()
        if found is not None:
            return found
    default = db.session.scalars(
        select(IssuerProfile)
        .where(IssuerProfile.registration_id.is_(None))
        .order_by(IssuerProfile.id)
    ).first()
    if default is None:  # not stored: `microcred credentials issuer` sets the real one
        public = settings().public_url
        default = IssuerProfile(name=f"microcred ({public})", url=public)
    return default


def check_image_url(value: str | None) -> str | None:
    """`value` trimmed (None when empty), or ValueError saying what an issuer image may be."""
    value = (value or "").strip() or None
    if value is None:
        return None
    parts = urlsplit(value)
    web = parts.scheme in ("http", "https") and bool(parts.netloc)
    data = parts.scheme == "data" and value[5:].lower().startswith("image/")
    if not (web or data) or any(c.isspace() for c in value) or len(value) > 2048:
        raise ValueError(
            f"the issuer image must be an http(s) address or a data:image/... URI "
            f"of at most 2048 characters, not {value[:80]!r}"
        )
    return value


def set_profile(
    *,
    name: str,
    registration_id: int | None = None,
    url: str | None = None,
    email: str | None = None,
    description: str | None = None,
    image_url: str | None = None,
) -> IssuerProfile:
    """Create or change an institution's issuer profile (None: the default profile).

    `image_url` is the institution's logo: an http(s) URL or a ``data:image/...`` URI.
    """
    if not name.strip():
        raise ValueError("an issuer needs a name")
    image_url = check_image_url(image_url)
    if registration_id is not None and db.session.get(Registration, registration_id) is None:
        raise ValueError(f"there is no platform registration {registration_id}")
    row = db.session.scalars(
        select(IssuerProfile).where(
            IssuerProfile.registration_id.is_(None)
            if registration_id is None
            else IssuerProfile.registration_id == registration_id
        )
    ).first()
    if row is None:
        row = IssuerProfile(registration_id=registration_id, name=name)
        db.session.add(row)
    row.name, row.url, row.email, row.description = name.strip(), url, email, description
    row.image_url = image_url
    row.updated_at = utcnow()
    db.session.flush()
    return row


def profile_json(profile: IssuerProfile) -> dict[str, Any]:
    """The OB 3.0 issuer ``Profile`` (its id is always the tool's did:web)."""
    return ob3.issuer_profile(
        issuer_id=issuer_did(),
        name=profile.name,
        url=profile.url,
        email=profile.email,
        description=profile.description,
        image=profile.image_url,
    )
