"""Whole flows over real HTTP between the live dev LMS (127.0.0.1) and the live tool
(localhost): launches, cookie-less launches through Platform Storage, known-bad tokens signed
by the dev LMS, deep linking and dynamic registration."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

from plugin.devlms.testing import AuthRequest, FormPost, browser_session, parse_form
from plugin.lti.models import Learner
from tests.plugin.lti.helpers import count, landed_on


def _follow_to_page(
    browser: requests.Session, response: requests.Response, base: str
) -> requests.Response:
    location = landed_on(response)
    assert "mc_session=" in location
    page = browser.get(location if location.startswith("http") else base + location, timeout=30)
    assert page.status_code == 200
    return page


def test_student_launch_from_the_course_page(dev_lms: Any) -> None:
    placement = dev_lms.place("Module 1")
    browser, form = dev_lms.lms.launch(placement.id, "grace")
    page = _follow_to_page(browser, form.submit(browser), dev_lms.tool_url)
    assert "Grace Hopper" in page.text and "Foundations of Data Literacy" in page.text
    assert "Learner" in page.text
    assert dev_lms.lms_url in page.headers["Content-Security-Policy"]
    assert count(dev_lms.tool, Learner) == 1


def test_instructor_and_private_student(dev_lms: Any) -> None:
    placement = dev_lms.place("Module 1")
    browser, form = dev_lms.lms.launch(placement.id, "ada")
    page = _follow_to_page(browser, form.submit(browser), dev_lms.tool_url)
    assert "Ada Lovelace" in page.text and "instructor" in page.text
    browser, form = dev_lms.lms.launch(placement.id, "katherine")
    page = _follow_to_page(browser, form.submit(browser), dev_lms.tool_url)
    assert "a person your LMS did not name" in page.text


def test_replayed_form_post_is_refused(dev_lms: Any) -> None:
    placement = dev_lms.place("Module 1")
    browser, form = dev_lms.lms.launch(placement.id, "grace")
    assert form.submit(browser).status_code == 200
    again = form.submit(browser)
    assert again.status_code == 400 and "LTI_STATE_UNKNOWN" in again.text


def test_forged_tokens_signed_by_the_dev_lms_are_refused(dev_lms: Any) -> None:
    placement = dev_lms.place("Module 1")
    lms = dev_lms.lms
    cases = [
        (lambda c: c.pop("sub"), {}, "LTI_NO_SUB"),
        (lambda c: c.pop("https://purl.imsglobal.org/spec/lti/claim/roles"), {}, "LTI_NO_ROLES"),
        (lambda c: None, {"alg": "none"}, "LTI_BAD_ALG"),
        (lambda c: None, {"alg": "HS256"}, "LTI_BAD_ALG"),
        (lambda c: None, {"kid": None}, "LTI_NO_KID"),
    ]
    for change, sign, code in cases:
        browser = browser_session()
        auth = lms.start_tool_login(lms.login_initiation(placement.id, "grace"), browser)
        claims = lms.claims_for(auth)
        change(claims)
        response = lms.forge(auth, claims, **sign).submit(browser)
        assert 400 <= response.status_code < 500 and code in response.text, code
        assert "mc_session" not in response.headers.get("Location", "")
    assert count(dev_lms.tool, Learner) == 0


def _storage_config(page: requests.Response) -> dict[str, Any]:
    found = re.search(r'data-config="([^"]+)"', page.text)
    assert found, page.text[:500]
    return dict(json.loads(html.unescape(found.group(1))))


def test_cookieless_launch_through_platform_storage(dev_lms_storage: Any) -> None:
    pair = dev_lms_storage
    placement = pair.place("Module 1")
    lms = pair.lms
    browser = browser_session()
    initiation = lms.login_initiation(placement.id, "grace")
    assert initiation.fields["lti_storage_target"] == "post_message_forwarding"
    login_page = initiation.submit(browser)
    assert login_page.status_code == 200  # a page that talks to the storage frame, not a 302
    login_config = _storage_config(login_page)
    assert login_config["origin"] == pair.lms_url
    assert "platform-storage.js" in login_page.text
    assert "nonce-" in login_page.headers["Content-Security-Policy"]
    auth = AuthRequest.from_url(login_config["auth_url"])
    assert auth.state == login_config["state"]
    launch_page = lms.authorize(auth, browser).submit(browser)
    assert launch_page.status_code == 200  # reads state and nonce back from storage
    config = _storage_config(launch_page)
    assert (config["state"], config["nonce"]) == (login_config["state"], login_config["nonce"])
    finish = parse_form(launch_page.text, launch_page.url)
    assert finish is not None and finish.action.endswith("/lti/launch/finish")
    # What platform-storage.js does with the values lti.get_data returned:
    fields = {
        **finish.fields,
        "lti_storage_state": config["state"],
        "lti_storage_nonce": config["nonce"],
    }
    response = FormPost(finish.action, fields).submit(browser)
    _follow_to_page(browser, response, pair.tool_url)
    assert not browser.cookies.get_dict()  # no cookie was needed from the tool


def test_platform_storage_values_of_another_browser_are_refused(dev_lms_storage: Any) -> None:
    pair = dev_lms_storage
    placement = pair.place("Module 1")
    browser = browser_session()
    auth_page = pair.lms.login_initiation(placement.id, "grace").submit(browser)
    auth = AuthRequest.from_url(_storage_config(auth_page)["auth_url"])
    launch_page = pair.lms.authorize(auth, browser).submit(browser)
    finish = parse_form(launch_page.text, launch_page.url)
    assert finish is not None
    fields = {
        **finish.fields,
        "lti_storage_state": "someone-else",
        "lti_storage_nonce": "someone-else",
    }
    response = FormPost(finish.action, fields).submit(browser)
    assert response.status_code == 403 and "LTI_STATE_MISMATCH" in response.text
    assert count(pair.tool, Learner) == 0


def test_deep_linking_round_trip(dev_lms: Any) -> None:
    lms = dev_lms.lms
    browser = browser_session()
    auth = lms.start_tool_login(lms.login_initiation(None, "ada"), browser)
    response = lms.authorize(auth, browser).submit(browser)
    assert response.status_code == 200
    assert urlsplit(response.headers["Content-Location"]).path == "/lti/deeplink"
    picker = browser.get(dev_lms.tool_url + response.headers["Content-Location"], timeout=30)
    assert picker.status_code == 200 and "microcred sample activity" in picker.text
    form = parse_form(picker.text, picker.url)
    assert form is not None and form.fields.get("mc_session")
    answer = FormPost(form.action, {**form.fields, "item": "sample"}).submit(browser)
    assert answer.status_code == 200
    back = parse_form(answer.text, answer.url)
    assert back is not None and back.action == f"{dev_lms.lms_url}/deep_linking_return"
    claims = _verify_with_tool_jwks(dev_lms.tool_url, back.fields["JWT"])
    dl = "https://purl.imsglobal.org/spec/lti-dl/claim/"
    assert claims["iss"] == "microcred-dev" and claims["aud"] == dev_lms.lms_url
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "1"
    assert (
        claims[dl + "data"] == lms.claims_for(auth)[dl + "deep_linking_settings"]["data"]
        or claims[dl + "data"]
    )
    assert claims[dl + "msg"] == "1 microcred activity placed."
    item = claims[dl + "content_items"][0]
    assert item["type"] == "ltiResourceLink" and item["lineItem"]["scoreMaximum"] == 10
    placed = back.submit(browser)
    assert placed.status_code == 200, placed.text[:500]
    titles = [p["title"] for p in lms.placements()]
    assert "microcred sample activity" in titles
    # The placed activity launches into the tool.
    new = next(p for p in lms.placements() if p["title"] == "microcred sample activity")
    browser, form = lms.launch(new["id"], "grace")
    _follow_to_page(browser, form.submit(browser), dev_lms.tool_url)


def _verify_with_tool_jwks(tool_url: str, token: str) -> dict[str, Any]:
    keys = requests.get(f"{tool_url}/lti/jwks", timeout=30).json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    return dict(
        jwt.decode(
            token, RSAAlgorithm.from_jwk(jwk), algorithms=["RS256"], options={"verify_aud": False}
        )
    )


def test_dynamic_registration_with_the_dev_lms(dev_lms: Any) -> None:
    from plugin.devlms import get_devlms
    from plugin.devlms.registration import new_registration_token
    from plugin.extensions import db
    from plugin.lti import services

    token = new_registration_token(get_devlms(dev_lms.lms_app))
    response = requests.get(
        f"{dev_lms.tool_url}/lti/register",
        timeout=30,
        params={
            "openid_configuration": f"{dev_lms.lms_url}/.well-known/openid-configuration",
            "registration_token": token,
        },
    )
    assert response.status_code == 200, response.text[:800]
    assert "registration-close.js" in response.text and "waiting for approval" in response.text
    client_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    with dev_lms.tool.app_context():
        reg = services.find_registration(dev_lms.lms_url, client_id)
        assert reg is not None and not reg.active
        assert reg.key_set_url == f"{dev_lms.lms_url}/jwks"
        assert [d.status for d in reg.deployments] == ["active"]
        services.set_registration_active(reg, True)
        db.session.commit()
    tools = (
        {t["client_id"]: t for t in dev_lms.lms.get_json("/_dev/tools")}
        if _has_tools_endpoint(dev_lms)
        else {}
    )
    assert not tools or client_id in tools
    placement = dev_lms.lms.add_placement(
        "Registered dynamically", f"{dev_lms.tool_url}/lti/launch", client_id=client_id
    )
    browser, form = dev_lms.lms.launch(placement.id, "grace")
    _follow_to_page(browser, form.submit(browser), dev_lms.tool_url)


def _has_tools_endpoint(pair: Any) -> bool:
    return requests.get(f"{pair.lms_url}/_dev/tools", timeout=30).status_code == 200


def test_new_window_link_keeps_the_session(dev_lms: Any) -> None:
    placement = dev_lms.place("Module 1")
    browser, form = dev_lms.lms.launch(placement.id, "grace")
    page = _follow_to_page(browser, form.submit(browser), dev_lms.tool_url)
    link = re.search(r'href="([^"]+)" target="_blank"', page.text)
    assert link
    fresh = requests.get(dev_lms.tool_url + html.unescape(link.group(1)), timeout=30)
    assert fresh.status_code == 200 and "Grace Hopper" in fresh.text
    assert parse_qs(urlsplit(html.unescape(link.group(1))).query)["mc_session"]
