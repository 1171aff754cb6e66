"""Platform public keys for id_token signatures: JWKS from the key set URL or the pasted set.

The fetched JWKS is cached in the shared store (every process sees one copy) and refetched once
when a token names an unknown `kid` (platforms such as Brightspace rotate keys hourly), at most
once per REFETCH_COOLDOWN seconds per registration so random kids cannot make us hammer the
platform. On top, each process keeps parsed keys keyed by (registration, key source, kid) for
PROCESS_TTL seconds, so a launch does no JSON or key parsing at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from ..errors import LaunchError
from ..store import Store

log = logging.getLogger(__name__)

STORE_TTL = 600
PROCESS_TTL = 300.0
REFETCH_COOLDOWN = 10
FETCH_TIMEOUT = (3.05, 5)
MAX_JWKS_BYTES = 512 * 1024
ALGS = ("RS256", "RS384", "RS512")

_lock = threading.Lock()
_parsed: dict[tuple[int, str, str], tuple[float, PlatformKey]] = {}


@dataclass(frozen=True)
class PlatformKey:
    """One parsed platform public key."""

    kid: str
    alg: str | None
    key: RSAPublicKey


@dataclass(frozen=True)
class KeySource:
    """Where a registration's keys come from: a URL, or a pasted JWKS."""

    registration_id: int
    key_set_url: str | None
    key_set: str | None

    @property
    def tag(self) -> str:
        raw = self.key_set_url or self.key_set or ""
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def fetch_json(url: str, *, max_bytes: int = MAX_JWKS_BYTES, what: str = "document") -> Any:
    """GET a JSON document through the outbound guard (timeouts, size cap, no redirects to
    private addresses unless the OUTBOUND_* settings allow them); ValueError on any problem."""
    from ..ops.outbound import OutboundError, outbound_session

    session = outbound_session()
    session.max_bytes = min(session.max_bytes, max_bytes)
    try:
        resp = session.get(
            url,
            timeout=FETCH_TIMEOUT,
            headers={"Accept": "application/json", "User-Agent": "microcred-lti"},
        )
    except OutboundError as exc:
        raise ValueError(f"{what} at {url} was refused: {exc}") from exc
    except requests.RequestException as exc:
        raise ValueError(f"{what} at {url} could not be fetched: {type(exc).__name__}") from exc
    finally:
        session.close()
    if resp.status_code != 200:
        raise ValueError(f"{what} at {url} answered HTTP {resp.status_code}")
    try:
        return json.loads(resp.content)
    except ValueError as exc:
        raise ValueError(f"{what} at {url} is not JSON") from exc


def parse_jwks(data: Any) -> dict[str, PlatformKey]:
    """A JWKS dict -> {kid: PlatformKey} for its RSA signing keys; ValueError when malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError('a key set is a JSON object with a "keys" list')
    keys: dict[str, PlatformKey] = {}
    for jwk in data["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            key = RSAAlgorithm.from_jwk(jwk)
        except Exception as exc:  # PyJWT raises several types for malformed keys
            raise ValueError(f"key {jwk.get('kid')!r} is not a valid RSA JWK") from exc
        if isinstance(key, RSAPublicKey):
            alg = jwk.get("alg")
            keys[str(jwk["kid"])] = PlatformKey(str(jwk["kid"]), alg if alg else None, key)
    return keys


def _remember(source: KeySource, keys: dict[str, PlatformKey]) -> None:
    expires = time.monotonic() + PROCESS_TTL
    with _lock:
        for kid, key in keys.items():
            _parsed[(source.registration_id, source.tag, kid)] = (expires, key)


def _from_store(store: Store, source: KeySource) -> dict[str, PlatformKey] | None:
    raw = store.get(_store_key(source))
    if raw is None:
        return None
    try:
        return parse_jwks(json.loads(raw))
    except ValueError:
        return None


def _store_key(source: KeySource) -> str:
    return f"lti:jwks:{source.registration_id}:{source.tag}"


def _fetch(store: Store, source: KeySource) -> dict[str, PlatformKey]:
    assert source.key_set_url
    try:
        data = fetch_json(source.key_set_url, what="the platform key set")
        keys = parse_jwks(data)
    except ValueError as exc:
        log.warning("registration %s: %s", source.registration_id, exc)
        raise LaunchError(
            "The tool could not read your LMS's public keys; try again in a minute.",
            code="LTI_JWKS_UNAVAILABLE",
            status=502,
        ) from exc
    store.set(_store_key(source), json.dumps(data), STORE_TTL)
    log.info(
        "registration %s: fetched platform key set (%d keys)", source.registration_id, len(keys)
    )
    return keys


def platform_key(store: Store, source: KeySource, kid: str) -> PlatformKey:
    """The platform key named `kid`; LaunchError LTI_BAD_KID when the platform has none such."""
    hit = _parsed.get((source.registration_id, source.tag, kid))
    if hit and hit[0] > time.monotonic():
        return hit[1]
    if not source.key_set_url:
        try:
            keys = parse_jwks(json.loads(source.key_set or "{}"))
        except ValueError as exc:
            raise LaunchError(
                "The pasted key set of this platform is not valid.",
                code="LTI_BAD_KEY_SET",
                status=500,
            ) from exc
        _remember(source, keys)
        return _pick(keys, kid)
    stored = _from_store(store, source)
    if stored is None:
        keys = _fetch(store, source)
    elif kid not in stored and store.add(
        f"lti:jwks-refetch:{source.registration_id}", "1", REFETCH_COOLDOWN
    ):
        # An unknown kid: the platform may have rotated. Refetch once.
        keys = _fetch(store, source)
    else:
        keys = stored
    _remember(source, keys)
    return _pick(keys, kid)


def _pick(keys: dict[str, PlatformKey], kid: str) -> PlatformKey:
    key = keys.get(kid)
    if key is None:
        raise LaunchError(
            "The launch was signed with a key your LMS does not publish.",
            code="LTI_BAD_KID",
            status=401,
        )
    return key


def forget_key_set(store: Store, source: KeySource) -> None:
    """Drop every cached copy of a registration's key set (its URL or pasted set changed)."""
    store.delete(_store_key(source))
    store.delete(f"lti:jwks-refetch:{source.registration_id}")
    with _lock:
        for cache_key in [k for k in _parsed if k[0] == source.registration_id]:
            del _parsed[cache_key]


def forget_cached_keys() -> None:
    """Drop this process's parsed platform keys (tests, or after a registration changes)."""
    with _lock:
        _parsed.clear()
