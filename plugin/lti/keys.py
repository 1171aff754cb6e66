"""The tool's RSA signing keys: made at first need, rotated with an overlap, published as JWKS.

Private keys live in the database only (never in git or logs). Each process keeps the parsed
current key for a short while so signing does not parse PEM on every request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from base64 import urlsafe_b64encode
from datetime import timedelta
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from sqlalchemy import Table

from ..db import utcnow
from ..extensions import db
from .models import ToolKey

log = logging.getLogger(__name__)

KEY_BITS = 2048
ALG = "RS256"
#: How long a process trusts its cached idea of the current key (rotation reaches all within it).
CURRENT_KEY_TTL = 30.0

_lock = threading.Lock()


def _cache() -> dict[str, Any]:
    """This app's cache of the parsed signing key (per app: tests run several in one process)."""
    return current_app.extensions.setdefault("microcred.lti.signing_key", {})


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private_key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The public JWK with kid = RFC 7638 SHA-256 thumbprint (what pylti1p3 computes too)."""
    numbers = private_key.public_key().public_numbers()
    core = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    canonical = json.dumps(core, separators=(",", ":"), sort_keys=True).encode()
    kid = urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**core, "kid": kid, "alg": ALG, "use": "sig"}


def _generate() -> dict[str, Any]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk = public_jwk(private_key)
    return {"kid": jwk["kid"], "private_key_pem": pem, "public_jwk": json.dumps(jwk), "alg": ALG}


def new_tool_key(*, current: bool) -> ToolKey:
    """Generate an RSA key pair and add it (flushed) to the session."""
    key = ToolKey(current=current, **_generate())
    db.session.add(key)
    db.session.flush()
    log.info("generated tool key %s", key.kid)
    return key


def _current_key_row() -> ToolKey | None:
    return db.session.execute(
        db.select(ToolKey).where(ToolKey.current.is_(True)).order_by(ToolKey.id.desc()).limit(1)
    ).scalar_one_or_none()


def current_tool_key() -> ToolKey:
    """The key that signs now; the first one is made at first need.

    The first key is written in its own short transaction: it must exist before anything is
    signed with it, whatever becomes of the request that needed it.
    """
    key = _current_key_row()
    if key is None:
        values = _generate()
        with db.engine.begin() as conn:
            conn.execute(
                cast(Table, ToolKey.__table__)
                .insert()
                .values(current=True, created_at=utcnow(), **values)
            )
        log.info("generated the first tool key %s", values["kid"])
        key = _current_key_row()
        assert key is not None
    return key


def rotate_tool_key(overlap_days: int) -> ToolKey:
    """Make a new current key; the old ones stay published until now + overlap_days."""
    retire_at = utcnow() + timedelta(days=overlap_days)
    for old in db.session.execute(db.select(ToolKey).where(ToolKey.current.is_(True))).scalars():
        old.current = False
        old.retire_at = retire_at
    key = new_tool_key(current=True)
    forget_cached_keys()
    return key


def published_keys() -> list[ToolKey]:
    """Keys in the JWKS: the current ones and the retired ones still in their overlap."""
    now = utcnow()
    rows = db.session.execute(
        db.select(ToolKey)
        .where(ToolKey.current.is_(True) | (ToolKey.retire_at > now))
        .order_by(ToolKey.id.desc())
    ).scalars()
    return list(rows)


def tool_jwks() -> dict[str, Any]:
    """The body of /lti/jwks; makes the first key when there is none."""
    keys = published_keys()
    if not any(k.current for k in keys):
        current_tool_key()
        keys = published_keys()
    return {"keys": [k.jwk for k in keys]}


def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """(kid, parsed private key) of the current key, cached per process for CURRENT_KEY_TTL."""
    now = time.monotonic()
    cache = _cache()
    cached = cache.get("current")
    if cached and cached[0] > now:
        return cached[1], cached[2]
    with _lock:
        key = current_tool_key()
        private = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        cache["current"] = (now + CURRENT_KEY_TTL, key.kid, private)
        return key.kid, private


def sign_jwt(claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    """Sign `claims` RS256 with the current tool key, `kid` in the header."""
    kid, private = signing_key()
    return jwt.encode(claims, private, algorithm=ALG, headers={"kid": kid, **(headers or {})})


def forget_cached_keys() -> None:
    """Drop this process's cached signing key (after a rotation)."""
    _cache().clear()
