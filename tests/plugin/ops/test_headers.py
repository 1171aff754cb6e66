"""Security headers on every kind of answer: CSP, nosniff, Referrer-Policy, HSTS under HTTPS,
and the request id on error pages."""

from __future__ import annotations

import re
from typing import Any

import pytest


def test_a_tool_page_may_be_framed_only_by_registered_platforms(client: Any, platform: Any) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"].split() == ["'self'", platform.issuer]
    assert directives["object-src"] == "'none'"
    assert "base-uri" in directives
    assert "'unsafe-inline'" not in directives["script-src"]
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"])
    assert nonce, csp
    # A second request gets a fresh nonce: it cannot be guessed from an earlier page.
    assert nonce.group(1) not in client.get("/").headers["Content-Security-Policy"]


def test_every_answer_carries_the_basic_headers(client: Any) -> None:
    for path in ("/healthz", "/", "/no-such-page"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers  # plain http


def test_json_answers_cannot_run_or_be_framed(client: Any) -> None:
    csp = client.get("/healthz").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.fixture
def https_app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PUBLIC_URL"] = "https://tool.example.edu"
    return app_config


def test_hsts_is_sent_under_https(https_app_config: dict[str, Any], app: Any) -> None:
    response = app.test_client().get("/healthz", base_url="https://tool.example.edu")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_error_pages_show_the_request_id(client: Any) -> None:
    response = client.get("/no-such-page", headers={"X-Request-ID": "support-ticket-4711"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "support-ticket-4711"
    assert "support-ticket-4711" in response.text
    generated = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert generated.json["error"]["request_id"] == generated.headers["X-Request-ID"]
