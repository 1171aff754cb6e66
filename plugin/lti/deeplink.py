"""Deep Linking 2.0: the placeable items and the signed LtiDeepLinkingResponse.

Content items are built with pylti1p3's DeepLinkResource and LineItem; the response claims are
ours, because the library always sends `data` (as null when the platform sent none), never sends
`msg`, and computes the key id with jwcrypto on every call.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from ..errors import LaunchError
from .context import DEEP_LINKING_REQUEST, LaunchContext
from .keys import sign_jwt
from .registry import DeepLinkItem, LineItemSpec
from .urls import build_tool_urls

RESPONSE_LIFETIME = 600
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def sample_items(public_url: str) -> list[DeepLinkItem]:
    """What deep linking offers before delivery registers real courses: one sample activity."""
    launch = build_tool_urls(public_url).launch
    return [
        DeepLinkItem(
            id="sample",
            title="microcred sample activity",
            url=f"{launch}?{urlencode({'target': 'home'})}",
            text="A placeholder activity that shows who you are in the course.",
            custom={"target": "home"},
            line_item=LineItemSpec(
                score_maximum=10, label="microcred sample", resource_id="sample", tag="microcred"
            ),
        )
    ]


def content_item(item: DeepLinkItem) -> dict[str, Any]:
    """One `ltiResourceLink` content item (url, title, custom, lineItem)."""
    resource = DeepLinkResource().set_title(item.title).set_url(item.url)
    if item.custom:
        resource.set_custom_params(dict(item.custom))
    if item.line_item is not None:
        spec = item.line_item
        line: dict[str, Any] = {"scoreMaximum": spec.score_maximum}
        if spec.label:
            line["label"] = spec.label
        if spec.resource_id:
            line["resourceId"] = spec.resource_id
        if spec.tag:
            line["tag"] = spec.tag
        resource.set_lineitem(LineItem(line))  # type: ignore[arg-type]
    data = resource.to_dict()
    if item.text:
        data["text"] = item.text
    return data


def response_claims(
    ctx: LaunchContext, items: Sequence[DeepLinkItem], msg: str | None = None
) -> dict[str, Any]:
    """The claims of an LtiDeepLinkingResponse to the request `ctx` came from."""
    if ctx.message_type != DEEP_LINKING_REQUEST or ctx.deep_linking is None:
        raise LaunchError(
            "This page was not opened for placing activities.",
            code="LTI_NOT_DEEP_LINKING",
            status=400,
        )
    settings = ctx.deep_linking
    if len(items) > 1 and not settings.accept_multiple:
        raise LaunchError(
            "The LMS accepts only one item here; pick one.", code="LTI_DL_ONE_ITEM", status=422
        )
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ctx.client_id,
        "aud": ctx.issuer,
        "iat": now,
        "exp": now + RESPONSE_LIFETIME,
        "nonce": secrets.token_urlsafe(24),
        LTI + "deployment_id": ctx.deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": [content_item(item) for item in items],
    }
    if settings.has_data:
        claims[DL + "data"] = settings.data
    if msg:
        claims[DL + "msg"] = msg
    return claims


def response_jwt(ctx: LaunchContext, items: Sequence[DeepLinkItem], msg: str | None = None) -> str:
    """The signed response JWT (RS256, current tool key)."""
    return sign_jwt(response_claims(ctx, items, msg))
