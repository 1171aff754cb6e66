"""OIDC third-party login, platform side: the login initiation the browser sends to the tool, the
checks on the tool's authentication request at P/auth, and the id_token claims."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .data import (
    Context,
    Placement,
    Tool,
    User,
    get_context,
    get_placement,
    get_tool,
    get_user,
)
from .deeplinking import deep_linking_settings, new_deep_link_request
from .errors import AuthError
from .keys import sign_jwt
from .runtime import DevLms
from .vocab import (
    AGS_SCOPES,
    CLAIM_AGS,
    CLAIM_CONTEXT,
    CLAIM_CUSTOM,
    CLAIM_DEPLOYMENT_ID,
    CLAIM_DL_SETTINGS,
    CLAIM_LAUNCH_PRESENTATION,
    CLAIM_MESSAGE_TYPE,
    CLAIM_NRPS,
    CLAIM_RESOURCE_LINK,
    CLAIM_ROLES,
    CLAIM_TARGET_LINK_URI,
    CLAIM_TOOL_PLATFORM,
    CLAIM_VERSION,
    COURSE_OFFERING,
    DEEP_LINKING_REQUEST,
    LTI_VERSION,
    PLATFORM_NAME,
    PLATFORM_VERSION,
    PRODUCT_FAMILY_CODE,
    RESOURCE_LINK_REQUEST,
    SCOPE_NRPS,
)

#: The name of the Platform Storage frame; sent as `lti_storage_target`.
STORAGE_FRAME = "post_message_forwarding"


@dataclass(frozen=True)
class LoginInitiation:
    """What the browser sends to the tool's OIDC login URL (a form POST or a GET)."""

    url: str
    method: str
    params: dict[str, str]

    @property
    def get_url(self) -> str:
        """The initiation as one GET URL."""
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}{urlencode(self.params)}"


@dataclass(frozen=True)
class AuthGrant:
    """A checked authentication request: who launches what, and where the id_token goes."""

    tool: Tool
    user: User
    context: Context
    placement: Placement | None
    message_type: str
    redirect_uri: str
    state: str | None
    nonce: str
    document_target: str


def start_login(
    devlms: DevLms,
    tool: Tool,
    user: User,
    context: Context,
    *,
    placement: Placement | None = None,
    document_target: str = "iframe",
) -> LoginInitiation:
    """A login initiation for a resource link launch (`placement` given) or a deep linking request.

    `lti_message_hint` is an opaque random value; what it stands for is kept server side.
    """
    hint = secrets.token_urlsafe(24)
    kind = RESOURCE_LINK_REQUEST if placement else DEEP_LINKING_REQUEST
    devlms.store.execute(
        "INSERT INTO message_hints (hint, kind, client_id, user_handle, context_id, placement_id, "
        "document_target, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            hint,
            kind,
            tool.client_id,
            user.handle,
            context.id,
            placement.id if placement else None,
            document_target,
            time.time(),
        ),
    )
    target = placement.url if placement else (tool.deep_link_url or tool.target_link_uri)
    params = {
        "iss": devlms.urls.issuer,
        "login_hint": user.sub,
        "target_link_uri": target,
        "lti_message_hint": hint,
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }
    if devlms.settings.platform_storage:
        params["lti_storage_target"] = STORAGE_FRAME
    return LoginInitiation(url=tool.login_url, method=devlms.settings.login_method, params=params)


def _expect(params: Mapping[str, str], name: str, wanted: str, code: str) -> None:
    value = params.get(name)
    if value != wanted:
        raise AuthError(code, f"{name} must be {wanted!r}, got {value!r}")


def check_auth_request(devlms: DevLms, params: Mapping[str, str]) -> AuthGrant:
    """Check an OIDC authentication request as a strict platform does; raise AuthError."""
    client_id = params.get("client_id", "")
    tool = get_tool(devlms.store, client_id) if client_id else None
    if tool is None:
        raise AuthError("unknown_client", f"no tool is registered with client_id {client_id!r}")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in tool.redirect_uris:
        raise AuthError(
            "redirect_uri_mismatch",
            f"redirect_uri {redirect_uri!r} is not one of the registered "
            f"redirect URIs: {', '.join(tool.redirect_uris)}",
        )
    if "openid" not in params.get("scope", "").split():
        raise AuthError("bad_scope", f"scope must be 'openid', got {params.get('scope')!r}")
    _expect(params, "response_type", "id_token", "bad_response_type")
    _expect(params, "response_mode", "form_post", "bad_response_mode")
    _expect(params, "prompt", "none", "bad_prompt")
    nonce = params.get("nonce")
    if not nonce:
        raise AuthError("missing_nonce", "nonce is required")
    row = devlms.store.query_one(
        "SELECT * FROM message_hints WHERE hint = ?", (params.get("lti_message_hint", ""),)
    )
    if row is None or time.time() - row["created_at"] > devlms.settings.message_hint_lifetime:
        raise AuthError(
            "bad_message_hint",
            "lti_message_hint is missing, unknown or expired: pass it through unchanged",
        )
    if row["client_id"] != tool.client_id:
        raise AuthError("client_mismatch", "the lti_message_hint was issued for another client_id")
    user = get_user(devlms.store, row["user_handle"])
    context = get_context(devlms.store, row["context_id"])
    assert user is not None and context is not None
    if params.get("login_hint") != user.sub:
        raise AuthError(
            "login_hint_mismatch", "login_hint does not match the user of the lti_message_hint"
        )
    if not tool.active:
        raise AuthError(
            "inactive_tool", f"tool {tool.client_id} is not active on this platform", status=403
        )
    placement = get_placement(devlms.store, row["placement_id"]) if row["placement_id"] else None
    if row["kind"] == RESOURCE_LINK_REQUEST and placement is None:
        raise AuthError("bad_message_hint", "the placement of this launch no longer exists")
    return AuthGrant(
        tool=tool,
        user=user,
        context=context,
        placement=placement,
        message_type=row["kind"],
        redirect_uri=redirect_uri,
        state=params.get("state"),
        nonce=nonce,
        document_target=row["document_target"],
    )


