"""What verification trusts: our own DID document and status lists come from the database (no
HTTP round trip to ourselves); any other issuer's keys and lists are fetched over HTTPS with a
timeout and a size limit, and cached for a few minutes.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app

from ..web import settings
from . import keys
from .issuer import issuer_did, list_verification_keys
from .resolve import CachingFetcher, KeyResolutionError, KeyResolver
from .status import signed_list
from .web_urls import own_status_list_number

TIMEOUT_SECONDS = 5
MAX_BYTES = 2 * 1024 * 1024


def _refuse_private(url: str) -> None:
    """In production, never fetch for a stranger's credential from our own network."""
    if not settings().is_production:
        return  # development and tests verify issuers on loopback
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", parts.port or 443)
    except OSError as exc:
        raise ValueError(f"cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise ValueError(f"{parts.hostname} is not a public address")


def http_fetch(url: str) -> Mapping[str, Any]:
    """GET a JSON document (the fragment dropped), at most MAX_BYTES, within TIMEOUT_SECONDS."""
    target = url.partition("#")[0]
    _refuse_private(target)
    with requests.get(
        target,
        timeout=TIMEOUT_SECONDS,
        stream=True,
        headers={"Accept": "application/did+json, application/ld+json, application/json"},
    ) as response:
        response.raise_for_status()
        body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    if len(body) > MAX_BYTES:
        raise ValueError(f"{target} is larger than {MAX_BYTES} bytes")
    document = json.loads(body)
    if not isinstance(document, Mapping):
        raise ValueError(f"{target} is not a JSON object")
    return document


def _external_resolver() -> KeyResolver:
    found = current_app.extensions.get("microcred.credentials.resolver")
    if found is None:
        found = KeyResolver(http_fetch)
        current_app.extensions["microcred.credentials.resolver"] = found
    return found  # type: ignore[no-any-return]


def _external_lists() -> CachingFetcher:
    found = current_app.extensions.get("microcred.credentials.lists")
    if found is None:
        found = CachingFetcher(http_fetch, ttl_seconds=60)
        current_app.extensions["microcred.credentials.lists"] = found
    return found  # type: ignore[no-any-return]


def resolve_key(verification_method: str) -> keys.VerificationKey:
    """Our keys from the database (every generation); anyone else's through the resolver."""
    own = issuer_did()
    if isinstance(verification_method, str) and verification_method.startswith(own + "#"):
        for key in list_verification_keys(own):
            if key.key_id == verification_method:
                return key
        raise KeyResolutionError(f"{own} does not list the key {verification_method}")
    return _external_resolver()(verification_method)


def fetch_status_list(url: str) -> Mapping[str, Any]:
    """Our status lists fresh from the database (revocations show at once); others by HTTP."""
    number = own_status_list_number(url)
    if number is not None:
        listing = signed_list(number)
        if listing is None:
            raise LookupError(f"there is no status list at {url}")
        return listing
    return _external_lists()(url)
