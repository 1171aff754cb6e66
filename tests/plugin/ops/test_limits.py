"""Rate limits on login, launch, admin sign-in and publish: 429 with Retry-After, counted in
the shared store so every app server sees the same counts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.servers import free_port


def _login(client: Any) -> Any:
    return client.get(
        "/lti/login",
        query_string={"iss": "https://lms.example.edu", "login_hint": "u", "target_link_uri": "x"},
    )


def test_too_many_logins_get_a_429_page_with_retry_after(make_app: Any) -> None:
    client = make_app(RATE_LIMIT_LOGIN="3/minute").test_client()
    answers = [_login(client) for _ in range(3)]
    assert all(a.status_code != 429 for a in answers)
    refused = _login(client)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.text
    assert "RATE_LIMITED" in refused.text
    # Other pages are not limited by the login limit.
    assert client.get("/healthz").status_code == 200


def test_the_count_is_shared_by_every_app_server(make_app: Any) -> None:
    first, second = make_app(RATE_LIMIT_LAUNCH="2/minute"), make_app(RATE_LIMIT_LAUNCH="2/minute")
    assert first.test_client().post("/lti/launch").status_code == 400
    assert second.test_client().post("/lti/launch").status_code == 400
    refused = first.test_client().post("/lti/launch", headers={"Accept": "application/json"})
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "RATE_LIMITED"


def test_admin_sign_in_counts_posts_only(make_app: Any) -> None:
    client = make_app(RATE_LIMIT_ADMIN_SIGN_IN="2/minute", WTF_CSRF_ENABLED=False).test_client()
    for _ in range(4):
        assert client.get("/admin/sign-in").status_code == 200
    # A fresh username: the admin area's own per-username counter is not what is tested here.
    form = {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "wrong password"}
    assert client.post("/admin/sign-in", data=form).status_code == 422
    assert client.post("/admin/sign-in", data=form).status_code == 422
    assert client.post("/admin/sign-in", data=form).status_code == 429


def test_publish_api_is_limited(make_app: Any) -> None:
    client = make_app(RATE_LIMIT_PUBLISH="1/hour").test_client()
    assert client.post("/api/v1/packages", data=b"x").status_code == 401
    refused = client.post("/api/v1/packages", data=b"x")
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) > 60


def test_limits_can_be_turned_off(make_app: Any) -> None:
    client = make_app(RATE_LIMIT_LOGIN="1/minute", RATE_LIMITS_ENABLED="false").test_client()
    assert all(_login(client).status_code != 429 for _ in range(3))


def test_a_bad_limit_setting_is_reported_at_start(make_app: Any) -> None:
    from plugin.errors import ConfigError

    with pytest.raises(ConfigError, match="RATE_LIMIT_VERIFY='lots' is not a rate"):
        make_app(RATE_LIMIT_VERIFY="lots")


def test_a_dead_store_lets_requests_through_to_fail_clearly(make_app: Any) -> None:
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    target = app.config["MICROCRED"].public_url + "/lti/launch"
    login = {"iss": "https://lms.example.edu", "login_hint": "u1", "target_link_uri": target}
    response = app.test_client().get("/lti/login", query_string=login)
    assert response.status_code == 503
    assert "UNAVAILABLE" in response.text


def test_behind_a_proxy_each_client_address_has_its_own_budget(make_app: Any) -> None:
    client = make_app(RATE_LIMIT_LOGIN="1/minute", PROXY_FIX_HOPS="1").test_client()

    def login_from(address: str) -> Any:
        return client.get(
            "/lti/login",
            query_string={"iss": "x"},
            headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https"},
        )

    first = login_from("203.0.113.9")
    assert first.status_code != 429
    assert "Strict-Transport-Security" in first.headers  # HTTPS as the proxy reports it
    assert login_from("203.0.113.9").status_code == 429
    assert login_from("198.51.100.7").status_code != 429


def test_verification_is_limited(make_app: Any) -> None:
    client = make_app(RATE_LIMIT_VERIFY="2/minute").test_client()
    for _ in range(2):
        assert client.post("/api/v1/credentials/verify", json={}).status_code != 429
    assert client.get("/credentials/verify").status_code == 429  # the page shares the budget
    refused = client.post("/api/v1/credentials/verify", json={})
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "RATE_LIMITED"
