"""Assignment and Grade Services 2.0 client: find or create a placement's line item, post scores.

The line item is the launch's `lineitem` when it sent one; else the one in the `lineitems`
container bound to the resource link (or, unbound, to our resourceId and tag), reading every
page through `Link: <...>; rel="next"`; else a new one. Results are cached in the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..web import get_store
from .http import ServiceCallError, next_link
from .settings import gradebook_settings
from .tokens import AGS_SCOPES, Platform, call_service

log = logging.getLogger(__name__)

MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MAX_PAGES = 200
LINE_ITEM_CACHE_SECONDS = 86400


@dataclass(frozen=True)
class LineItemTarget:
    """Where a placement's scores go: a known line item, or how to find or create one."""

    resource_link_id: str
    lineitem_url: str | None
    lineitems_url: str | None
    resource_id: str | None
    tag: str | None
    label: str
    score_maximum: float


@dataclass(frozen=True)
class ScoreMessage:
    """One AGS score (application/vnd.ims.lis.v1.score+json)."""

    user_id: str
    score_given: float
    score_maximum: float
    activity_progress: str
    grading_progress: str
    timestamp: str
    comment: str = ""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "userId": self.user_id,
            "scoreGiven": self.score_given,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": self.timestamp,
        }
        if self.comment:
            body["comment"] = self.comment
        return body


def service_url(base: str, suffix: str) -> str:
    """`base` + "/suffix" before its query string (Moodle line item URLs carry ?type_id=...)."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + suffix))


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to whatever query it already has."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def list_line_items(
    platform: Platform, lineitems_url: str, filters: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every line item of the container (all pages), asking the platform to filter."""
    url: str | None = with_query(lineitems_url, filters or {})
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return items
        response = call_service(
            platform,
            AGS_SCOPES,
            "GET",
            url,
            "reading line items",
            headers={"Accept": MEDIA_LINEITEM_CONTAINER},
        )
        try:
            page = response.json()
        except ValueError as exc:
            raise ServiceCallError(
                "reading line items: the answer is not JSON", transient=True
            ) from exc
        if isinstance(page, list):
            items.extend(i for i in page if isinstance(i, dict))
        url = next_link(response.headers, url)
    log.warning("line item container %s has more than %s pages", lineitems_url, MAX_PAGES)
    return items


def match_line_item(items: Iterable[dict[str, Any]], target: LineItemTarget) -> str | None:
    """The id of the line item of `target`'s placement among `items`, or None.

    Bound to the resource link wins (one with our tag first); an unbound one counts only when
    its resourceId is ours and its tag, when it has one, is ours too.
    """
    bound, unbound = [], []
    for item in items:
        if not isinstance(item.get("id"), str):
            continue
        link = item.get("resourceLinkId")
        if link == target.resource_link_id:
            bound.append(item)
        elif (
            not link
            and target.resource_id
            and item.get("resourceId") == target.resource_id
            and item.get("tag") in (None, "", target.tag)
        ):
            unbound.append(item)
    bound.sort(key=lambda i: i.get("tag") != target.tag)
    chosen = bound or unbound
    return chosen[0]["id"] if chosen else None


def create_line_item(platform: Platform, target: LineItemTarget) -> str:
    """Create the placement's line item in the container; its id (URL)."""
    assert target.lineitems_url
    body: dict[str, Any] = {
        "label": target.label,
        "scoreMaximum": target.score_maximum,
        "resourceLinkId": target.resource_link_id,
    }
    if target.resource_id:
        body["resourceId"] = target.resource_id
    if target.tag:
        body["tag"] = target.tag
    response = call_service(
        platform,
        AGS_SCOPES,
        "POST",
        target.lineitems_url,
        "creating the line item",
        data=_json(body),
        headers={"Content-Type": MEDIA_LINEITEM, "Accept": MEDIA_LINEITEM},
    )
    try:
        created = response.json()
    except ValueError:
        created = {}
    url = created.get("id") if isinstance(created, dict) else None
    url = url or response.headers.get("Location")
    if not isinstance(url, str) or not url:
        raise ServiceCallError(
            "creating the line item: the LMS did not say where it is",
            transient=False,
            http_status=response.status_code,
        )
    log.info("created line item %s for resource link %s", url, target.resource_link_id)
    return url


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _cache_key(platform: Platform, target: LineItemTarget) -> str:
    raw = "\n".join(
        [
            target.lineitems_url or "",
            target.resource_link_id,
            target.resource_id or "",
            target.tag or "",
        ]
    )
    return f"gradebook:lineitem:{platform.key}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def resolve_line_item(platform: Platform, target: LineItemTarget) -> str:
    """The line item URL for `target`: given, cached, found in the container, or created.

    One worker at a time finds or creates per placement (a lock in the store), so two workers
    never create two columns for it.
    """
    if target.lineitem_url:
        return target.lineitem_url
    if not target.lineitems_url:
        raise ServiceCallError(
            "this placement has no line item and no line item container", transient=False
        )
    store = get_store()
    key = _cache_key(platform, target)
    lock_ttl = int(4 * gradebook_settings().call_budget) + 2
    deadline = time.monotonic() + lock_ttl + 1
    while True:
        cached = store.get(key)
        if cached:
            return cached
        owner = secrets.token_hex(8)
        if store.add(key + ":lock", owner, lock_ttl):
            try:
                url = _find_or_create(platform, target)
                store.set(key, url, LINE_ITEM_CACHE_SECONDS)
                return url
            finally:
                if store.get(key + ":lock") == owner:
                    store.delete(key + ":lock")
        if time.monotonic() > deadline:
            raise ServiceCallError("another worker is still finding this line item", transient=True)
        time.sleep(0.02)


def _find_or_create(platform: Platform, target: LineItemTarget) -> str:
    assert target.lineitems_url
    found = match_line_item(
        list_line_items(
            platform, target.lineitems_url, {"resource_link_id": target.resource_link_id}
        ),
        target,
    )
    if found is None and target.resource_id:
        # Some platforms bind line items made by deep linking to no resource link.
        filters = {"resource_id": target.resource_id, **({"tag": target.tag} if target.tag else {})}
        found = match_line_item(list_line_items(platform, target.lineitems_url, filters), target)
    return found or create_line_item(platform, target)


def forget_line_item(platform: Platform, target: LineItemTarget) -> None:
    """Drop the cached line item of `target` (the LMS said it is gone)."""
    get_store().delete(_cache_key(platform, target))


def post_score(platform: Platform, lineitem_url: str, score: ScoreMessage) -> None:
    """POST one score to `{lineitem}/scores`; ServiceCallError unless the LMS accepted it."""
    call_service(
        platform,
        AGS_SCOPES,
        "POST",
        service_url(lineitem_url, "scores"),
        "sending the score",
        data=_json(score.as_json()),
        headers={"Content-Type": MEDIA_SCORE},
    )
