"""Keys: the platform's RSA signing keys (generated at first start, kept in its database), its
JWKS, rotation, and verification of tool-signed JWTs against the tool's JWKS."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .data import Tool
from .errors import JwtError
from .store import Store
from .vocab import RS_ALGORITHMS

logger = logging.getLogger(__name__)

USER_AGENT = "microcred-devlms/0.1 (LTI 1.3 development platform)"


@dataclass(frozen=True)
class SigningKey:
    """One platform key pair with its key id."""

    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK with kid, alg and use."""
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def private_pem(self) -> str:
        """PKCS#8 PEM of the private key."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()


def generate_key() -> SigningKey:
    """A fresh 2048-bit RSA key with a random kid."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid=f"devlms-{secrets.token_hex(6)}", private_key=key)


def _load(kid: str, pem: str) -> SigningKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return SigningKey(kid=kid, private_key=key)


def ensure_signing_key(store: Store) -> SigningKey:
    """The current signing key, generated and stored on first start."""
    with store.transaction():
        row = store.query_one("SELECT kid, private_pem FROM signing_keys WHERE current = 1")
        if row is not None:
            return _load(row["kid"], row["private_pem"])
        key = generate_key()
        store.execute(
            "INSERT INTO signing_keys (kid, private_pem, created_at, current) VALUES (?, ?, ?, 1)",
            (key.kid, key.private_pem(), time.time()),
        )
    logger.info("dev LMS generated signing key %s", key.kid)
    return key


_cache_lock = threading.Lock()
_loaded: dict[str, SigningKey] = {}  # kid -> key; kids are random, so this never mixes stores


def current_signing_key(store: Store) -> SigningKey:
    """The key id_tokens are signed with now (parsed once per kid)."""
    row = store.query_one("SELECT kid, private_pem FROM signing_keys WHERE current = 1")
    if row is None:
        return ensure_signing_key(store)
    with _cache_lock:
        key = _loaded.get(row["kid"])
        if key is None:
            key = _loaded[row["kid"]] = _load(row["kid"], row["private_pem"])
    return key


def list_signing_keys(store: Store) -> list[SigningKey]:
    """Every published key: the current one first, then retired ones still in their overlap."""
    rows = store.query(
        "SELECT kid, private_pem FROM signing_keys ORDER BY current DESC, created_at DESC"
    )
    return [_load(r["kid"], r["private_pem"]) for r in rows]


def platform_jwks(store: Store) -> dict[str, list[dict[str, Any]]]:
    """The body of P/jwks."""
    return {"keys": [key.public_jwk() for key in list_signing_keys(store)]}


def rotate_signing_key(store: Store) -> SigningKey:
    """Make a new key current; the previous keys stay published until `drop_retired_keys`."""
    key = generate_key()
    with store.transaction():
        store.execute(
            "UPDATE signing_keys SET current = 0, retired_at = ? WHERE current = 1", (time.time(),)
        )
        store.execute(
            "INSERT INTO signing_keys (kid, private_pem, created_at, current) VALUES (?, ?, ?, 1)",
            (key.kid, key.private_pem(), time.time()),
        )
    logger.info("dev LMS rotated its signing key to %s", key.kid)
    return key


def drop_retired_keys(store: Store, older_than_seconds: float = 0) -> int:
    """Stop publishing keys retired more than `older_than_seconds` ago; return how many."""
    cursor = store.execute(
        "DELETE FROM signing_keys WHERE current = 0 AND retired_at <= ?",
        (time.time() - older_than_seconds,),
    )
    return int(cursor.rowcount)


def sign_jwt(
    store: Store,
    claims: Mapping[str, Any],
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign `claims` RS256 with the current platform key (kid in the header)."""
    key = current_signing_key(store)
    return jwt.encode(
        dict(claims),
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid, **(headers or {})},
    )


def decode_platform_jwt(store: Store, token: str, **options: Any) -> dict[str, Any]:
    """Verify a JWT this platform signed itself (e.g. a registration token)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise JwtError("malformed_jwt", f"not a JWT: {exc}") from exc
    for key in list_signing_keys(store):
        if key.kid == kid:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token, key.private_key.public_key(), algorithms=["RS256"], **options
                )
            except jwt.PyJWTError as exc:
                raise JwtError("invalid_jwt", str(exc)) from exc
            return claims
    raise JwtError("unknown_kid", f"no platform key with kid {kid!r}")


