"""Launch records already written, remembered in the shared store so a repeated launch skips the
database: a student opening the same activity again changes nothing in the learner, context and
resource link rows, yet each launch used to upsert all three and commit.

Each record has a store entry "digest:id", keyed by its identity (issuer and sub; deployment and
context id; deployment and resource link id). The digest covers every value the upsert would
write, plus the registry generation, so:
- a launch whose values all match their entries reuses the ids and writes nothing;
- any difference (a new name, a moved link, new service URLs) runs the upsert and rewrites the
  entries, so "the latest launch wins" holds as before, across every process;
- a change to registrations or deployments, and a learner erasure, start a new generation, which
  no entry matches.
The entries are looked up from the id_token's unverified claims in the round trip that spends the
launch's state, and written in the one that saves its session: no extra round trip. They live
ENTRY_TTL seconds, which bounds how long anything outside these paths (a database restored under
a running tool) could be missed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..store import Batch, Slot
from . import context as c
from .records import context_values, learner_values, link_values

ENTRY_TTL = 900
PREFIX = "lti:records:"


def _identity(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _keys(body: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    """Store keys of the learner, context and resource link a launch names (from its claims,
    verified or not: a forged token finds entries only for the records it claims)."""
    iss, sub, dep = body.get("iss"), body.get("sub"), body.get(c.DEPLOYMENT_ID)
    if not (isinstance(iss, str) and iss and isinstance(sub, str) and sub):
        return None
    if not (isinstance(dep, str) and dep):
        return None
    ctx, link = body.get(c.CONTEXT), body.get(c.RESOURCE_LINK)
    ctx_id = ctx.get("id") if isinstance(ctx, dict) else None
    link_id = link.get("id") if isinstance(link, dict) else None
    return (
        PREFIX + "l:" + _identity(iss, sub),
        PREFIX + "c:" + _identity(iss, dep, ctx_id) if isinstance(ctx_id, str) and ctx_id else None,
        PREFIX + "r:" + _identity(iss, dep, str(link_id)) if link_id else None,
    )


@dataclass
class Lookup:
    """The entries a launch asked for, answered once the batch has run."""

    keys: tuple[str, str | None, str | None]
    slots: tuple[Slot, Slot | None, Slot | None]


def look_up(batch: Batch, body: dict[str, Any] | None) -> Lookup | None:
    """Add the reads of the launch's record entries to `batch`."""
    keys = _keys(body) if body else None
    if keys is None:
        return None
    slots = tuple(batch.get(k) if k else None for k in keys)
    return Lookup(keys, slots)  # type: ignore[arg-type]


@dataclass
class Known:
    """The ids if every entry matched, else the digests to write after the upsert."""

    ids: tuple[int, int | None, int | None] | None
    digests: tuple[str, str | None, str | None]
    lookup: Lookup


def _digest(generation: str, values: dict[str, Any] | None) -> str:
    raw = json.dumps([generation, values], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def match(
    lookup: Lookup | None,
    claims: dict[str, Any],
    registration_id: int,
    deployment_pk: int,
    generation: str,
) -> Known | None:
    """Compare the validated launch with its entries; None when it cannot be cached. `claims`
    are the body `lookup` was made from, now verified."""
    if lookup is None:
        return None
    ctx = context_values(claims, registration_id, deployment_pk)
    link = link_values(claims, deployment_pk, None)
    if (ctx is None) != (lookup.keys[1] is None) or (link is None) != (lookup.keys[2] is None):
        return None  # e.g. a deep linking request names a resource link it does not launch
    if link is not None:
        link = {**link, "context": lookup.keys[1]}  # the link's context, by identity
    digests = (
        _digest(generation, learner_values(claims, registration_id)),
        _digest(generation, ctx) if ctx is not None else None,
        _digest(generation, link) if link is not None else None,
    )
    ids: list[int | None] = []
    for digest, slot in zip(digests, lookup.slots, strict=True):
        if digest is None:
            ids.append(None)
            continue
        held = str(slot.value or "") if slot is not None else ""
        stored_digest, _, stored_id = held.partition(":")
        if stored_digest != digest or not stored_id.isdigit():
            return Known(None, digests, lookup)
        ids.append(int(stored_id))
    return Known((ids[0], ids[1], ids[2]), digests, lookup)  # type: ignore[arg-type]


def remember(batch: Batch, known: Known, ids: tuple[int, int | None, int | None]) -> None:
    """Add the writes of the entries for the records just upserted to `batch`."""
    for key, digest, record_id in zip(known.lookup.keys, known.digests, ids, strict=True):
        if key and digest and record_id is not None:
            batch.set(key, f"{digest}:{record_id}", ENTRY_TTL)