def _substitute(
    custom: Mapping[str, str], user: User, tool: Tool, context: Context, placement: Placement | None
) -> dict[str, str]:
    """Resolve the substitution variables we support; unknown ones pass unchanged (Core 1.3)."""
    values = {
        "$User.id": user.sub,
        "$User.username": user.handle,
        "$Context.id": context.id,
        "$Context.label": context.label,
        "$Context.title": context.title,
        "$CourseSection.title": context.title,
    }
    if user.share_name and tool.may_receive("name"):
        values.update(
            {
                "$Person.name.full": user.name,
                "$Person.name.given": user.given_name or "",
                "$Person.name.family": user.family_name or "",
            }
        )
    if user.share_email and user.email and tool.may_receive("email"):
        values["$Person.email.primary"] = user.email
    if placement:
        values.update({"$ResourceLink.id": placement.id, "$ResourceLink.title": placement.title})
    return {key: values.get(value, value) for key, value in custom.items()}


def identity_claims(user: User, tool: Tool) -> dict[str, str]:
    """name, given_name, family_name and email as the user's privacy and the tool allow."""
    claims: dict[str, str] = {}
    if user.share_name:
        for claim, value in (
            ("name", user.name),
            ("given_name", user.given_name),
            ("family_name", user.family_name),
        ):
            if value and tool.may_receive(claim):
                claims[claim] = value
    if user.share_email and user.email and tool.may_receive("email"):
        claims["email"] = user.email
    return claims


def launch_claims(
    devlms: DevLms,
    *,
    tool: Tool,
    user: User,
    context: Context,
    placement: Placement | None,
    nonce: str,
    document_target: str = "iframe",
    deep_link_data: str | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """Every claim of the id_token for a resource link launch (`placement` given) or a deep
    linking request (`deep_link_data` given)."""
    now = int(time.time()) if now is None else now
    urls = devlms.urls
    guid = devlms.store.set_meta_default("platform_guid", secrets.token_hex(16))
    return_url = urls.url(
        "/return?"
        + urlencode({"as": user.handle, **({"placement": placement.id} if placement else {})})
    )
    claims: dict[str, Any] = {
        "iss": urls.issuer,
        "aud": tool.client_id,
        "azp": tool.client_id,
        "sub": user.sub,
        "iat": now,
        "exp": now + devlms.settings.id_token_lifetime,
        "nonce": nonce,
        **identity_claims(user, tool),
        CLAIM_DEPLOYMENT_ID: tool.deployment_id,
        CLAIM_VERSION: LTI_VERSION,
        CLAIM_ROLES: user.roles,
        CLAIM_CONTEXT: {
            "id": context.id,
            "label": context.label,
            "title": context.title,
            "type": [COURSE_OFFERING],
        },
        CLAIM_LAUNCH_PRESENTATION: {
            "document_target": document_target,
            "return_url": return_url,
            "locale": devlms.settings.locale,
        },
        CLAIM_TOOL_PLATFORM: {
            "product_family_code": PRODUCT_FAMILY_CODE,
            "guid": guid,
            "name": PLATFORM_NAME,
            "version": PLATFORM_VERSION,
        },
    }
    custom = {**tool.custom, **(placement.custom if placement else {})}
    if custom:
        claims[CLAIM_CUSTOM] = _substitute(custom, user, tool, context, placement)
    if placement is not None:
        claims[CLAIM_MESSAGE_TYPE] = RESOURCE_LINK_REQUEST
        claims[CLAIM_TARGET_LINK_URI] = placement.url
        link: dict[str, str] = {"id": placement.id, "title": placement.title}
        if placement.text:
            link["description"] = placement.text
        claims[CLAIM_RESOURCE_LINK] = link
    else:
        claims[CLAIM_MESSAGE_TYPE] = DEEP_LINKING_REQUEST
        claims[CLAIM_TARGET_LINK_URI] = tool.deep_link_url or tool.target_link_uri
        claims[CLAIM_DL_SETTINGS] = deep_linking_settings(devlms, deep_link_data or "")
    ags_scopes = [scope for scope in AGS_SCOPES if scope in tool.scopes]
    if ags_scopes:
        endpoint: dict[str, Any] = {"scope": ags_scopes, "lineitems": urls.lineitems(context.id)}
        if placement is not None and placement.line_item_id is not None:
            endpoint["lineitem"] = urls.lineitem(context.id, placement.line_item_id)
        claims[CLAIM_AGS] = endpoint
    if SCOPE_NRPS in tool.scopes:
        claims[CLAIM_NRPS] = {
            "context_memberships_url": urls.memberships(context.id),
            "service_versions": ["2.0"],
        }
    return claims


def issue_id_token(devlms: DevLms, grant: AuthGrant) -> str:
    """Sign the id_token for a checked request (and open its deep linking request, if any)."""
    data = None
    if grant.message_type == DEEP_LINKING_REQUEST:
        data = new_deep_link_request(devlms, grant.tool, grant.user, grant.context)
    claims = launch_claims(
        devlms,
        tool=grant.tool,
        user=grant.user,
        context=grant.context,
        placement=grant.placement,
        nonce=grant.nonce,
        document_target=grant.document_target,
        deep_link_data=data,
    )
    devlms.store.bump("id_tokens_issued")
    return sign_jwt(devlms.store, claims)
