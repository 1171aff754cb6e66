"""OIDC login and launch over real HTTP: initiation, P/auth checks, and the id_token's claims."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests
from jwt.algorithms import RSAAlgorithm

from plugin.devlms.testing import AuthRequest, DevLmsRefused, browser_session

from .conftest import LiveLms, StubTool, start_lms, stop_lms

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def verified_claims(lms: LiveLms, token: str) -> dict[str, Any]:
    """Verify an id_token with the key the platform publishes at /jwks."""
    keys = requests.get(f"{lms.url}/jwks", timeout=10).json()["keys"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    jwk = next(k for k in keys if k["kid"] == header["kid"])
    assert (jwk["alg"], jwk["use"], jwk["kty"]) == ("RS256", "sig", "RSA")
    return jwt.decode(
        token,
        RSAAlgorithm.from_jwk(jwk),
        algorithms=["RS256"],
        audience="microcred-dev",
        issuer=lms.url,
    )


def launch_as(
    lms: LiveLms,
    stub_tool: StubTool,
    placement_id: str,
    user: str,
) -> tuple[AuthRequest, dict[str, Any]]:
    browser = browser_session()
    auth = lms.client.start_tool_login(lms.client.login_initiation(placement_id, user), browser)
    form = lms.client.authorize(auth, browser)
    assert form.action == f"{stub_tool.url}/lti/launch"
    assert form.fields["state"] == auth.state
    assert form.submit(browser).text == "launched"
    assert stub_tool.launches[-1]["id_token"] == form.fields["id_token"]
    return auth, verified_claims(lms, form.fields["id_token"])


@pytest.fixture
def quiz(lms: LiveLms, stub_tool: StubTool) -> Any:
    return lms.client.add_placement(
        "Quiz 1",
        f"{stub_tool.url}/lti/launch?course=c1&module=m1",
        custom={"module": "m1", "who": "$User.username"},
        text="First quiz",
        line_item={"label": "Quiz 1", "scoreMaximum": 50, "resourceId": "quiz-1", "tag": "quiz"},
    )


def test_login_initiation_carries_every_parameter_and_an_opaque_hint(lms, stub_tool, quiz):
    initiation = lms.client.login_initiation(quiz.id, "grace")
    assert initiation.action == f"{stub_tool.url}/lti/login"
    assert initiation.method == "post"
    fields = initiation.fields
    assert fields["iss"] == lms.url
    assert fields["login_hint"] == "user-grace"
    assert fields["target_link_uri"] == f"{stub_tool.url}/lti/launch?course=c1&module=m1"
    assert fields["client_id"] == "microcred-dev"
    assert fields["lti_deployment_id"] == "1"
    assert fields["lti_storage_target"] == "post_message_forwarding"
    hint = fields["lti_message_hint"]
    assert len(hint) >= 20 and quiz.id not in hint and "grace" not in hint


def test_resource_link_id_token_verifies_against_jwks_and_has_every_claim(lms, stub_tool, quiz):
    auth, claims = launch_as(lms, stub_tool, quiz.id, "grace")
    assert claims["sub"] == "user-grace"
    assert claims["aud"] == claims["azp"] == "microcred-dev"
    assert claims["nonce"] == auth.nonce
    assert claims["exp"] - claims["iat"] == 300
    assert (claims["name"], claims["given_name"], claims["family_name"], claims["email"]) == (
        "Grace Hopper",
        "Grace",
        "Hopper",
        "grace@example.edu",
    )
    assert claims[LTI + "deployment_id"] == "1"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "roles"] == [MEMBERSHIP + "Learner"]
    assert claims[LTI + "context"]["id"] == "course-101"
    assert claims[LTI + "context"]["label"] == "DATA101"
    assert claims[LTI + "context"]["title"] == "Foundations of Data Literacy"
    assert claims[LTI + "resource_link"] == {
        "id": quiz.id,
        "title": "Quiz 1",
        "description": "First quiz",
    }
    assert claims[LTI + "target_link_uri"] == f"{stub_tool.url}/lti/launch?course=c1&module=m1"
    assert claims[LTI + "custom"] == {"module": "m1", "who": "grace"}
    presentation = claims[LTI + "launch_presentation"]
    assert presentation["document_target"] == "iframe"
    assert presentation["locale"] == "en"
    assert presentation["return_url"].startswith(f"{lms.url}/return?")
    platform = claims[LTI + "tool_platform"]
    assert platform["product_family_code"] == "microcred-devlms" and platform["guid"]
    ags = claims[AGS]
    assert sorted(s.rsplit("/", 1)[-1] for s in ags["scope"]) == [
        "lineitem",
        "lineitem.readonly",
        "result.readonly",
        "score",
    ]
    assert ags["lineitems"] == f"{lms.url}/api/contexts/course-101/lineitems"
    placed = next(p for p in lms.client.placements() if p["id"] == quiz.id)
    assert ags["lineitem"] == placed["lineitem"]
    assert claims[NRPS] == {
        "context_memberships_url": f"{lms.url}/api/contexts/course-101/memberships",
        "service_versions": ["2.0"],
    }
    assert DL_SETTINGS not in claims


@pytest.mark.parametrize(
    ("user", "shared", "roles"),
    [
        ("alan", {"name", "given_name", "family_name"}, [MEMBERSHIP + "Learner"]),
        ("katherine", set(), [MEMBERSHIP + "Learner"]),
        ("ada", {"name", "given_name", "family_name", "email"}, [MEMBERSHIP + "Instructor"]),
        (
            "admin",
            {"name", "given_name", "family_name", "email"},
            [
                MEMBERSHIP + "Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            ],
        ),
        (
            "registrar",
            {"name", "given_name", "family_name", "email"},
            ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"],
        ),
    ],
)
def test_each_user_gets_their_roles_and_only_the_personal_data_they_share(
    lms, stub_tool, quiz, user, shared, roles
):
    _, claims = launch_as(lms, stub_tool, quiz.id, user)
    assert claims["sub"] == f"user-{user}"
    assert {c for c in ("name", "given_name", "family_name", "email") if c in claims} == shared
    assert claims[LTI + "roles"] == roles


def test_placement_without_line_item_has_lineitems_but_no_lineitem(lms, stub_tool):
    reading = lms.client.add_placement("Reading", f"{stub_tool.url}/lti/launch?module=r")
    _, claims = launch_as(lms, stub_tool, reading.id, "grace")
    assert "lineitem" not in claims[AGS] and claims[AGS]["lineitems"]
    assert LTI + "custom" not in claims


def test_deep_linking_request_has_settings_and_no_resource_link(lms, stub_tool):
    browser = browser_session()
    auth = lms.client.start_tool_login(lms.client.login_initiation(None, "ada"), browser)
    assert auth.params["login_hint"] == "user-ada"
    claims = verified_claims(lms, lms.client.authorize(auth, browser).fields["id_token"])
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[LTI + "target_link_uri"] == f"{stub_tool.url}/lti/deeplink"
    assert LTI + "resource_link" not in claims
    settings = claims[DL_SETTINGS]
    assert settings["deep_link_return_url"] == f"{lms.url}/deep_linking_return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is True
    assert isinstance(settings["data"], str) and settings["data"]
    assert "lineitem" not in claims[AGS]


def test_students_cannot_start_deep_linking(lms):
    response = requests.get(f"{lms.url}/deeplink/initiate?as=grace", timeout=10)
    assert response.status_code == 403


def _auth_request(lms: LiveLms, quiz: Any) -> AuthRequest:
    return lms.client.start_tool_login(
        lms.client.login_initiation(quiz.id, "grace"), browser_session()
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"redirect_uri": "STUB/lti/launch?evil=1"}, "redirect_uri_mismatch"),
        ({"redirect_uri": "STUB/lti/deeplink"}, "redirect_uri_mismatch"),
        ({"client_id": "someone-else"}, "unknown_client"),
        ({"scope": "profile"}, "bad_scope"),
        ({"response_type": "code"}, "bad_response_type"),
        ({"response_mode": "query"}, "bad_response_mode"),
        ({"prompt": None}, "bad_prompt"),
        ({"nonce": None}, "missing_nonce"),
        ({"lti_message_hint": "forged"}, "bad_message_hint"),
        ({"lti_message_hint": None}, "bad_message_hint"),
        ({"login_hint": "user-alan"}, "login_hint_mismatch"),
    ],
)
def test_auth_refuses_a_bad_request_with_a_stable_code(lms, stub_tool, quiz, change, code):
    auth = _auth_request(lms, quiz)
    params = dict(auth.params)
    for key, value in change.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value.replace("STUB", stub_tool.url)
    with pytest.raises(DevLmsRefused) as refused:
        lms.client.authorize(AuthRequest(auth.url, params))
    assert (refused.value.status, refused.value.code) == (400, code)
    page = requests.get(f"{lms.url}/auth", params=params, timeout=10)
    assert page.status_code == 400
    assert f'data-error-code="{code}"' in page.text and 'name="id_token"' not in page.text


def test_auth_accepts_get_as_well_as_post(lms, quiz):
    auth = _auth_request(lms, quiz)
    page = requests.get(f"{lms.url}/auth", params=auth.params, timeout=10)
    assert page.status_code == 200 and 'name="id_token"' in page.text


def test_window_launch_has_no_storage_target_and_says_window(lms, stub_tool, quiz):
    initiation = lms.client.login_initiation(quiz.id, "grace", target="window")
    assert "lti_storage_target" not in initiation.fields
    browser = browser_session()
    form = lms.client.authorize(lms.client.start_tool_login(initiation, browser), browser)
    claims = verified_claims(lms, form.fields["id_token"])
    assert claims[LTI + "launch_presentation"]["document_target"] == "window"


def test_get_initiation_and_platform_storage_off(tmp_path, stub_tool):
    live = start_lms(tmp_path, stub_tool, DEVLMS_LOGIN_METHOD="get", DEVLMS_PLATFORM_STORAGE=False)
    try:
        quiz = live.client.add_placement("Quiz", f"{stub_tool.url}/lti/launch")
        initiation = live.client.login_initiation(quiz.id, "grace")
        assert initiation.method == "get"
        assert initiation.action == f"{stub_tool.url}/lti/login"
        assert "lti_storage_target" not in initiation.fields
        browser = browser_session()
        form = live.client.authorize(live.client.start_tool_login(initiation, browser), browser)
        assert form.submit(browser).text == "launched"
        page = requests.get(f"{live.url}/launch/{quiz.id}?as=grace", timeout=10).text
        assert 'name="post_message_forwarding"' not in page
    finally:
        stop_lms(live)


def test_inactive_tool_cannot_launch(lms, stub_tool, quiz):
    auth = _auth_request(lms, quiz)
    requests.post(f"{lms.url}/admin/tools/microcred-dev/active", data={"active": "0"}, timeout=10)
    with pytest.raises(DevLmsRefused) as refused:
        lms.client.authorize(auth)
    assert (refused.value.status, refused.value.code) == (403, "inactive_tool")


def test_rotated_key_signs_new_tokens_and_old_key_stays_published(lms, stub_tool, quiz):
    launch_as(lms, stub_tool, quiz.id, "grace")
    old_kid = jwt.get_unverified_header(stub_tool.launches[-1]["id_token"])["kid"]
    new_kid = lms.client.rotate_keys()
    launch_as(lms, stub_tool, quiz.id, "grace")
    assert jwt.get_unverified_header(stub_tool.launches[-1]["id_token"])["kid"] == new_kid
    kids = [k["kid"] for k in requests.get(f"{lms.url}/jwks", timeout=10).json()["keys"]]
    assert kids == [new_kid, old_kid]
