"""Resolve a proof's verification method to a public key: did:key offline, did:web and https
through an injected fetcher (the web app passes one with timeouts and size limits), cached.

Supported key documents: a Multikey (or Ed25519VerificationKey2020 / Ed25519 JsonWebKey) on its
own, as the 1EdTech test vector serves it, or inside a controller / DID document. Keys are
checked, not trusted: a DID document must carry the DID as its id, a key document its own URL.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from plugin.credentials import multibase
from plugin.credentials.keys import VerificationKey, did_web_document_url

logger = logging.getLogger(__name__)

#: Fetch one JSON document by URL (the fragment may be present; HTTP fetchers drop it).
Fetcher = Callable[[str], Mapping[str, Any]]
#: What proof verification calls: verification method URL -> key (or KeyResolutionError).
ResolveKey = Callable[[str], VerificationKey]

RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
_MULTIBASE_KEY_TYPES = {"Multikey", "Ed25519VerificationKey2020"}
_JWK_KEY_TYPES = {"JsonWebKey2020", "JsonWebKey"}


class KeyResolutionError(Exception):
    """The key cannot be resolved. ``indeterminate``: it might resolve later (network down)."""

    def __init__(self, message: str, *, indeterminate: bool = False) -> None:
        super().__init__(message)
        self.indeterminate = indeterminate


def static_fetcher(documents: Mapping[str, Mapping[str, Any]]) -> Fetcher:
    """A fetcher over fixed documents: exact URL first, then the URL without its fragment."""

    def fetch(url: str) -> Mapping[str, Any]:
        if url in documents:
            return documents[url]
        base = url.partition("#")[0]
        if base in documents:
            return documents[base]
        raise LookupError(f"no document at {url}")

    return fetch


class CachingFetcher:
    """Wrap a fetcher with a small TTL cache (successes only); safe to share between threads."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        ttl_seconds: float = 300.0,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Mapping[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, url: str) -> Mapping[str, Any]:
        """The document at ``url``, from the cache while it is fresh."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and entry[0] > now:
                return entry[1]
        document = self._fetcher(url)
        with self._lock:
            self._entries[url] = (now + self._ttl, document)
            self._entries.move_to_end(url)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return document

    def clear(self) -> None:
        """Forget every cached document (e.g. after a key rotation)."""
        with self._lock:
            self._entries.clear()


def resolve_did_key(verification_method: str) -> VerificationKey:
    """The key of a ``did:key:z6Mk...#z6Mk...`` verification method, without any network."""
    did, _, fragment = verification_method.partition("#")
    try:
        public = multibase.public_key_from_did_key(verification_method)
    except multibase.MultibaseError as exc:
        raise KeyResolutionError(f"invalid did:key {verification_method}: {exc}") from exc
    if not fragment:
        verification_method = multibase.did_key_verification_method(did)
    return VerificationKey(
        key_id=verification_method,
        controller=did,
        public_key=public,
        purposes=frozenset(RELATIONSHIPS) - {"keyAgreement"},
    )


