"""Status lists in the database: allocate an entry per award, flip a bit on revocation, and keep
the signed BitstringStatusListCredential that the tool serves (re-signed on every change).

The served list is cached in the shared store; revoking deletes the cache entry in the same
call, so a revoked credential verifies as revoked at once, on every app server.
"""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from ..db import utcnow
from ..extensions import db
from ..web import get_store, settings
from . import proof, statuslist
from .issuer import current_signing_key, issuer_did
from .models import StatusList
from .sql import insert_ignore, is_postgresql

PURPOSE = "revocation"
CACHE_SECONDS = 300


def public_url(path: str) -> str:
    """An absolute URL under the tool's PUBLIC_URL."""
    return settings().public_url + path


def achievement_url(achievement_id: str) -> str:
    """The public URL (and OB id) of an achievement."""
    return public_url(f"/credentials/achievements/{quote(achievement_id, safe=':')}")


def award_url(public_id: str) -> str:
    """The public URL (and credential id) of an award."""
    return public_url(f"/credentials/awards/{public_id}")


def verify_url(public_id: str) -> str:
    """The verify page of an award."""
    return public_url(f"/credentials/verify/{public_id}")


def list_url(number: int) -> str:
    """Where status list ``number`` is served."""
    return public_url(f"/credentials/status/{number}")


def _cache_key(number: int) -> str:
    # The key id is random per database: a store shared by several installs never mixes lists.
    return f"credentials:statuslist:{current_signing_key().key_id}:{number}"


def open_list() -> StatusList:
    """The list new awards go on: the first that is not full (created when needed)."""
    row = db.session.scalars(
        select(StatusList)
        .where(StatusList.purpose == PURPOSE, StatusList.full.is_(False))
        .order_by(StatusList.number)
        .limit(1)
    ).first()
    if row is not None:
        return row
    latest = db.session.scalars(
        select(StatusList.number)
        .where(StatusList.purpose == PURPOSE)
        .order_by(StatusList.number.desc())
    ).first()
    db.session.execute(
        insert_ignore(StatusList).values(
            purpose=PURPOSE,
            number=int(latest or 0) + 1,
            bits=bytes(statuslist.new_bitstring()),
            full=False,
            updated_at=utcnow(),
        )
    )
    return open_list()


def random_index() -> int:
    """A random entry (neighbours in a list are unrelated people); collisions are retried."""
    return secrets.randbelow(statuslist.MIN_ENTRIES)


def mark_full(row: StatusList) -> None:
    """Stop allocating from ``row`` (too many collisions: it is nearly full)."""
    row.full = True
    db.session.flush()


def set_revoked(list_id: int, index: int) -> None:
    """Set bit ``index`` in list ``list_id``, re-sign it and drop its cached copy."""
    query = select(StatusList).where(StatusList.id == list_id)
    if is_postgresql():
        query = query.with_for_update()
    row = db.session.scalars(query).one()
    bits = bytearray(row.bits)
    statuslist.set_bit(bits, index)
    row.bits = bytes(bits)
    row.updated_at = utcnow()
    row.credential_json = json.dumps(_signed(row))
    db.session.flush()
    get_store().delete(_cache_key(row.number))


def _signed(row: StatusList) -> dict[str, Any]:
    listing = statuslist.status_list_credential(
        list_url(row.number),
        issuer_did(),
        statuslist.encode_list(row.bits),
        row.updated_at,
        purpose=row.purpose,
    )
    return proof.sign(listing, current_signing_key(), created=row.updated_at)


def signed_list(number: int) -> dict[str, Any] | None:
    """The signed status list credential ``number`` (None when there is no such list)."""
    store = get_store()
    cached = store.get(_cache_key(number))
    if cached is not None:
        return dict(json.loads(cached))
    row = db.session.scalars(
        select(StatusList).where(StatusList.purpose == PURPOSE, StatusList.number == number)
    ).first()
    if row is None:
        return None
    if row.credential_json is None:
        row.credential_json = json.dumps(_signed(row))
        db.session.flush()
    store.set(_cache_key(number), row.credential_json, CACHE_SECONDS)
    return dict(json.loads(row.credential_json))
