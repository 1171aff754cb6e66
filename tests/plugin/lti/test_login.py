"""OIDC login initiation: registration lookup, target check, the auth request, and how the
state is bound to the browser (cookie under HTTPS, Platform Storage page when offered)."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.plugin.lti.helpers import TARGET, assert_refused


def test_auth_request_has_every_parameter(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET)
    assert auth.url.startswith(platform.auth_url + "?")
    params = auth.params
    assert params["scope"] == "openid" and params["response_type"] == "id_token"
    assert params["response_mode"] == "form_post" and params["prompt"] == "none"
    assert params["client_id"] == "tool-client" and params["login_hint"] == "user-1"
    assert params["lti_message_hint"] == "hint-1"
    assert params["redirect_uri"] == "http://localhost:5000/lti/launch"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32


def test_login_by_post_and_with_target_query(app: Any, client: Any, platform: Any) -> None:
    response = client.post("/lti/login", data=platform.login_params(TARGET + "?target=home&x=1"))
    assert response.status_code == 302
    # redirect_uri stays fixed whatever the target (Moodle checks it exactly)
    params = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert params["redirect_uri"] == "http://localhost:5000/lti/launch"


def test_missing_parameters(app: Any, client: Any, platform: Any) -> None:
    response = client.get("/lti/login", query_string={"iss": platform.issuer})
    assert_refused(response, "LTI_LOGIN_MISSING_PARAM", 400)
    assert "login_hint" in response.get_data(as_text=True)


def test_unknown_platform(app: Any, client: Any, platform: Any) -> None:
    response = client.get(
        "/lti/login", query_string=platform.login_params(TARGET, iss="https://unknown.example")
    )
    assert_refused(response, "LTI_UNKNOWN_PLATFORM")
    response = client.get(
        "/lti/login", query_string=platform.login_params(TARGET, client_id="other-client")
    )
    assert_refused(response, "LTI_UNKNOWN_PLATFORM")


def test_target_must_be_the_tool(app: Any, client: Any, platform: Any) -> None:
    for target in (
        "https://evil.example/lti/launch",
        "http://localhost:5000.evil.example/x",
        "javascript:alert(1)",
    ):
        response = client.get("/lti/login", query_string=platform.login_params(target))
        assert_refused(response, "LTI_BAD_TARGET")


def test_shared_issuer_needs_client_id(app: Any, client: Any, platform: Any) -> None:
    with app.app_context():
        platform.register(client_id="second-key", deployment_ids=["d2"])
    response = client.get("/lti/login", query_string=platform.login_params(TARGET, client_id=None))
    assert_refused(response, "LTI_AMBIGUOUS_CLIENT")
    assert "client_id" in response.get_data(as_text=True)
    # With client_id, each registration under the issuer works.
    assert platform.login(client, TARGET).params["client_id"] == "tool-client"
    second = platform.login(client, TARGET, client_id="second-key")
    assert second.params["client_id"] == "second-key"


def test_single_registration_needs_no_client_id(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET, client_id=None)
    assert auth.params["client_id"] == "tool-client"


def test_no_state_cookie_on_plain_http(app: Any, client: Any, platform: Any) -> None:
    response = client.get("/lti/login", query_string=platform.login_params(TARGET))
    assert "Set-Cookie" not in response.headers


def test_platform_storage_page(app: Any, client: Any, platform: Any) -> None:
    response = client.get(
        "/lti/login", query_string=platform.login_params(TARGET, lti_storage_target="_parent")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    nonce = re.search(
        r"script-src 'self' 'nonce-([^']+)'", response.headers["Content-Security-Policy"]
    )
    assert nonce and f'nonce="{nonce.group(1)}"' in page
    assert "platform-storage.js" in page and "onload" not in page and "<script>" not in page
    config = json.loads(html.unescape(re.search(r'data-config="([^"]+)"', page).group(1)))
    assert config["origin"] == platform.issuer and config["target"] == "_parent"
    assert config["auth_url"].startswith(platform.auth_url + "?")
    assert dict(parse_qsl(urlsplit(config["auth_url"]).query))["state"] == config["state"]


def test_https_binds_state_with_a_partitioned_cookie(
    app_config: dict[str, Any], request: Any
) -> None:
    app_config["PUBLIC_URL"] = "https://localhost"
    app = request.getfixturevalue("app")
    platform = request.getfixturevalue("platform")
    target = "https://localhost/lti/launch"
    browser = app.test_client()
    response = browser.get(
        "/lti/login", base_url="https://localhost", query_string=platform.login_params(target)
    )
    cookie = response.headers["Set-Cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/lti/"):
        assert attribute in cookie
    params = dict(parse_qsl(urlsplit(response.headers["Location"]).query))
    assert params["redirect_uri"] == "https://localhost/lti/launch"
    from tests.plugin.lti.platform import AuthRequest

    auth = AuthRequest(response.headers["Location"], params)
    token = platform.sign(platform.claims(auth, target))
    form = {"id_token": token, "state": auth.state}
    # Another browser (no state cookie) cannot finish this login ...
    stranger = app.test_client().post("/lti/launch", base_url="https://localhost", data=form)
    assert_refused(stranger, "LTI_STATE_MISMATCH", 403)
    # ... and the state is spent, so the real browser must start again.
    auth = AuthRequest(*_login(browser, platform, target))
    done = browser.post(
        "/lti/launch",
        base_url="https://localhost",
        data={"id_token": platform.sign(platform.claims(auth, target)), "state": auth.state},
    )
    assert done.status_code == 200
    cookies = done.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("mc_session="))
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in session_cookie
    # The session cookie alone opens pages (GET) ...
    assert browser.get("/lti/home", base_url="https://localhost").status_code == 200


def _login(browser: Any, platform: Any, target: str) -> tuple[str, dict[str, str]]:
    response = browser.get(
        "/lti/login", base_url="https://localhost", query_string=platform.login_params(target)
    )
    location = response.headers["Location"]
    return location, dict(parse_qsl(urlsplit(location).query))


def test_state_opens_whether_or_not_it_was_compressed(app: Any) -> None:
    """Logins started before an upgrade finish after it: states sealed by itsdangerous's default
    (zlib-compressed when shorter) still open, and a long one sealed now opens too."""
    from itsdangerous import URLSafeTimedSerializer

    from plugin.errors import LaunchError
    from plugin.lti.login import StateRecord, open_state, seal_state

    record = StateRecord(7, "n" * 43, "https://lms.example", "x" * 300)
    with app.app_context():
        old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="microcred.lti.state")
        compressed = old.dumps([7, "n" * 43, "https://lms.example", "x" * 300])
        assert compressed.startswith(".")  # the old form really is compressed
        assert open_state(compressed) == record
        sealed = seal_state(record)
        assert not sealed.startswith(".") and open_state(sealed) == record
        forged = sealed[:-3] + ("abc" if not sealed.endswith("abc") else "xyz")
        with pytest.raises(LaunchError) as refused:
            open_state(forged)
        assert refused.value.code == "LTI_STATE_UNKNOWN"
