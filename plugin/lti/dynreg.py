"""LTI Dynamic Registration 1.0: the platform opens /lti/register, we read its openid
configuration, post our tool configuration with its registration token, and store the result.

Built on pylti1p3's DynamicRegistration for the configuration body, with what it lacks: the
issuer-prefix check the spec requires, timeouts and size limits, plain-string error bodies
(Moodle), Canvas extensions, the authorization_server audience, and refusal of non-https or
private-network platform URLs in production.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration

from ..config import Settings
from ..errors import ValidationError
from . import services
from .models import Registration
from .platform_keys import FETCH_TIMEOUT, fetch_json
from .urls import build_tool_urls

log = logging.getLogger(__name__)

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CANVAS_PRIVACY = "https://canvas.instructure.com/lti/privacy_level"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
MAX_CONFIG_BYTES = 256 * 1024
PRODUCT_CODES = {
    "canvas": "canvas",
    "moodle": "moodle",
    "blackboardlearn": "blackboard",
    "blackboard": "blackboard",
    "desire2learn": "brightspace",
    "brightspace": "brightspace",
    "d2l": "brightspace",
    "sakai": "sakai",
}


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


class ToolRegistration(DynamicRegistration):
    """Our tool configuration for one platform's openid configuration."""

    client_name = "microcred"
    description = "Markdown micro-courses with graded quizzes and stackable credentials."

    def __init__(
        self,
        settings: Settings,
        config_url: str,
        token: str | None,
        platform: dict[str, Any] | None = None,
    ):
        self._urls = build_tool_urls(settings.public_url)
        self._config_url = config_url
        self._token = token
        self._platform = platform or {}

    def get_initiate_login_uri(self) -> str:
        return self._urls.login

    def get_jwks_uri(self) -> str:
        return self._urls.jwks

    def get_redirect_uris(self) -> list[str]:
        return [self._urls.launch]

    def get_scopes(self) -> list[str]:
        return list(SCOPES)

    def get_domain(self) -> str:
        return self._urls.domain

    def get_target_link_uri(self) -> str:
        return self._urls.launch

    def get_claims(self) -> list[str]:
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_logo_uri(self) -> str:
        return f"{self._urls.public_url}/static/lti/logo.svg"

    def get_openid_configuration_endpoint(self) -> str:
        return self._config_url

    def get_registration_token(self) -> str:
        return self._token or ""

    def product(self) -> str:
        code = str(self._platform.get(PLATFORM_CONFIG, {}).get("product_family_code", ""))
        return PRODUCT_CODES.get(code.lower(), "generic")

    def get_messages(self) -> list[dict[str, Any]]:
        deep_link: dict[str, Any] = {
            "type": "LtiDeepLinkingRequest",
            "target_link_uri": self._urls.deep_link,
            "label": "microcred: place an activity",
        }
        if self.product() == "canvas":
            deep_link["placements"] = ["link_selection", "assignment_selection"]
        else:
            for message in self._platform.get(PLATFORM_CONFIG, {}).get("messages_supported", []):
                if (
                    isinstance(message, dict)
                    and message.get("type") == "LtiDeepLinkingRequest"
                    and isinstance(message.get("placements"), list)
                ):
                    deep_link["placements"] = message["placements"]
        return [
            {
                "type": "LtiResourceLinkRequest",
                "target_link_uri": self._urls.launch,
                "label": "microcred",
            },
            deep_link,
        ]

    def lti_registration_data(self) -> dict[str, Any]:
        data: dict[str, Any] = super().lti_registration_data()
        data["grant_types"] = ["implicit", "client_credentials"]
        tool = data[TOOL_CONFIG]
        tool[CANVAS_PRIVACY] = "public"
        data[CANVAS_PRIVACY] = "public"
        return data


def _check_url(url: Any, field: str, settings: Settings) -> str:
    if not isinstance(url, str) or not url:
        raise _refuse(f"The platform configuration has no {field}.", "LTI_DR_BAD_CONFIG")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(f"The platform's {field} is not an http(s) URL.", "LTI_DR_BAD_CONFIG")
    if parts.scheme == "http" and not settings.allow_insecure_platforms:
        raise _refuse(f"The platform's {field} must use https.", "LTI_INSECURE_URL")
    if settings.is_production:
        _refuse_private_host(parts.hostname, field)
    return url


