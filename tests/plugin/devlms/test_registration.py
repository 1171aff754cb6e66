"""Dynamic registration: openid-configuration, the admin page's frame, and /register checks."""

from __future__ import annotations

import html
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from plugin.devlms.testing import browser_session

from .conftest import LiveLms, StubTool
from .test_oidc import LTI

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"


def registration_token(
    lms: LiveLms,
    registration_url: str = "http://localhost:9/register",
) -> dict[str, list[str]]:
    """Open the admin page as an admin would; return the query the tool's frame receives."""
    page = requests.get(
        f"{lms.url}/admin/tools",
        params={"as": "admin", "registration_url": registration_url},
        timeout=10,
    )
    assert page.status_code == 200
    src = html.unescape(re.search(r'class="registration-frame" src="([^"]+)"', page.text)[1])
    return parse_qs(urlsplit(src).query)


def registration_body(tool: StubTool, **changes: Any) -> dict[str, Any]:
    """The request the Moodle recording shows, for the stub tool's URLs."""
    host = urlsplit(tool.url).netloc
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{tool.url}/lti/login",
        "redirect_uris": [f"{tool.url}/lti/launch"],
        "client_name": "Registered tool",
        "jwks_uri": f"{tool.url}/lti/jwks",
        "logo_uri": f"{tool.url}/static/logo.png",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score "
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        TOOL_CONFIG: {
            "domain": host,
            "target_link_uri": f"{tool.url}/lti/launch",
            "description": "Registered by the test",
            "custom_parameters": {"registered_by": "dynreg", "who": "$User.username"},
            "claims": ["iss", "sub", "name"],
            "messages": [
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": f"{tool.url}/lti/deeplink",
                    "label": "Picker",
                }
            ],
        },
    }
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def register(lms: LiveLms, token: str | None, body: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{lms.url}/register", json=body, headers=headers, timeout=10)


def test_openid_configuration_describes_the_platform(lms):
    config = requests.get(f"{lms.url}/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == lms.url
    assert config["authorization_endpoint"] == f"{lms.url}/auth"
    assert config["token_endpoint"] == f"{lms.url}/token"
    assert config["jwks_uri"] == f"{lms.url}/jwks"
    assert config["registration_endpoint"] == f"{lms.url}/register"
    assert "openid" in config["scopes_supported"]
    assert len(config["scopes_supported"]) == 6
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    platform = config[PLATFORM_CONFIG]
    assert platform["product_family_code"] == "microcred-devlms"
    assert {m["type"] for m in platform["messages_supported"]} == {
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }


def test_admin_page_opens_the_registration_url_with_token_and_configuration(lms):
    query = registration_token(lms, "http://localhost:9/lti/register?tenant=x")
    assert query["tenant"] == ["x"]
    assert query["openid_configuration"] == [f"{lms.url}/.well-known/openid-configuration"]
    assert query["registration_token"][0].count(".") == 2
    page = requests.get(
        f"{lms.url}/admin/tools", params={"registration_url": "http://localhost:9/r"}, timeout=10
    ).text
    assert 'data-origin="http://localhost:9"' in page and "admin_tools.js" in page


def test_registration_stores_the_tool_and_answers_like_moodle(lms, stub_tool):
    token = registration_token(lms)["registration_token"][0]
    response = register(lms, token, registration_body(stub_tool))
    assert response.status_code == 200, response.text
    answer = response.json()
    client_id = answer["client_id"]
    assert client_id.startswith("dr-")
    config = answer[TOOL_CONFIG]
    assert config["deployment_id"] == "2" and config["version"] == "1.3.0"
    assert config["domain"] == urlsplit(stub_tool.url).netloc
    assert answer["scope"].split() == [
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ]
    assert answer["token_endpoint_auth_method"] == "private_key_jwt"
    tools = requests.get(f"{lms.url}/admin/tools", timeout=10).text
    assert "Registered tool" in tools and client_id in tools
    # the new client can get a token with its JWKS and launch from a placement
    now = int(time.time())
    assertion = stub_tool.sign(
        {
            "iss": client_id,
            "sub": client_id,
            "aud": f"{lms.url}/token",
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
    )
    granted = requests.post(
        f"{lms.url}/token",
        timeout=10,
        data={
            "grant_type": "client_credentials",
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        },
    )
    assert granted.status_code == 200 and len(granted.json()["scope"].split()) == 2
    placement = lms.client.add_placement(
        "Registered", f"{stub_tool.url}/lti/launch", client_id=client_id
    )
    browser = browser_session()
    auth = lms.client.start_tool_login(lms.client.login_initiation(placement.id, "grace"), browser)
    token_text = lms.client.authorize(auth, browser).fields["id_token"]
    claims = jwt.decode(token_text, options={"verify_signature": False})
    assert claims["aud"] == client_id
    assert claims[LTI + "deployment_id"] == "2"
    assert claims["name"] == "Grace Hopper" and "email" not in claims  # claims asked: name only
    assert claims[LTI + "custom"] == {"registered_by": "dynreg", "who": "grace"}
    assert "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint" in claims


def test_a_registration_token_is_used_once(lms, stub_tool):
    token = registration_token(lms)["registration_token"][0]
    assert register(lms, token, registration_body(stub_tool)).status_code == 200
    again = register(lms, token, registration_body(stub_tool))
    assert (again.status_code, again.text) == (401, "token_already_used")


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        (None, 401, "missing_registration_token"),
        ("abc.def.ghi", 401, "invalid_registration_token"),
    ],
)
def test_registration_needs_a_platform_token(lms, stub_tool, token, status, body):
    response = register(lms, token, registration_body(stub_tool))
    assert (response.status_code, response.text) == (status, body)
    assert response.headers["Content-Type"].startswith("text/plain")


def test_other_methods_are_unsupported(lms):
    response = requests.put(f"{lms.url}/register", json={}, timeout=10)
    assert (response.status_code, response.text) == (400, "Unsupported operation")


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"response_types": None}, "missing required attribute response_types"),
        ({"initiate_login_uri": None}, "missing required attribute initiate_login_uri"),
        ({"redirect_uris": None}, "missing required attribute redirect_uris"),
        ({"client_name": None}, "missing required attribute client_name"),
        ({"jwks_uri": None}, "missing required attribute jwks_uri"),
        (
            {"token_endpoint_auth_method": None},
            "missing required attribute token_endpoint_auth_method",
        ),
        ({TOOL_CONFIG: None}, f"missing required attribute {TOOL_CONFIG}"),
        ({"response_types": ["code"]}, "invalid_response_types"),
        ({"redirect_uris": "http://localhost/one"}, "invalid_redirect_uris"),
        (
            {"token_endpoint_auth_method": "client_secret_basic"},
            "invalid_token_endpoint_auth_method",
        ),
        ({"application_type": "native"}, "invalid_application_type"),
    ],
)
def test_registration_body_errors_are_moodle_plain_text(lms, stub_tool, changes, text):
    token = registration_token(lms)["registration_token"][0]
    response = register(lms, token, registration_body(stub_tool, **changes))
    assert (response.status_code, response.text) == (400, text)


def test_domain_checks(lms, stub_tool):
    token = registration_token(lms)["registration_token"][0]
    config = registration_body(stub_tool)[TOOL_CONFIG]
    no_domain = register(
        lms, token, registration_body(stub_tool, **{TOOL_CONFIG: {**config, "domain": ""}})
    )
    assert no_domain.text == "missing_domain"
    elsewhere = register(
        lms,
        token,
        registration_body(stub_tool, **{TOOL_CONFIG: {**config, "domain": "tool.example.com"}}),
    )
    assert elsewhere.text == "domain_targetlinkuri_mismatch"
    www = register(
        lms,
        token,
        registration_body(
            stub_tool, **{TOOL_CONFIG: {**config, "domain": "www." + config["domain"]}}
        ),
    )
    assert www.status_code == 200 and www.json()[TOOL_CONFIG]["domain"] == config["domain"]


def test_broken_json_is_refused(lms):
    token = registration_token(lms)["registration_token"][0]
    response = requests.post(
        f"{lms.url}/register",
        data="{not json",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (response.status_code, response.text) == (400, "invalid_json")
