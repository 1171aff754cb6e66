"""plugin.devlms.testing: the helpers other tests use to launch, and to forge bad id_tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, request

from plugin.devlms.keys import current_signing_key
from plugin.devlms.testing import FormPost, browser_session, sign_id_token
from tests.servers import free_port, start_server

from .conftest import LiveLms, StubTool
from .test_oidc import LTI, verified_claims


@pytest.fixture
def quiz(lms: LiveLms, stub_tool: StubTool) -> Any:
    return lms.client.add_placement(
        "Quiz", f"{stub_tool.url}/lti/launch?module=q", line_item={"scoreMaximum": 10}
    )


def test_launch_returns_the_form_post_the_browser_would_send(lms, stub_tool, quiz):
    browser, form = lms.client.launch(quiz.id, "grace")
    assert form.action == f"{stub_tool.url}/lti/launch" and set(form.fields) == {
        "id_token",
        "state",
    }
    assert form.submit(browser).text == "launched"


def test_claims_for_matches_what_the_platform_signs(lms, stub_tool, quiz):
    browser = browser_session()
    auth = lms.client.start_tool_login(lms.client.login_initiation(quiz.id, "katherine"), browser)
    real = verified_claims(lms, lms.client.authorize(auth, browser).fields["id_token"])
    made = lms.client.claims_for(auth)
    for claims in (real, made):
        claims.pop("iat"), claims.pop("exp")
    assert made == real


def test_forged_token_reaches_the_tool_with_the_state(lms, stub_tool, quiz):
    browser = browser_session()
    auth = lms.client.start_tool_login(lms.client.login_initiation(quiz.id, "grace"), browser)
    claims = lms.client.claims_for(auth)
    del claims[LTI + "resource_link"]
    form = lms.client.forge(auth, claims)
    assert form.fields["state"] == auth.state
    assert form.submit(browser).text == "launched"
    posted = stub_tool.launches[-1]["id_token"]
    assert LTI + "resource_link" not in verified_claims(lms, posted)


def _segments(token: str) -> tuple[dict[str, Any], bytes, bytes]:
    head, body, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        f"{head}.{body}".encode(),
        base64.urlsafe_b64decode(pad(signature)) if signature else b"",
    )


def test_sign_id_token_makes_each_known_bad_signature(lms):
    claims = {"iss": lms.url, "sub": "user-grace", "aud": "microcred-dev"}
    public = current_signing_key(lms.devlms.store).private_key.public_key()
    good = sign_id_token(lms.app, claims)
    assert jwt.decode(good, public, algorithms=["RS256"], audience="microcred-dev")["sub"]
    assert "kid" not in jwt.get_unverified_header(sign_id_token(lms.app, claims, kid=None))
    assert jwt.get_unverified_header(sign_id_token(lms.app, claims, kid="k9"))["kid"] == "k9"
    header, _, signature = _segments(sign_id_token(lms.app, claims, alg="none"))
    assert header["alg"] == "none" and signature == b""
    header, signing_input, signature = _segments(sign_id_token(lms.app, claims, alg="HS256"))
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert header["alg"] == "HS256"
    assert signature == hmac.new(pem, signing_input, hashlib.sha256).digest()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sign_id_token(lms.app, claims, key=stranger)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, public, algorithms=["RS256"], audience="microcred-dev")
    assert jwt.get_unverified_header(sign_id_token(lms.app, claims, alg="RS512"))["alg"] == "RS512"


@pytest.fixture(scope="module")
def odd_tool() -> Any:
    """A tool whose login answers in other ways than a 302."""
    app = Flask("odd_tool")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        values = request.values
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": values.get("client_id", ""),
            "redirect_uri": "http://localhost:1/lti/launch",
            "state": "s1",
            "nonce": "n1",
            "login_hint": values.get("login_hint", ""),
            "lti_message_hint": values.get("lti_message_hint", ""),
        }
        auth = f"{values.get('iss')}/auth"
        style = request.args.get("style")
        if style == "form":
            inputs = "".join(
                f'<input type="hidden" name="{k}" value="{v}">' for k, v in query.items()
            )
            return f'<form method="post" action="{auth}">{inputs}</form>'
        if style == "js":
            return f'<script>window.location.href = "{auth}?{urlencode(query)}";</script>'
        if style == "storage":
            return (
                f"<script>const cfg = {json.dumps({'url': f'{auth}?{urlencode(query)}'})};</script>"
            )
        if style == "pylti" and "step" not in request.args:
            return '<script>var urlParams = {"step": "2"};</script>'
        if style == "pylti":
            return "", 302, {"Location": f"{auth}?{urlencode(query)}"}
        return "nothing to see"

    port = free_port()
    server = start_server(app, port=port, public_host="localhost")
    yield f"http://localhost:{port}"
    server.stop()


@pytest.mark.parametrize("style", ["form", "js", "storage", "pylti"])
def test_start_tool_login_follows_each_kind_of_answer(lms, quiz, odd_tool, style):
    initiation = lms.client.login_initiation(quiz.id, "grace")
    odd = FormPost(f"{odd_tool}/login?style={style}", initiation.fields, "get")
    auth = lms.client.start_tool_login(odd, browser_session())
    assert auth.url.startswith(f"{lms.url}/auth")
    assert (auth.state, auth.nonce) == ("s1", "n1")
    assert auth.params["lti_message_hint"] == initiation.fields["lti_message_hint"]


def test_start_tool_login_says_when_the_tool_leads_nowhere(lms, quiz, odd_tool):
    initiation = lms.client.login_initiation(quiz.id, "grace")
    with pytest.raises(AssertionError, match="leads nowhere"):
        lms.client.start_tool_login(
            FormPost(f"{odd_tool}/login", initiation.fields), browser_session()
        )


def test_browser_session_sends_secure_cookies_to_loopback(stub_tool):
    session = browser_session()
    session.cookies.set("sid", "1", domain="localhost.local", secure=True)
    assert not next(iter(session.cookies)).secure