class KeyResolver:
    """Resolve verification methods of any issuer: did:key, did:web and https key documents.

    ``http_hosts`` lists hosts (``localhost:5000``) whose did:web and key URLs are fetched over
    plain HTTP: for the dev setup only, since did:web always means HTTPS.
    """

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        ttl_seconds: float = 300.0,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
        http_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self._fetch = (
            CachingFetcher(fetcher, ttl_seconds=ttl_seconds, max_entries=max_entries, clock=clock)
            if fetcher is not None
            else None
        )
        self._http_hosts = http_hosts

    def __call__(self, verification_method: str) -> VerificationKey:
        """The key named by ``verification_method``; raises ``KeyResolutionError``."""
        if not isinstance(verification_method, str) or not verification_method:
            raise KeyResolutionError("the verification method is not a URL")
        if verification_method.startswith("did:key:"):
            return resolve_did_key(verification_method)
        if verification_method.startswith("did:web:"):
            return self._resolve_did_web(verification_method)
        scheme = urlsplit(verification_method).scheme
        if scheme == "https" or (scheme == "http" and self._is_http_host(verification_method)):
            return self._resolve_url(verification_method)
        raise KeyResolutionError(f"unsupported verification method {verification_method!r}")

    def clear(self) -> None:
        """Forget cached documents."""
        if self._fetch is not None:
            self._fetch.clear()

    def _is_http_host(self, url: str) -> bool:
        return urlsplit(url).netloc.lower() in self._http_hosts

    def _get(self, url: str) -> Mapping[str, Any]:
        if self._fetch is None:
            raise KeyResolutionError(
                f"cannot fetch {url}: no fetcher configured", indeterminate=True
            )
        try:
            document = self._fetch(url)
        except Exception as exc:  # any fetch failure (timeouts, HTTP errors) is "try later"
            logger.info("key document %s not fetched: %s", url, exc)
            raise KeyResolutionError(f"could not fetch {url}: {exc}", indeterminate=True) from exc
        if not isinstance(document, Mapping):
            raise KeyResolutionError(f"{url} did not return a JSON object")
        return document

    def _resolve_did_web(self, verification_method: str) -> VerificationKey:
        did, _, fragment = verification_method.partition("#")
        if not fragment:
            raise KeyResolutionError("a did:web verification method needs a #fragment")
        try:
            host = did.removeprefix("did:web:").split(":")[0].replace("%3A", ":").lower()
            scheme = "http" if host in self._http_hosts else "https"
            url = did_web_document_url(did, scheme=scheme)
        except ValueError as exc:
            raise KeyResolutionError(str(exc)) from exc
        document = self._get(url)
        if document.get("id") != did:
            raise KeyResolutionError(f"the DID document at {url} is not for {did}")
        return _key_in_controller_document(document, verification_method)

    def _resolve_url(self, verification_method: str) -> VerificationKey:
        document = self._get(verification_method)
        if document.get("id") == verification_method and "type" in document:
            controller = document.get("controller")
            if not isinstance(controller, str) or not controller:
                raise KeyResolutionError(f"key {verification_method} names no controller")
            return _parse_key(
                document,
                verification_method,
                controller,
                self._purposes(controller, verification_method),
            )
        if document.get("id") == verification_method.partition("#")[0]:
            return _key_in_controller_document(document, verification_method)
        raise KeyResolutionError(f"{verification_method} is not a key or controller document")

    def _purposes(self, controller: str, verification_method: str) -> frozenset[str] | None:
        """Relationships the controller document lists the key under; None if it cannot say."""
        if controller == verification_method or urlsplit(controller).scheme != "https":
            return None
        try:
            document = self._get(controller)
        except KeyResolutionError:
            return None
        if document.get("id") != controller or not any(r in document for r in RELATIONSHIPS):
            return None
        return _relationships(document, verification_method, controller)


def _key_in_controller_document(document: Mapping[str, Any], method: str) -> VerificationKey:
    base = str(document["id"])
    for entry in _method_entries(document):
        if isinstance(entry, Mapping) and _absolute(entry.get("id"), base) == method:
            controller = entry.get("controller", base)
            if not isinstance(controller, str):
                raise KeyResolutionError(f"key {method} has an invalid controller")
            return _parse_key(entry, method, controller, _relationships(document, method, base))
    raise KeyResolutionError(f"{base} does not list the key {method}")


def _method_entries(document: Mapping[str, Any]) -> list[Any]:
    entries: list[Any] = []
    for name in ("verificationMethod", *RELATIONSHIPS):
        value = document.get(name)
        entries.extend(value if isinstance(value, list) else [value] if value else [])
    return entries


def _relationships(document: Mapping[str, Any], method: str, base: str) -> frozenset[str]:
    found = set()
    for name in RELATIONSHIPS:
        value = document.get(name)
        for item in value if isinstance(value, list) else [value] if value else []:
            ref = item.get("id") if isinstance(item, Mapping) else item
            if _absolute(ref, base) == method:
                found.add(name)
    return frozenset(found)


def _absolute(ref: object, base: str) -> str | None:
    if not isinstance(ref, str):
        return None
    if ref.startswith("#"):
        return base + ref
    return ref if ":" in ref else urljoin(base, ref)


def _parse_key(
    entry: Mapping[str, Any], method: str, controller: str, purposes: frozenset[str] | None
) -> VerificationKey:
    kind = entry.get("type")
    try:
        if kind in _MULTIBASE_KEY_TYPES:
            public = multibase.decode_ed25519_public_key(entry.get("publicKeyMultibase", ""))
        elif kind in _JWK_KEY_TYPES:
            public = _ed25519_from_jwk(entry.get("publicKeyJwk"))
        else:
            raise KeyResolutionError(f"key {method} has unsupported type {kind!r}")
    except (multibase.MultibaseError, ValueError, binascii.Error) as exc:
        raise KeyResolutionError(f"key {method} is not a valid Ed25519 key: {exc}") from exc
    return VerificationKey(method, controller, public, purposes)


def _ed25519_from_jwk(jwk: object) -> bytes:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 OKP JWK")
    if "d" in jwk:
        raise ValueError("a public JWK must not contain 'd'")
    x = str(jwk.get("x", ""))
    raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    if len(raw) != 32:
        raise ValueError("an Ed25519 key is 32 bytes")
    return raw
