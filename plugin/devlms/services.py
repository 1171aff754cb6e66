"""AGS 2.0 (line items, scores, results) and NRPS 2.0 (memberships) as the platform serves them.

Each function takes the caller's AccessGrant and parsed input and returns an ApiResponse or raises
ServiceError. Paging: `limit` and `pageOffset` query parameters, `Link: <...>; rel="next"`.
(`pageOffset` is camelCase on purpose: a client that lowercases the Link URL breaks here.)
Out-of-order scores (timestamp older than the stored one) are refused with 409 `out_of_order`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from .data import User, get_context, get_placement, get_tool, get_user_by_sub, list_members
from .errors import ServiceError
from .lineitems import (
    LineItem,
    Score,
    create_line_item,
    delete_line_item,
    get_line_item,
    get_score,
    list_line_items,
    list_scores,
    save_score,
    update_line_item,
)
from .oidc import identity_claims
from .runtime import DevLms
from .tokens import AccessGrant

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


@dataclass(frozen=True)
class ApiResponse:
    """A JSON answer with its media type and extra headers (Link, Location)."""

    status: int
    body: Any = None
    media_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def page(
    devlms: DevLms,
    items: Sequence[Any],
    args: Mapping[str, str],
    path: str,
) -> tuple[list[Any], dict[str, str]]:
    """Cut one page from `items` by `limit`/`pageOffset`; the Link header for the next one."""
    try:
        limit = int(args.get("limit", devlms.settings.page_size))
        offset = int(args.get("pageOffset", 0))
    except ValueError as exc:
        raise ServiceError("bad_paging", "limit and pageOffset must be integers") from exc
    if limit < 1 or offset < 0:
        raise ServiceError("bad_paging", "limit must be >= 1 and pageOffset >= 0")
    chosen = list(items[offset : offset + limit])
    headers = {}
    if offset + limit < len(items):
        query = [(k, v) for k, v in args.items() if k not in ("limit", "pageOffset")]
        query += [("limit", str(limit)), ("pageOffset", str(offset + limit))]
        headers["Link"] = f'<{devlms.urls.url(path)}?{urlencode(query)}>; rel="next"'
    return chosen, headers


def line_item_json(devlms: DevLms, item: LineItem) -> dict[str, Any]:
    """A line item as AGS shows it (absent optional fields are left out)."""
    body: dict[str, Any] = {
        "id": devlms.urls.lineitem(item.context_id, item.id),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    for key, value in (
        ("resourceId", item.resource_id),
        ("resourceLinkId", item.resource_link_id),
        ("tag", item.tag),
        ("startDateTime", item.start_date_time),
        ("endDateTime", item.end_date_time),
    ):
        if value is not None:
            body[key] = value
    return body


def _context_for(devlms: DevLms, context_id: str) -> None:
    if get_context(devlms.store, context_id) is None:
        raise ServiceError("unknown_context", f"no context {context_id!r}", status=404)


def own_line_item(
    devlms: DevLms,
    grant: AccessGrant,
    context_id: str,
    line_item_id: int,
) -> LineItem:
    """The line item if it belongs to this context and to the calling tool, else 404."""
    item = get_line_item(devlms.store, line_item_id)
    if item is None or item.context_id != context_id or item.client_id != grant.client_id:
        raise ServiceError("unknown_line_item", f"no line item {line_item_id} here", status=404)
    return item


def list_line_items_page(
    devlms: DevLms, grant: AccessGrant, context_id: str, args: Mapping[str, str]
) -> ApiResponse:
    """GET the line items container, filtered by resource_link_id, resource_id, tag."""
    _context_for(devlms, context_id)
    items = list_line_items(
        devlms.store,
        context_id,
        grant.client_id,
        resource_link_id=args.get("resource_link_id"),
        resource_id=args.get("resource_id"),
        tag=args.get("tag"),
    )
    chosen, headers = page(devlms, items, args, f"/api/contexts/{context_id}/lineitems")
    return ApiResponse(200, [line_item_json(devlms, i) for i in chosen], headers=headers)


def _line_item_fields(
    devlms: DevLms,
    grant: AccessGrant,
    context_id: str,
    body: object,
) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise ServiceError("bad_line_item", "the body must be a JSON object")
    label, maximum = body.get("label"), body.get("scoreMaximum")
    if not isinstance(label, str) or not label.strip():
        raise ServiceError("bad_line_item", "label is required")
    if not _number(maximum) or maximum <= 0:  # type: ignore[operator]
        raise ServiceError("bad_line_item", "scoreMaximum must be a number > 0")
    fields: dict[str, Any] = {"label": label, "score_maximum": float(maximum)}  # type: ignore[arg-type]
    for key, column in (
        ("resourceId", "resource_id"),
        ("tag", "tag"),
        ("resourceLinkId", "resource_link_id"),
        ("startDateTime", "start_date_time"),
        ("endDateTime", "end_date_time"),
    ):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise ServiceError("bad_line_item", f"{key} must be a string")
        fields[column] = value
    link_id = fields["resource_link_id"]
    if link_id is not None:
        placement = get_placement(devlms.store, link_id)
        if (
            placement is None
            or placement.client_id != grant.client_id
            or placement.context_id != context_id
        ):
            raise ServiceError(
                "bad_line_item",
                f"resourceLinkId {link_id!r} is not a resource link of this tool in this context",
            )
    return fields


def create_line_item_from_json(
    devlms: DevLms, grant: AccessGrant, context_id: str, body: object
) -> ApiResponse:
    """POST to the container: create a line item (201, with Location)."""
    _context_for(devlms, context_id)
    fields = _line_item_fields(devlms, grant, context_id, body)
    item = create_line_item(
        devlms.store, context_id=context_id, client_id=grant.client_id, **fields
    )
    devlms.store.bump("line_items_created")
    body_out = line_item_json(devlms, item)
    return ApiResponse(201, body_out, headers={"Location": body_out["id"]})


def replace_line_item(
    devlms: DevLms, grant: AccessGrant, context_id: str, line_item_id: int, body: object
) -> ApiResponse:
    """PUT a line item: label, scoreMaximum, resourceId, tag, dates (resourceLinkId kept)."""
    item = own_line_item(devlms, grant, context_id, line_item_id)
    fields = _line_item_fields(devlms, grant, context_id, body)
    if isinstance(body, Mapping) and body.get("id") not in (
        None,
        line_item_json(devlms, item)["id"],
    ):
        raise ServiceError("bad_line_item", "id does not match the line item URL")
    fields.pop("resource_link_id")
    updated = update_line_item(devlms.store, item.id, **fields)
    return ApiResponse(200, line_item_json(devlms, updated))


def remove_line_item(
    devlms: DevLms, grant: AccessGrant, context_id: str, line_item_id: int
) -> ApiResponse:
    """DELETE a line item with its scores."""
    item = own_line_item(devlms, grant, context_id, line_item_id)
    delete_line_item(devlms.store, item.id)
    return ApiResponse(204)


def _timestamp(value: object) -> float:
    if not isinstance(value, str):
        raise ServiceError("bad_score", "timestamp is required (ISO 8601 with a UTC offset)")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError("bad_score", f"timestamp {value!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise ServiceError("bad_score", "timestamp needs a UTC offset (e.g. Z or +00:00)")
    return moment.timestamp()


def _member(devlms: DevLms, user_id: object) -> User:
    if not isinstance(user_id, str) or not user_id:
        raise ServiceError("bad_score", "userId is required")
    user = get_user_by_sub(devlms.store, user_id)
    if user is None or not user.enrolled:
        raise ServiceError("not_a_member", f"userId {user_id!r} is not a member of this course")
    return user


def post_score(
    devlms: DevLms, grant: AccessGrant, context_id: str, line_item_id: int, body: object
) -> ApiResponse:
    """POST a score: validate it, refuse one older than the stored one (409), keep the latest."""
    store = devlms.store
    store.bump("scores_received")
    item = own_line_item(devlms, grant, context_id, line_item_id)
    if not isinstance(body, Mapping):
        raise ServiceError("bad_score", "the body must be a JSON object")
    user = _member(devlms, body.get("userId"))
    ts = _timestamp(body.get("timestamp"))
    activity, grading = body.get("activityProgress"), body.get("gradingProgress")
    if activity not in ACTIVITY_PROGRESS:
        raise ServiceError("bad_score", f"activityProgress must be one of {ACTIVITY_PROGRESS}")
    if grading not in GRADING_PROGRESS:
        raise ServiceError("bad_score", f"gradingProgress must be one of {GRADING_PROGRESS}")
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if given is not None and (not _number(given) or given < 0):
        raise ServiceError("bad_score", "scoreGiven must be a number >= 0")
    if maximum is not None and (not _number(maximum) or maximum <= 0):
        raise ServiceError("bad_score", "scoreMaximum must be a number > 0")
    if given is not None and maximum is None:
        raise ServiceError("bad_score", "scoreMaximum is required with scoreGiven")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ServiceError("bad_score", "comment must be a string")
    score = Score(
        item.id,
        user.sub,
        given,
        maximum,
        activity,
        grading,
        comment,
        body["timestamp"],
        ts,
    )
    with store.transaction():
        stored = get_score(store, item.id, user.sub)
        if stored is None or ts >= stored.ts:
            save_score(store, score)
            store.bump("scores_stored")
    if stored is not None and ts < stored.ts:
        store.bump("scores_out_of_order")
        raise ServiceError(
            "out_of_order",
            f"timestamp {body['timestamp']} is older than the stored score's {stored.timestamp}",
            status=409,
        )
    return ApiResponse(204)


def result_json(devlms: DevLms, item: LineItem, score: Score) -> dict[str, Any]:
    """A result: the score scaled to the line item's scoreMaximum."""
    url = devlms.urls.lineitem(item.context_id, item.id)
    body: dict[str, Any] = {
        "id": f"{url}/results/{score.user_sub}",
        "scoreOf": url,
        "userId": score.user_sub,
        "resultMaximum": item.score_maximum,
        "timestamp": score.timestamp,
    }
    if score.score_given is not None and score.score_maximum:
        body["resultScore"] = round(score.score_given / score.score_maximum * item.score_maximum, 6)
    if score.comment:
        body["comment"] = score.comment
    return body


