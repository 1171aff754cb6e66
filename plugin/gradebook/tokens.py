"""Service access tokens: OAuth2 client credentials with a JWT assertion signed by the tool.

Tokens are cached in the shared store per (issuer, client_id, scopes) until 60 s before they
expire. One worker fetches while the others wait (a short lock in the store), so a fleet of
workers makes one token request per platform and token lifetime. Requests are counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from ..lti.keys import sign_jwt
from ..lti.models import Registration
from ..store import Store
from ..web import get_store
from .http import PlatformBusy, ServiceCallError, platform_slot, send
from .settings import gradebook_settings

log = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPE_LINEITEM = AGS + "lineitem"
SCOPE_LINEITEM_READONLY = AGS + "lineitem.readonly"
SCOPE_RESULT_READONLY = AGS + "result.readonly"
SCOPE_SCORE = AGS + "score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
#: One token serves every grade call (find, create, post), so deliveries share it.
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
NRPS_SCOPES = (SCOPE_NRPS,)
EXPIRY_MARGIN = 60
ASSERTION_LIFETIME = 300
METRIC_TTL = 30 * 86400
FAILURE_TTL = 1


@dataclass(frozen=True)
class Platform:
    """What a service call needs to know about a registration."""

    registration_id: int
    issuer: str
    client_id: str
    token_url: str
    audience: str | None = None
    active: bool = True

    @classmethod
    def of(cls, reg: Registration) -> Platform:
        return cls(
            reg.id,
            reg.issuer,
            reg.client_id,
            reg.auth_token_url,
            reg.auth_audience,
            bool(reg.active),
        )

    @property
    def key(self) -> str:
        """A short stable name of (issuer, client_id) for store keys."""
        return hashlib.sha256(f"{self.issuer}\n{self.client_id}".encode()).hexdigest()[:24]


def _scope_key(platform: Platform, scopes: Sequence[str]) -> str:
    joined = " ".join(sorted(set(scopes)))
    return hashlib.sha256(f"{platform.key}\n{joined}".encode()).hexdigest()[:32]


def client_assertion(platform: Platform) -> str:
    """The signed JWT that authenticates the tool at the token endpoint."""
    now = int(time.time())
    return sign_jwt(
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.audience or platform.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": secrets.token_urlsafe(24),
        }
    )


def request_token(platform: Platform, scopes: Sequence[str]) -> tuple[str, int]:
    """Ask the platform for a token: (access_token, expires_in seconds). Counted."""
    store = get_store()
    store.incr("gradebook:metric:token_requests", METRIC_TTL)
    store.incr(f"gradebook:metric:token_requests:{platform.key}", METRIC_TTL)
    log.info(
        "requesting an access token from %s for client %s", platform.token_url, platform.client_id
    )
    response = send(
        "POST",
        platform.token_url,
        "token request",
        gradebook_settings().timeout,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion(platform),
            "scope": " ".join(sorted(set(scopes))),
        },
        headers={"Accept": "application/json"},
    )
    try:
        body = response.json()
        token = body["access_token"]
        expires_in = int(body.get("expires_in") or 3600)
    except (ValueError, KeyError, TypeError) as exc:
        raise ServiceCallError(
            "token request: the LMS answered without an access_token", transient=True
        ) from exc
    if not isinstance(token, str) or not token:
        raise ServiceCallError("token request: the access_token is empty", transient=True)
    return token, expires_in


def _cache_ttl(expires_in: int) -> int:
    return expires_in - EXPIRY_MARGIN if expires_in > 2 * EXPIRY_MARGIN else expires_in // 2


def get_access_token(platform: Platform, scopes: Sequence[str]) -> str:
    """A valid token for `scopes`: from the shared cache, else fetched by one caller only."""
    store = get_store()
    name = _scope_key(platform, scopes)
    cache_key, lock_key = f"gradebook:token:{name}", f"gradebook:token-lock:{name}"
    fail_key = f"gradebook:token-fail:{name}"
    lock_ttl = int(gradebook_settings().call_budget) + 2
    deadline = time.monotonic() + lock_ttl + 1
    while True:
        token = store.get(cache_key)
        if token:
            return token
        failure = store.get(fail_key)
        if failure:
            raise _failure_from(failure)
        owner = secrets.token_hex(8)
        if store.add(lock_key, owner, lock_ttl):
            try:
                return _fetch_and_cache(platform, scopes, store, cache_key, fail_key)
            finally:
                if store.get(lock_key) == owner:
                    store.delete(lock_key)
        if time.monotonic() > deadline:
            raise ServiceCallError(
                "token request: another worker holds the token lock", transient=True
            )
        time.sleep(0.02)


def _fetch_and_cache(
    platform: Platform, scopes: Sequence[str], store: Store, cache_key: str, fail_key: str
) -> str:
    token = store.get(cache_key)  # a worker that held the lock before us may have filled it
    if token:
        return token
    try:
        token, expires_in = request_token(platform, scopes)
    except ServiceCallError as exc:
        # Waiting workers take this answer instead of asking the LMS again at once.
        store.set(
            fail_key,
            json.dumps(
                {
                    "message": exc.message,
                    "transient": exc.transient,
                    "status": exc.http_status,
                    "retry_after": exc.retry_after,
                }
            ),
            FAILURE_TTL,
        )
        raise
    ttl = _cache_ttl(expires_in)
    if ttl > 0:
        store.set(cache_key, token, ttl)
    return token


def _failure_from(raw: str) -> ServiceCallError:
    """The failure another worker just heard. A transient one is not this row's try (it made
    no call): the row waits for the failure to expire and then asks the LMS itself."""
    data = json.loads(raw)
    if data["transient"]:
        return PlatformBusy(f"waiting after another worker's {data['message']}", delay=FAILURE_TTL)
    return ServiceCallError(
        data["message"],
        transient=False,
        http_status=data["status"],
        retry_after=data["retry_after"],
    )


def forget_access_token(platform: Platform, scopes: Sequence[str], token: str) -> None:
    """Drop a cached token the LMS refused (401), unless another worker replaced it already."""
    store = get_store()
    cache_key = f"gradebook:token:{_scope_key(platform, scopes)}"
    if store.get(cache_key) == token:
        store.delete(cache_key)


def token_request_count(platform: Platform | None = None) -> int:
    """Token requests made (for `platform`, or all) as counted in the shared store."""
    name = "gradebook:metric:token_requests" + (f":{platform.key}" if platform else "")
    raw = get_store().get(name)
    return int(raw) if raw else 0


def call_service(
    platform: Platform,
    scopes: Sequence[str],
    method: str,
    url: str,
    what: str,
    *,
    limited: bool = True,
    **kwargs: Any,
) -> requests.Response:
    """A bearer-token call to a platform service, inside one of the platform's concurrency
    slots (`limited`); a 401 drops the cached token and tries once more with a fresh one."""
    settings = gradebook_settings()
    headers = dict(kwargs.pop("headers", None) or {})
    for attempt in (1, 2):
        token = get_access_token(platform, scopes)
        headers["Authorization"] = f"Bearer {token}"
        try:
            if not limited:
                return send(method, url, what, settings.timeout, headers=headers, **kwargs)
            with platform_slot(
                get_store(),
                platform.registration_id,
                settings.platform_concurrency,
                settings.call_budget + 1,
                settings.slot_wait_seconds,
            ) as held:
                if not held:
                    raise PlatformBusy(f"{what}: the LMS is busy with other deliveries")
                return send(method, url, what, settings.timeout, headers=headers, **kwargs)
        except ServiceCallError as exc:
            if exc.http_status != 401 or attempt == 2:
                raise
            forget_access_token(platform, scopes, token)
    raise AssertionError("unreachable")
