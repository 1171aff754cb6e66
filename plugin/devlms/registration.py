"""LTI Dynamic Registration 1.0, platform side: openid-configuration, registration tokens, and the
registration endpoint, which validates the tool's request the way Moodle 4.5 does (plain-text
errors with Moodle's codes) and answers with client_id and deployment_id."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .config import Settings
from .data import Tool, get_tool, list_tools, save_tool
from .errors import JwtError, RegistrationError
from .keys import decode_platform_jwt, sign_jwt
from .runtime import DevLms
from .vocab import (
    ALL_SCOPES,
    DEEP_LINKING_REQUEST,
    LTI_VERSION,
    PLATFORM_CONFIGURATION,
    PLATFORM_VERSION,
    PRODUCT_FAMILY_CODE,
    RESOURCE_LINK_REQUEST,
    TOOL_CONFIGURATION,
)

logger = logging.getLogger(__name__)

SUBSTITUTION_VARIABLES = [
    "User.id",
    "User.username",
    "Person.name.full",
    "Person.name.given",
    "Person.name.family",
    "Person.email.primary",
    "Context.id",
    "Context.label",
    "Context.title",
    "CourseSection.title",
    "ResourceLink.id",
    "ResourceLink.title",
]


def openid_configuration(settings: Settings) -> dict[str, Any]:
    """The body of P/.well-known/openid-configuration."""
    urls = settings.urls
    return {
        "issuer": urls.issuer,
        "authorization_endpoint": urls.auth,
        "token_endpoint": urls.token,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": urls.jwks,
        "registration_endpoint": urls.register,
        "scopes_supported": ["openid", *ALL_SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        PLATFORM_CONFIGURATION: {
            "product_family_code": PRODUCT_FAMILY_CODE,
            "version": PLATFORM_VERSION,
            "messages_supported": [
                {"type": RESOURCE_LINK_REQUEST},
                {"type": DEEP_LINKING_REQUEST, "placements": ["ContentArea"]},
            ],
            "variables": SUBSTITUTION_VARIABLES,
        },
    }


def new_registration_token(devlms: DevLms, lifetime: int = 3600) -> str:
    """A registration token (signed by the platform, like Moodle's) whose `sub` is the client_id
    the new registration will get; it can be used once."""
    now = int(time.time())
    client_id = f"dr-{secrets.token_hex(6)}"
    return sign_jwt(
        devlms.store,
        {
            "sub": client_id,
            "scope": "reg",
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(8),
        },
    )


def _registration_client_id(devlms: DevLms, authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RegistrationError("missing_registration_token", "missing_registration_token", 401)
    try:
        claims = decode_platform_jwt(devlms.store, token.strip(), options={"require": ["exp"]})
    except JwtError as exc:
        raise RegistrationError(
            "invalid_registration_token", "invalid_registration_token", 401
        ) from exc
    client_id = claims.get("sub")
    if claims.get("scope") != "reg" or not isinstance(client_id, str):
        raise RegistrationError("invalid_registration_token", "invalid_registration_token", 401)
    if get_tool(devlms.store, client_id) is not None:
        raise RegistrationError("token_already_used", "token_already_used", 401)
    return client_id


def _fail(message: str) -> RegistrationError:
    code = "missing_attribute" if message.startswith("missing required") else message
    return RegistrationError(code, message)


def _host_port(url: str) -> str:
    return urlsplit(url).netloc.lower()


def validate_registration(body: Mapping[str, Any]) -> dict[str, Any]:
    """Check a registration request like Moodle 4.5 (lms-moodle.md 2.2); return the tool config
    with `target_link_uri` filled in. Raises RegistrationError with Moodle's plain-text body."""
    for name in (
        "response_types",
        "initiate_login_uri",
        "redirect_uris",
        "client_name",
        "jwks_uri",
        "token_endpoint_auth_method",
    ):
        if not body.get(name):
            raise _fail(f"missing required attribute {name}")
    if body.get("application_type") and body["application_type"] != "web":
        raise _fail("invalid_application_type")
    if not isinstance(body["response_types"], list) or "id_token" not in body["response_types"]:
        raise _fail("invalid_response_types")
    if not isinstance(body["redirect_uris"], list):
        raise _fail("invalid_redirect_uris")
    if body["token_endpoint_auth_method"] != "private_key_jwt":  # noqa: S105 - not a secret
        raise _fail("invalid_token_endpoint_auth_method")
    config = body.get(TOOL_CONFIGURATION)
    if not isinstance(config, Mapping) or not config:
        raise _fail(f"missing required attribute {TOOL_CONFIGURATION}")
    domain = str(config.get("domain") or "").lower().removeprefix("www.")
    if not domain:
        raise _fail("missing_domain")
    target = config.get("target_link_uri") or f"https://{domain}"
    if _host_port(str(target)).removeprefix("www.") != domain:
        raise _fail("domain_targetlinkuri_mismatch")
    return {**config, "domain": domain, "target_link_uri": target}


def _next_deployment_id(devlms: DevLms) -> str:
    numbers = [int(t.deployment_id) for t in list_tools(devlms.store) if t.deployment_id.isdigit()]
    return str(max(numbers, default=1) + 1)


def register_tool(devlms: DevLms, authorization: str | None, raw_body: bytes) -> dict[str, Any]:
    """Handle POST P/register: check the token and body, store the tool, answer like Moodle."""
    client_id = _registration_client_id(devlms, authorization)
    try:
        body = json.loads(raw_body or b"null")
    except ValueError as exc:
        raise RegistrationError("invalid_json", "invalid_json") from exc
    if not isinstance(body, Mapping):
        raise RegistrationError("invalid_json", "invalid_json")
    config = validate_registration(body)
    requested = str(body.get("scope") or "").split()
    scopes = [s for s in ALL_SCOPES if s in requested]
    deep_link_url = next(
        (
            m.get("target_link_uri")
            for m in config.get("messages") or []
            if isinstance(m, Mapping) and m.get("type") == DEEP_LINKING_REQUEST
        ),
        None,
    )
    claims = config.get("claims")
    tool = Tool(
        client_id=client_id,
        name=str(body["client_name"]),
        deployment_id=_next_deployment_id(devlms),
        login_url=str(body["initiate_login_uri"]),
        redirect_uris=tuple(str(u) for u in body["redirect_uris"]),
        target_link_uri=str(config["target_link_uri"]),
        deep_link_url=deep_link_url or None,
        jwks_url=str(body["jwks_uri"]),
        scopes=tuple(scopes),
        custom={str(k): str(v) for k, v in (config.get("custom_parameters") or {}).items()},
        claims=tuple(claims) if isinstance(claims, list) else (),
        active=devlms.settings.dr_auto_activate,
        source="dynamic",
    )
    tool_config: dict[str, Any] = {
        "version": LTI_VERSION,
        "deployment_id": tool.deployment_id,
        "target_link_uri": tool.target_link_uri,
        "domain": config["domain"],
        "messages": list(config.get("messages") or []),
        "custom_parameters": dict(tool.custom),
        "claims": list(tool.claims or ()),
    }
    if config.get("description"):
        tool_config["description"] = config["description"]
    response: dict[str, Any] = {
        "client_id": client_id,
        "response_types": ["id_token"],
        "jwks_uri": tool.jwks_url,
        "initiate_login_uri": tool.login_url,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": list(tool.redirect_uris),
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": tool.name,
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: tool_config,
    }
    if body.get("logo_uri"):
        response["logo_uri"] = body["logo_uri"]
    with devlms.store.transaction():
        if get_tool(devlms.store, client_id) is not None:  # a concurrent use of the same token
            raise RegistrationError("token_already_used", "token_already_used", 401)
        save_tool(devlms.store, tool, registration=response)
    devlms.store.bump("dynamic_registrations")
    logger.info(
        "tool %s registered itself as %s (deployment %s)", tool.name, client_id, tool.deployment_id
    )
    return response
