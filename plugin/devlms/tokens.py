"""The OAuth2 token endpoint (client credentials with a JWT assertion) and bearer token checks."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from .data import get_tool
from .errors import JwtError, ServiceError, TokenError
from .keys import verify_tool_jwt
from .runtime import DevLms
from .store import dumps, loads
from .vocab import JWT_BEARER

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessGrant:
    """A valid bearer token: which tool holds it and what it may do."""

    client_id: str
    scopes: tuple[str, ...]


def _assertion_client(assertion: str) -> str:
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenError(
            "invalid_client", f"client_assertion is not a JWT: {exc}", status=401
        ) from exc
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or not client_id:
        raise TokenError("invalid_client", "client_assertion has no iss", status=401)
    return client_id


def issue_access_token(devlms: DevLms, form: Mapping[str, str]) -> dict[str, Any]:
    """Answer a token request: verify the client assertion (RS256 family, iss = sub = client_id,
    aud = the token URL, exp, iat, single-use jti) and issue an opaque bearer token."""
    store = devlms.store
    store.bump("token_requests")
    try:
        if form.get("grant_type") != "client_credentials":
            raise TokenError("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != JWT_BEARER:
            raise TokenError("invalid_request", f"client_assertion_type must be {JWT_BEARER}")
        assertion = form.get("client_assertion")
        if not assertion:
            raise TokenError("invalid_request", "client_assertion is required")
        client_id = _assertion_client(assertion)
        tool = get_tool(store, client_id)
        if tool is None:
            raise TokenError("invalid_client", f"unknown client_id {client_id!r}", status=401)
        try:
            claims = verify_tool_jwt(
                devlms.tool_keys,
                tool,
                assertion,
                audience=devlms.urls.token,
                require=("exp", "iat", "jti", "iss", "sub"),
            )
        except JwtError as exc:
            if exc.code == "jwks_unavailable":  # the tool's fault, and usually passing
                raise TokenError("temporarily_unavailable", exc.message, status=503) from exc
            raise TokenError("invalid_client", f"{exc.code}: {exc.message}", status=401) from exc
        if claims.get("sub") != client_id:
            raise TokenError("invalid_client", "sub must equal iss (the client_id)", status=401)
        granted = _granted_scopes(tool.scopes, form.get("scope"))
        now = time.time()
        with store.transaction():
            seen = store.query_one(
                "SELECT 1 FROM used_jtis WHERE client_id = ? AND jti = ?",
                (client_id, str(claims["jti"])),
            )
            if seen is not None:
                raise TokenError("invalid_grant", "this jti was used already")
            keep_until = max(float(claims["exp"]), now) + 60
            store.execute(
                "INSERT INTO used_jtis (client_id, jti, expires_at) VALUES (?,?,?)",
                (client_id, str(claims["jti"]), keep_until),
            )
            token = secrets.token_urlsafe(32)
            lifetime = devlms.settings.access_token_lifetime
            store.execute(
                "INSERT INTO access_tokens (token, client_id, scopes, expires_at) VALUES (?,?,?,?)",
                (token, client_id, dumps(granted), now + lifetime),
            )
            store.bump("tokens_issued", f"tokens_issued_by_client/{client_id}")
    except TokenError as exc:
        store.bump("token_requests_rejected")
        logger.info("token request refused: %s", exc)
        raise
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(granted),
    }


def _granted_scopes(allowed: Sequence[str], requested: str | None) -> list[str]:
    if requested is None or not requested.strip():
        return list(allowed)
    granted = [scope for scope in dict.fromkeys(requested.split()) if scope in allowed]
    if not granted:
        raise TokenError("invalid_scope", "none of the requested scopes is granted to this tool")
    return granted


def check_bearer(devlms: DevLms, authorization: str | None, any_of: Sequence[str]) -> AccessGrant:
    """The grant behind `Authorization: Bearer ...`, holding at least one scope of `any_of`."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError("missing_token", "send Authorization: Bearer <access token>", status=401)
    row = devlms.store.query_one("SELECT * FROM access_tokens WHERE token = ?", (token.strip(),))
    if row is None or row["expires_at"] < time.time():
        raise ServiceError("invalid_token", "the access token is unknown or expired", status=401)
    grant = AccessGrant(client_id=row["client_id"], scopes=tuple(loads(row["scopes"])))
    if not any(scope in grant.scopes for scope in any_of):
        raise ServiceError(
            "insufficient_scope",
            f"the token needs one of these scopes: {' '.join(any_of)}",
            status=403,
        )
    return grant
