"""Deep Linking 2.0, platform side: the settings claim; the checked return that places content."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt

from .data import Placement, Tool, User, get_tool, save_placement
from .errors import DeepLinkingError, JwtError
from .keys import verify_tool_jwt
from .vocab import (
    CLAIM_DEPLOYMENT_ID,
    CLAIM_DL_CONTENT_ITEMS,
    CLAIM_DL_DATA,
    CLAIM_DL_ERRORMSG,
    CLAIM_DL_MSG,
    CLAIM_MESSAGE_TYPE,
    CLAIM_VERSION,
    DEEP_LINKING_RESPONSE,
    LTI_VERSION,
)

if TYPE_CHECKING:
    from .data import Context
    from .runtime import DevLms

logger = logging.getLogger(__name__)


def deep_linking_settings(devlms: DevLms, data: str) -> dict[str, Any]:
    """The deep_linking_settings claim; `data` is the opaque value the tool must echo."""
    return {
        "deep_link_return_url": devlms.urls.deep_link_return,
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": True,
        "accept_lineitem": True,
        "auto_create": True,
        "data": data,
    }


def new_deep_link_request(devlms: DevLms, tool: Tool, user: User, context: Context) -> str:
    """Open a deep linking request; its `data` identifies it when the response comes back."""
    data = secrets.token_urlsafe(24)
    devlms.store.execute(
        "INSERT INTO deep_link_requests (data, client_id, user_handle, context_id, created_at) "
        "VALUES (?,?,?,?,?)",
        (data, tool.client_id, user.handle, context.id, time.time()),
    )
    return data


@dataclass(frozen=True)
class DeepLinkOutcome:
    """What a deep linking return did."""

    user_handle: str
    placements: list[Placement] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    msg: str | None = None
    errormsg: str | None = None


def _claims(devlms: DevLms, token: str) -> tuple[Tool, dict[str, Any]]:
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise DeepLinkingError("malformed_jwt", f"the JWT field is not a JWT: {exc}") from exc
    client_id = unverified.get("iss")
    tool = get_tool(devlms.store, client_id) if isinstance(client_id, str) else None
    if tool is None:
        raise DeepLinkingError("unknown_client", f"iss {client_id!r} is not a registered client_id")
    try:
        claims = verify_tool_jwt(devlms.tool_keys, tool, token, audience=devlms.urls.issuer)
    except JwtError as exc:
        raise DeepLinkingError(exc.code, exc.message) from exc
    return tool, claims


def _check_item_line_item(index: int, line_item: object) -> None:
    if not isinstance(line_item, Mapping):
        raise DeepLinkingError("bad_line_item", f"content item {index}: lineItem must be an object")
    maximum = line_item.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise DeepLinkingError(
            "bad_line_item", f"content item {index}: lineItem.scoreMaximum must be a number > 0"
        )
    for key in ("label", "resourceId", "tag"):
        if key in line_item and not isinstance(line_item[key], str):
            raise DeepLinkingError(
                "bad_line_item", f"content item {index}: lineItem.{key} must be a string"
            )


def receive_deep_linking_response(devlms: DevLms, token: str) -> DeepLinkOutcome:
    """Verify a LtiDeepLinkingResponse JWT and place one activity per ltiResourceLink item.

    Checked: signature with the tool's JWKS, iss = client_id, aud = issuer, exp, nonce present,
    message_type, version, deployment_id, and `data` equal to an open request of this tool
    (each request answers once). All items are placed, or none.
    """
    tool, claims = _claims(devlms, token)
    if not claims.get("nonce"):
        raise DeepLinkingError("missing_nonce", "the response must carry a nonce")
    if claims.get(CLAIM_MESSAGE_TYPE) != DEEP_LINKING_RESPONSE:
        raise DeepLinkingError("bad_message_type", f"message_type must be {DEEP_LINKING_RESPONSE}")
    if claims.get(CLAIM_VERSION) != LTI_VERSION:
        raise DeepLinkingError("bad_version", f"version must be {LTI_VERSION}")
    if claims.get(CLAIM_DEPLOYMENT_ID) != tool.deployment_id:
        raise DeepLinkingError("bad_deployment_id", f"deployment_id must be {tool.deployment_id!r}")
    store = devlms.store
    data = claims.get(CLAIM_DL_DATA)
    items = claims.get(CLAIM_DL_CONTENT_ITEMS, [])
    if not isinstance(items, list):
        raise DeepLinkingError("bad_content_items", "content_items must be an array")
    with store.transaction():
        request = store.query_one(
            "SELECT * FROM deep_link_requests WHERE data = ? AND client_id = ?",
            (data if isinstance(data, str) else "", tool.client_id),
        )
        if request is None:
            raise DeepLinkingError("bad_data", "data must echo the value of the request")
        if request["used_at"] is not None:
            raise DeepLinkingError("data_reused", "this deep linking request was answered already")
        store.execute(
            "UPDATE deep_link_requests SET used_at = ? WHERE data = ?", (time.time(), data)
        )
        placements, ignored = [], []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping) or item.get("type") != "ltiResourceLink":
                kind = item.get("type") if isinstance(item, Mapping) else type(item).__name__
                ignored.append(f"item {index} of type {kind!r} (only ltiResourceLink is accepted)")
                continue
            custom = item.get("custom") or {}
            if not isinstance(custom, Mapping):
                raise DeepLinkingError(
                    "bad_custom", f"content item {index}: custom must be an object"
                )
            line_item = item.get("lineItem")
            if line_item is not None:
                _check_item_line_item(index, line_item)
                line_item = {"label": item.get("title") or tool.name, **line_item}
            placements.append(
                save_placement(
                    store,
                    context_id=request["context_id"],
                    client_id=tool.client_id,
                    title=str(item.get("title") or tool.name),
                    url=str(item.get("url") or tool.target_link_uri),
                    custom=custom,
                    text=item.get("text"),
                    line_item=line_item,
                    source="deep_linking",
                )
            )
    store.bump("deep_linking_returns")
    logger.info("deep linking return from %s placed %d items", tool.client_id, len(placements))
    msg, errormsg = claims.get(CLAIM_DL_MSG), claims.get(CLAIM_DL_ERRORMSG)
    return DeepLinkOutcome(
        user_handle=request["user_handle"],
        placements=placements,
        ignored=ignored,
        msg=msg if isinstance(msg, str) else None,
        errormsg=errormsg if isinstance(errormsg, str) else None,
    )
