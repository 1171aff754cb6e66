"""API tokens for publishing: shown once when created, stored as a SHA-256 digest only.

A token looks like `mcp_<43 url-safe characters>`; its first characters (`prefix`) are kept in
clear so people can tell their tokens apart. Tokens expire (default 90 days) and can be revoked.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from ..db import utcnow
from ..errors import NotFoundError, NotSignedIn, ValidationError
from ..extensions import db
from .models import ApiToken

log = logging.getLogger(__name__)

TOKEN_PREFIX = "mcp_"  # noqa: S105 - the public prefix of every token, not a secret
DEFAULT_DAYS = 90
MAX_DAYS = 3650


class TokenRefused(NotSignedIn):
    """A missing, unknown, expired or revoked API token (401 with a stable code)."""

    code = "TOKEN_INVALID"
    title = "The API token was not accepted"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    name: str,
    *,
    owner_issuer: str | None = None,
    owner_sub: str | None = None,
    owner_name: str = "",
    admin_user_id: int | None = None,
    days: int | None = DEFAULT_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for an LMS person (issuer + sub), an admin account, or the server (neither).

    Returns the row and the token itself, which is never stored and cannot be shown again.
    `days=None` makes a token that does not expire.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "Give the token a name of 1 to 100 characters.", code="TOKEN_BAD_NAME"
        )
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"A token lasts 1 to {MAX_DAYS} days.", code="TOKEN_BAD_DAYS")
    if (owner_issuer is None) != (owner_sub is None):
        raise ValueError("owner_issuer and owner_sub go together")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:12],
        owner_issuer=owner_issuer,
        owner_sub=owner_sub,
        owner_name=(owner_name or "")[:255],
        admin_user_id=admin_user_id,
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    db.session.add(token)
    db.session.flush()
    log.info("API token %s (%s) created for %s", token.id, token.prefix, token.owner_label)
    return token, raw


def authenticate_token(raw: str | None) -> ApiToken:
    """The active token for a bearer value; TokenRefused (401) otherwise. Records its use."""
    if not raw:
        raise TokenRefused(
            "Send an API token: Authorization: Bearer <token>.", code="TOKEN_MISSING"
        )
    raw = raw.strip()
    token = None
    if raw.startswith(TOKEN_PREFIX) and len(raw) < 200:
        token = db.session.execute(
            db.select(ApiToken).where(ApiToken.token_hash == hash_token(raw))
        ).scalar_one_or_none()
    if token is None:
        raise TokenRefused("The API token is not valid.", code="TOKEN_INVALID")
    now = utcnow()
    if token.revoked_at is not None:
        raise TokenRefused("The API token was revoked; create a new one.", code="TOKEN_REVOKED")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("The API token has expired; create a new one.", code="TOKEN_EXPIRED")
    token.last_used_at = now
    return token


def list_tokens(
    *,
    owner_issuer: str | None = None,
    owner_sub: str | None = None,
    admin_user_id: int | None = None,
    everyone: bool = False,
) -> list[ApiToken]:
    """Tokens of one owner (an LMS person, an admin account, or with neither: the server's),
    or of everyone; newest first, revoked ones included."""
    query = db.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if everyone:
        pass
    elif owner_sub is not None:
        query = query.where(ApiToken.owner_issuer == owner_issuer, ApiToken.owner_sub == owner_sub)
    elif admin_user_id is not None:
        query = query.where(ApiToken.admin_user_id == admin_user_id)
    else:
        query = query.where(ApiToken.owner_sub.is_(None), ApiToken.admin_user_id.is_(None))
    return list(db.session.execute(query).scalars())


def get_token(token_id: int) -> ApiToken | None:
    return db.session.get(ApiToken, token_id)


def revoke_token(token: ApiToken) -> None:
    """Stop a token from working (idempotent)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        log.info("API token %s (%s) revoked", token.id, token.prefix)


def revoke_owned_token(token_id: int, *, owner_issuer: str, owner_sub: str) -> ApiToken:
    """Revoke one of an LMS person's own tokens; NotFoundError for anyone else's."""
    token = get_token(token_id)
    if token is None or (token.owner_issuer, token.owner_sub) != (owner_issuer, owner_sub):
        raise NotFoundError("There is no such token among yours.")
    revoke_token(token)
    return token
