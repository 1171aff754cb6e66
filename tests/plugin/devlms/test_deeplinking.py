"""Deep linking: the request's settings, and the return that places content with line items."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from plugin.devlms.testing import browser_session

from .conftest import LiveLms, StubTool
from .test_oidc import DL_SETTINGS, LTI, verified_claims

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LINEITEM = "application/vnd.ims.lis.v2.lineitemcontainer+json"


def deep_linking_request(lms: LiveLms) -> dict[str, Any]:
    """Run a real deep linking launch as Ada; return the settings claim the tool receives."""
    browser = browser_session()
    auth = lms.client.start_tool_login(lms.client.login_initiation(None, "ada"), browser)
    claims = verified_claims(lms, lms.client.authorize(auth, browser).fields["id_token"])
    return dict(claims[DL_SETTINGS])


def response_claims(
    lms: LiveLms, tool: StubTool, data: str, items: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": tool.client_id,
        "aud": lms.url,
        "iat": now,
        "exp": now + 600,
        "nonce": str(uuid.uuid4()),
        LTI + "deployment_id": "1",
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "data": data,
        DL + "content_items": items,
        **extra,
    }
    return {k: v for k, v in claims.items() if v is not None}


def two_quizzes(tool: StubTool) -> list[dict[str, Any]]:
    return [
        {
            "type": "ltiResourceLink",
            "title": f"Quiz {n}",
            "text": f"Quiz {n} of the course",
            "url": f"{tool.url}/lti/launch?course=c1&module=q{n}",
            "custom": {"module": f"q{n}", "mode": "graded"},
            "lineItem": {
                "label": f"Quiz {n} column",
                "scoreMaximum": 10 * n,
                "resourceId": f"quiz-{n}",
                "tag": "quiz",
            },
        }
        for n in (1, 2)
    ]


def post_return(lms: LiveLms, token: str) -> requests.Response:
    return requests.post(f"{lms.url}/deep_linking_return", data={"JWT": token}, timeout=10)


def test_return_places_items_with_line_items_and_shows_the_message(lms, stub_tool):
    settings = deep_linking_request(lms)
    token = stub_tool.sign(
        response_claims(
            lms,
            stub_tool,
            settings["data"],
            two_quizzes(stub_tool),
            **{DL + "msg": "Two quizzes added"},
        )
    )
    response = requests.post(settings["deep_link_return_url"], data={"JWT": token}, timeout=10)
    assert response.status_code == 200
    assert "Two quizzes added" in response.text and "Quiz 2" in response.text
    placed = {p["title"]: p for p in lms.client.placements()}
    assert set(placed) == {"Quiz 1", "Quiz 2"}
    assert placed["Quiz 2"]["url"] == f"{stub_tool.url}/lti/launch?course=c1&module=q2"
    assert placed["Quiz 2"]["custom"] == {"module": "q2", "mode": "graded"}
    assert placed["Quiz 2"]["source"] == "deep_linking"
    token_for_ags = lms.token(stub_tool, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem")
    items = requests.get(
        f"{lms.url}/api/contexts/course-101/lineitems",
        timeout=10,
        headers={"Authorization": f"Bearer {token_for_ags}", "Accept": LINEITEM},
    ).json()
    by_resource = {i["resourceId"]: i for i in items}
    assert by_resource["quiz-2"]["scoreMaximum"] == 20
    assert by_resource["quiz-2"]["label"] == "Quiz 2 column"
    assert by_resource["quiz-2"]["tag"] == "quiz"
    assert by_resource["quiz-2"]["resourceLinkId"] == placed["Quiz 2"]["id"]
    assert by_resource["quiz-2"]["id"] == placed["Quiz 2"]["lineitem"]
    course = requests.get(f"{lms.url}/?as=ada&lti_msg=Two+quizzes+added", timeout=10).text
    assert "Quiz 1" in course and "graded out of 20" in course and "Two quizzes added" in course
    # launching the new placement carries its line item and custom parameters
    browser = browser_session()
    auth = lms.client.start_tool_login(
        lms.client.login_initiation(placed["Quiz 2"]["id"], "grace"), browser
    )
    claims = verified_claims(lms, lms.client.authorize(auth, browser).fields["id_token"])
    assert (
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
        == (placed["Quiz 2"]["lineitem"])
    )
    assert claims[LTI + "custom"] == {"module": "q2", "mode": "graded"}


def test_errormsg_and_no_items_place_nothing(lms, stub_tool):
    settings = deep_linking_request(lms)
    token = stub_tool.sign(
        response_claims(
            lms, stub_tool, settings["data"], [], **{DL + "errormsg": "Nothing was selected"}
        )
    )
    response = post_return(lms, token)
    assert response.status_code == 200 and "Nothing was selected" in response.text
    assert lms.client.placements() == []


def test_other_item_types_are_ignored_visibly(lms, stub_tool):
    settings = deep_linking_request(lms)
    items = [
        {"type": "link", "url": "https://example.com/"},
        {"type": "ltiResourceLink", "title": "Reading"},
    ]
    response = post_return(
        lms, stub_tool.sign(response_claims(lms, stub_tool, settings["data"], items))
    )
    assert response.status_code == 200 and "Ignored item 0 of type &#39;link&#39;" in response.text
    [reading] = lms.client.placements()
    assert reading["url"] == f"{stub_tool.url}/lti/launch" and reading["lineitem"] is None


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"aud": "http://evil.example"}, "bad_aud"),
        ({"exp": 1000}, "expired"),
        ({"nonce": None}, "missing_nonce"),
        ({LTI + "message_type": "LtiResourceLinkRequest"}, "bad_message_type"),
        ({LTI + "version": "1.1"}, "bad_version"),
        ({LTI + "deployment_id": "999"}, "bad_deployment_id"),
        ({DL + "data": "made-up"}, "bad_data"),
        ({DL + "data": None}, "bad_data"),
        ({"iss": "unknown-client"}, "unknown_client"),
        (
            {DL + "content_items": [{"type": "ltiResourceLink", "lineItem": {"scoreMaximum": 0}}]},
            "bad_line_item",
        ),
    ],
)
def test_bad_responses_are_refused_and_place_nothing(lms, stub_tool, change, code):
    settings = deep_linking_request(lms)
    claims = response_claims(lms, stub_tool, settings["data"], two_quizzes(stub_tool))
    for key, value in change.items():
        if value is None:
            claims.pop(key)
        else:
            claims[key] = value
    response = post_return(lms, stub_tool.sign(claims))
    assert response.status_code == 400
    assert response.headers["X-Devlms-Error"] == code
    assert f'data-error-code="{code}"' in response.text
    assert lms.client.placements() == []


def test_forged_signatures_are_refused(lms, stub_tool):
    settings = deep_linking_request(lms)
    claims = response_claims(lms, stub_tool, settings["data"], two_quizzes(stub_tool))
    forged = post_return(lms, stub_tool.sign(claims, key=_other_key()))
    assert (forged.status_code, forged.headers["X-Devlms-Error"]) == (400, "bad_signature")
    unknown = post_return(lms, stub_tool.sign(claims, kid="nobody"))
    assert unknown.headers["X-Devlms-Error"] == "unknown_kid"
    garbage = post_return(lms, "abc.def.ghi")
    assert garbage.headers["X-Devlms-Error"] == "malformed_jwt"
    missing = requests.post(f"{lms.url}/deep_linking_return", data={}, timeout=10)
    assert missing.headers["X-Devlms-Error"] == "missing_jwt"
    assert lms.client.placements() == []


def test_a_request_is_answered_once(lms, stub_tool):
    settings = deep_linking_request(lms)
    token = stub_tool.sign(
        response_claims(lms, stub_tool, settings["data"], two_quizzes(stub_tool))
    )
    assert post_return(lms, token).status_code == 200
    again = post_return(lms, token)
    assert (again.status_code, again.headers["X-Devlms-Error"]) == (400, "data_reused")
    assert len(lms.client.placements()) == 2