class ToolKeyCache:
    """Tool JWKS cache: fetched from the tool's jwks_url, kept `ttl` seconds, refetched once
    when a JWT names a kid the cached set does not have."""

    def __init__(self, ttl: float = 300) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[float, dict[str, Any]]] = {}
        self.fetches = 0

    def _fetch(self, tool: Tool) -> dict[str, Any]:
        if tool.jwks is not None:
            return dict(tool.jwks)
        assert tool.jwks_url
        try:
            response = requests.get(
                tool.jwks_url,
                timeout=10,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, json.JSONDecodeError) as exc:
            raise JwtError(
                "jwks_unavailable", f"could not fetch the tool JWKS at {tool.jwks_url}: {exc}"
            ) from exc
        self.fetches += 1
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise JwtError("jwks_unavailable", f"{tool.jwks_url} is not a JWK set")
        return body

    def keys_for(self, tool: Tool, *, refresh: bool = False) -> list[dict[str, Any]]:
        """The tool's JWKs, from cache unless stale or `refresh`."""
        cache_key = f"{tool.client_id}|{tool.jwks_url}"
        with self._lock:
            entry = self._sets.get(cache_key)
            if entry and not refresh and time.monotonic() - entry[0] < self.ttl:
                return list(entry[1]["keys"])
        body = self._fetch(tool)
        with self._lock:
            self._sets[cache_key] = (time.monotonic(), body)
        return list(body["keys"])

    def clear(self) -> None:
        """Forget every cached key set."""
        with self._lock:
            self._sets.clear()


def _pick(keys: Sequence[Mapping[str, Any]], kid: str | None) -> Mapping[str, Any] | None:
    if kid is None:
        rsa_keys = [k for k in keys if k.get("kty") == "RSA"]
        return rsa_keys[0] if len(rsa_keys) == 1 else None
    return next((k for k in keys if k.get("kid") == kid), None)


def verify_tool_jwt(
    cache: ToolKeyCache,
    tool: Tool,
    token: str,
    *,
    audience: str | None,
    leeway: float = 10,
    require: Sequence[str] = ("exp", "iat"),
) -> dict[str, Any]:
    """Verify a JWT a tool signed (RS256 family only, key by kid from its JWKS, one refetch on an
    unknown kid); check exp/iat and, when given, that `audience` is in aud. Return the claims."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise JwtError("malformed_jwt", f"not a JWT: {exc}") from exc
    alg = header.get("alg")
    if alg not in RS_ALGORITHMS:
        raise JwtError("bad_alg", f"alg {alg!r} is not accepted (RS256, RS384, RS512 only)")
    kid = header.get("kid")
    jwk = _pick(cache.keys_for(tool), kid)
    if jwk is None:
        jwk = _pick(cache.keys_for(tool, refresh=True), kid)
    if jwk is None:
        raise JwtError("unknown_kid", f"kid {kid!r} is not in the JWKS of tool {tool.client_id}")
    try:
        public_key = RSAAlgorithm.from_jwk(dict(jwk))
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise JwtError("bad_key", f"the JWK with kid {kid!r} is not an RSA public key")
        options: Any = {"require": list(require), "verify_aud": audience is not None}
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=RS_ALGORITHMS,
            audience=audience,
            leeway=leeway,
            options=options,
        )
    except jwt.ExpiredSignatureError as exc:
        raise JwtError("expired", "the JWT has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise JwtError("bad_aud", f"aud must contain {audience}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise JwtError("missing_claim", str(exc)) from exc
    except jwt.InvalidSignatureError as exc:
        raise JwtError("bad_signature", "the signature does not verify") from exc
    except jwt.PyJWTError as exc:
        raise JwtError("invalid_jwt", str(exc)) from exc
    return claims