def list_results_page(
    devlms: DevLms, grant: AccessGrant, context_id: str, line_item_id: int, args: Mapping[str, str]
) -> ApiResponse:
    """GET results of a line item (filter `user_id`)."""
    item = own_line_item(devlms, grant, context_id, line_item_id)
    scores = list_scores(devlms.store, [item.id], args.get("user_id"))
    chosen, headers = page(
        devlms, scores, args, f"/api/contexts/{context_id}/lineitems/{item.id}/results"
    )
    return ApiResponse(200, [result_json(devlms, item, s) for s in chosen], headers=headers)


def _role_matches(wanted: str, roles: Sequence[str]) -> bool:
    return any(role == wanted or role.rsplit("#", 1)[-1] == wanted for role in roles)


def list_memberships_page(
    devlms: DevLms, grant: AccessGrant, context_id: str, args: Mapping[str, str]
) -> ApiResponse:
    """GET the NRPS membership container: every enrolled member, launched or not."""
    context = get_context(devlms.store, context_id)
    if context is None:
        raise ServiceError("unknown_context", f"no context {context_id!r}", status=404)
    tool = get_tool(devlms.store, grant.client_id)
    assert tool is not None
    rlid = args.get("rlid")
    if rlid is not None:
        placement = get_placement(devlms.store, rlid)
        if placement is None or placement.client_id != tool.client_id:
            raise ServiceError(
                "unknown_resource_link", f"rlid {rlid!r} is not a resource link of this tool"
            )
    members = list_members(devlms.store)
    if args.get("role"):
        members = [m for m in members if _role_matches(args["role"], m.context_roles)]
    path = f"/api/contexts/{context_id}/memberships"
    chosen, headers = page(devlms, members, args, path)
    query = urlencode(list(args.items()))
    body = {
        "id": devlms.urls.url(path) + (f"?{query}" if query else ""),
        "context": {"id": context.id, "label": context.label, "title": context.title},
        "members": [
            {
                "status": "Active",
                "user_id": m.sub,
                "roles": list(m.context_roles),
                **identity_claims(m, tool),
            }
            for m in chosen
        ],
    }
    devlms.store.bump("membership_requests")
    return ApiResponse(200, body, headers=headers)
