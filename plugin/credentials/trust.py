"""What verification trusts: our own DID document and status lists come from the database (no
HTTP round trip to ourselves); any other issuer's keys and lists are fetched over HTTPS through
the outbound guard (timeout, size limit, no private addresses in production), cached a few
minutes; did:key needs no fetch at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from ..ops.outbound import fetch_json
from . import keys
from .issuer import issuer_did, list_verification_keys
from .resolve import CachingFetcher, KeyResolutionError, KeyResolver
from .status import signed_list
from .web_urls import own_status_list_number


def http_fetch(url: str) -> Mapping[str, Any]:
    """GET a JSON object (the fragment dropped) through the outbound guard, which applies the
    OUTBOUND_* timeout and size limit and refuses private addresses unless they are allowed
    (the default outside production, where issuers run on loopback)."""
    target = url.partition("#")[0]
    document = fetch_json(target, what="the issuer's document")
    if not isinstance(document, Mapping):
        raise ValueError(f"{target} is not a JSON object")
    return document


def _external_resolver() -> KeyResolver:
    found = current_app.extensions.get("microcred.credentials.resolver")
    if found is None:
        found = KeyResolver(http_fetch)
        current_app.extensions["microcred.credentials.resolver"] = found
    return found


def _external_lists() -> CachingFetcher:
    found = current_app.extensions.get("microcred.credentials.lists")
    if found is None:
        found = CachingFetcher(http_fetch, ttl_seconds=60)
        current_app.extensions["microcred.credentials.lists"] = found
    return found


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