def _refuse_private_host(host: str, field: str) -> None:
    """In production the tool never calls loopback, private or link-local addresses."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise _refuse(
            f"The platform's {field} host does not resolve.", "LTI_DR_BAD_CONFIG"
        ) from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise _refuse(
                f"The platform's {field} points at a private address.", "LTI_DR_BAD_CONFIG"
            )


def issuer_prefixes(issuer: str, config_url: str) -> bool:
    """The spec's rule: the issuer is a prefix of the configuration URL (on a path boundary)."""
    if not config_url.startswith(issuer):
        return False
    rest = config_url[len(issuer) :]
    return issuer.endswith("/") or rest == "" or rest[0] in "/?#"


def fetch_platform_configuration(config_url: str, settings: Settings) -> dict[str, Any]:
    """GET and check the platform's openid configuration."""
    _check_url(config_url, "openid_configuration", settings)
    try:
        config = fetch_json(
            config_url, max_bytes=MAX_CONFIG_BYTES, what="the platform configuration"
        )
    except ValueError as exc:
        raise _refuse(str(exc), "LTI_DR_FETCH_FAILED") from exc
    if not isinstance(config, dict):
        raise _refuse("The platform configuration is not a JSON object.", "LTI_DR_BAD_CONFIG")
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer_prefixes(issuer, config_url):
        raise _refuse(
            "The platform's issuer is not a prefix of its configuration URL.",
            "LTI_DR_ISSUER_MISMATCH",
        )
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        _check_url(config.get(field), field, settings)
    return config


def post_registration(config: dict[str, Any], body: dict[str, Any], token: str | None) -> Any:
    """POST the tool configuration; the platform's refusal (often a bare string) is shown."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    from ..ops.outbound import OutboundError, outbound_session

    try:
        with outbound_session() as session:
            resp = session.post(
                config["registration_endpoint"],
                data=json.dumps(body),
                headers=headers,
                timeout=FETCH_TIMEOUT,
            )
    except OutboundError as exc:
        raise _refuse(
            f"The platform's registration endpoint was refused: {exc}", "LTI_DR_FETCH_FAILED"
        ) from exc
    except requests.RequestException as exc:
        raise _refuse(
            "The platform's registration endpoint did not answer.", "LTI_DR_FETCH_FAILED"
        ) from exc
    text = resp.text[:MAX_CONFIG_BYTES]
    if not 200 <= resp.status_code < 300:
        reason = text.strip()
        try:
            parsed = json.loads(reason)
            if isinstance(parsed, dict):
                reason = str(parsed.get("error_description") or parsed.get("error") or reason)
        except ValueError:
            pass
        if reason.lstrip().startswith("<"):
            reason = "an HTML error page"
        raise _refuse(
            f"The platform refused the registration (HTTP {resp.status_code}): {reason[:300]}",
            "LTI_DR_REFUSED",
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _refuse(
            "The platform's registration answer is not JSON.", "LTI_DR_BAD_RESPONSE"
        ) from exc


def register_with_platform(config_url: str, token: str | None, settings: Settings) -> Registration:
    """The whole exchange; returns the stored (flushed) registration."""
    config = fetch_platform_configuration(config_url, settings)
    tool = ToolRegistration(settings, config_url, token, config)
    answer = post_registration(config, tool.lti_registration_data(), token)
    if not isinstance(answer, dict) or not answer.get("client_id"):
        raise _refuse("The platform's registration answer has no client_id.", "LTI_DR_BAD_RESPONSE")
    client_id = str(answer["client_id"])
    raw_config = answer.get(TOOL_CONFIG)
    tool_config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    deployment_id = tool_config.get("deployment_id")
    fields = {
        "auth_login_url": config["authorization_endpoint"],
        "auth_token_url": config["token_endpoint"],
        "auth_audience": config.get("authorization_server") or None,
        "key_set_url": config["jwks_uri"],
        "product": tool.product(),
    }
    reg = services.find_registration(config["issuer"], client_id)
    if reg is None:
        reg = services.create_registration(
            issuer=config["issuer"],
            client_id=client_id,
            name=f"{tool.product().capitalize()} at {urlsplit(config['issuer']).netloc}",
            active=settings.auto_approve_registrations,
            **fields,
        )
    else:  # a re-registration (Moodle "update" tokens) keeps approval state
        services.update_registration(reg, **fields)
    if (
        deployment_id is not None
        and str(deployment_id)
        and not any(d.deployment_id == str(deployment_id) for d in reg.deployments)
    ):
        services.add_deployment(reg, str(deployment_id), "active")
    log.info("dynamic registration of %s client %s (active=%s)", reg.issuer, client_id, reg.active)
    return reg
