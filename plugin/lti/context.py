"""`LaunchContext`: what the rest of the app knows about a validated launch (no pylti1p3 types).

It is built once per launch, kept in the shared store under its launch id for the length of the
tool's own session, and read back by `plugin.lti.session.current_launch()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .roles import parse_roles

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
CUSTOM = CLAIM + "custom"
LAUNCH_PRESENTATION = CLAIM + "launch_presentation"
TOOL_PLATFORM = CLAIM + "tool_platform"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)


@dataclass(frozen=True)
class AgsEndpoint:
    """The Assignment and Grade Services claim of a launch."""

    lineitem: str | None
    lineitems: str | None
    scope: tuple[str, ...]


@dataclass(frozen=True)
class DeepLinkingSettings:
    """The deep linking settings claim of an LtiDeepLinkingRequest."""

    return_url: str
    accept_types: tuple[str, ...]
    accept_presentation_document_targets: tuple[str, ...]
    accept_multiple: bool
    auto_create: bool
    title: str | None = None
    text: str | None = None
    data: Any = None
    has_data: bool = False


@dataclass(frozen=True)
class Presentation:
    """How the platform shows the tool (launch_presentation claim)."""

    document_target: str | None = None
    return_url: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class LaunchContext:
    """One validated launch, as every feature sees it. `custom` must be treated as read-only.

    `roles` are the short names in effect (context roles, else mapped institution roles), e.g.
    ("Instructor",); `context_roles` are the context role names exactly as sent.
    """

    launch_id: str
    message_type: str
    registration_id: int
    issuer: str
    client_id: str
    deployment_id: str
    deployment_pk: int
    learner_id: int
    sub: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]
    context_roles: tuple[str, ...]
    is_instructor: bool
    is_learner: bool
    is_admin: bool
    context_pk: int | None
    context_id: str | None
    context_title: str | None
    context_label: str | None
    resource_link_pk: int | None
    resource_link_id: str | None
    resource_link_title: str | None
    target_link_uri: str
    custom: dict[str, Any] = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps_url: str | None = None
    deep_linking: DeepLinkingSettings | None = None
    presentation: Presentation = field(default_factory=Presentation)
    issued_at: int = 0

    def to_json(self) -> str:
        # Shallow copies (dataclasses.asdict deep-copies every value, a noticeable part of a
        # launch's CPU): json.dumps walks the values anyway.
        data = dict(self.__dict__)
        for key in ("ags", "deep_linking", "presentation"):
            if data[key] is not None:
                data[key] = dict(data[key].__dict__)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> LaunchContext:
        data = json.loads(raw)
        ags = data.pop("ags")
        dl = data.pop("deep_linking")
        pres = data.pop("presentation")
        for key in ("roles", "context_roles"):
            data[key] = tuple(data[key])
        return cls(
            ags=AgsEndpoint(ags["lineitem"], ags["lineitems"], tuple(ags["scope"]))
            if ags
            else None,
            deep_linking=_dl_from_dict(dl) if dl else None,
            presentation=Presentation(**pres),
            **data,
        )


def _dl_from_dict(dl: dict[str, Any]) -> DeepLinkingSettings:
    dl["accept_types"] = tuple(dl["accept_types"])
    dl["accept_presentation_document_targets"] = tuple(dl["accept_presentation_document_targets"])
    return DeepLinkingSettings(**dl)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def parse_ags(claims: dict[str, Any]) -> AgsEndpoint | None:
    raw = claims.get(AGS_ENDPOINT)
    if not isinstance(raw, dict):
        return None
    scope = raw.get("scope") or []
    return AgsEndpoint(
        lineitem=_str_or_none(raw.get("lineitem")),
        lineitems=_str_or_none(raw.get("lineitems")),
        scope=tuple(s for s in scope if isinstance(s, str)) if isinstance(scope, list) else (),
    )


def parse_nrps(claims: dict[str, Any]) -> str | None:
    raw = claims.get(NRPS)
    return _str_or_none(raw.get("context_memberships_url")) if isinstance(raw, dict) else None


def parse_deep_linking(claims: dict[str, Any]) -> DeepLinkingSettings | None:
    raw = claims.get(DL_SETTINGS)
    if not isinstance(raw, dict):
        return None

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    return DeepLinkingSettings(
        return_url=str(raw.get("deep_link_return_url") or ""),
        accept_types=strings("accept_types"),
        accept_presentation_document_targets=strings("accept_presentation_document_targets"),
        accept_multiple=_bool(raw.get("accept_multiple", True)),
        auto_create=_bool(raw.get("auto_create", False)),
        title=_str_or_none(raw.get("title")),
        text=_str_or_none(raw.get("text")),
        data=raw.get("data"),
        has_data="data" in raw,
    )


def parse_presentation(claims: dict[str, Any]) -> Presentation:
    raw = claims.get(LAUNCH_PRESENTATION)
    if not isinstance(raw, dict):
        return Presentation()
    return Presentation(
        document_target=_str_or_none(raw.get("document_target")),
        return_url=_str_or_none(raw.get("return_url")),
        locale=_str_or_none(raw.get("locale")),
    )


def _claim_dict(claims: dict[str, Any], name: str) -> dict[str, Any]:
    raw = claims.get(name)
    return raw if isinstance(raw, dict) else {}


def custom_params(claims: dict[str, Any]) -> dict[str, Any]:
    return dict(_claim_dict(claims, CUSTOM))


def build_launch_context(
    claims: dict[str, Any],
    *,
    launch_id: str,
    registration_id: int,
    client_id: str,
    deployment_pk: int,
    learner_id: int,
    context_pk: int | None,
    resource_link_pk: int | None,
    issued_at: int,
) -> LaunchContext:
    """Validated claims plus our row ids -> LaunchContext."""
    roles = parse_roles(claims.get(ROLES))
    ctx = _claim_dict(claims, CONTEXT)
    link = _claim_dict(claims, RESOURCE_LINK)
    return LaunchContext(
        launch_id=launch_id,
        message_type=claims[MESSAGE_TYPE],
        registration_id=registration_id,
        issuer=claims["iss"],
        client_id=client_id,
        deployment_id=claims[DEPLOYMENT_ID],
        deployment_pk=deployment_pk,
        learner_id=learner_id,
        sub=claims["sub"],
        name=display_name(claims),
        email=_str_or_none(claims.get("email")),
        roles=roles.effective,
        context_roles=roles.context,
        is_instructor=roles.is_instructor,
        is_learner=roles.is_learner,
        is_admin=roles.is_admin,
        context_pk=context_pk,
        context_id=_str_or_none(ctx.get("id")),
        context_title=_str_or_none(ctx.get("title")),
        context_label=_str_or_none(ctx.get("label")),
        resource_link_pk=resource_link_pk,
        resource_link_id=_str_or_none(link.get("id")),
        resource_link_title=_str_or_none(link.get("title")),
        target_link_uri=claims[TARGET_LINK_URI],
        custom=custom_params(claims),
        ags=parse_ags(claims),
        nrps_url=parse_nrps(claims),
        deep_linking=parse_deep_linking(claims),
        presentation=parse_presentation(claims),
        issued_at=issued_at,
    )


def display_name(claims: dict[str, Any]) -> str | None:
    """The person's name from `name`, else given + family name, else None."""
    name = _str_or_none(claims.get("name"))
    if name:
        return name
    parts = [claims.get("given_name"), claims.get("family_name")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p)
    return joined or None
