"""The token endpoint: client credentials with a JWT assertion verified against the tool's JWKS."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from plugin.devlms import add_tool, tool_config

from .conftest import LiveLms

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def request_token(
    lms: LiveLms, assertion: str, scope: str | None = SCORE, **form: str
) -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        **form,
    }
    if scope is not None:
        data["scope"] = scope
    return requests.post(f"{lms.url}/token", data=data, timeout=10)


def test_signed_assertion_gets_a_bearer_token_for_an_hour(lms, stub_tool):
    response = request_token(lms, stub_tool.assertion(f"{lms.url}/token"), f"{SCORE} {NRPS}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"].split() == [SCORE, NRPS]
    assert len(body["access_token"]) > 30
    assert response.headers["Cache-Control"] == "no-store"
    stats = lms.client.stats()
    assert stats["token_requests"] == 1 and stats["tokens_issued"] == 1
    assert stats["tokens_issued_by_client"] == {"microcred-dev": 1}


def test_without_scope_every_granted_scope_is_given(lms, stub_tool):
    body = request_token(lms, stub_tool.assertion(f"{lms.url}/token"), None).json()
    assert len(body["scope"].split()) == 5


def test_unknown_scopes_are_dropped_and_none_left_is_refused(lms, stub_tool):
    body = request_token(
        lms, stub_tool.assertion(f"{lms.url}/token"), f"{SCORE} https://example.com/scope/all"
    ).json()
    assert body["scope"] == SCORE
    response = request_token(
        lms, stub_tool.assertion(f"{lms.url}/token"), "https://example.com/scope/all"
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_scope")


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("make", "status", "error"),
    [
        (
            lambda t, aud: t.sign(
                {
                    "iss": t.client_id,
                    "sub": t.client_id,
                    "aud": aud,
                    "iat": int(time.time()),
                    "exp": int(time.time()) + 60,
                    "jti": "x1",
                },
                key=_other_key(),
            ),
            401,
            "invalid_client",
        ),
        (lambda t, aud: t.assertion("http://127.0.0.1:1/token"), 401, "invalid_client"),
        (lambda t, aud: t.assertion(aud, exp=int(time.time()) - 120), 401, "invalid_client"),
        (lambda t, aud: t.assertion(aud, sub="someone-else"), 401, "invalid_client"),
        (lambda t, aud: t.assertion(aud, jti=None), 401, "invalid_client"),
        (
            lambda t, aud: t.assertion(aud, iss="unknown-client", sub="unknown-client"),
            401,
            "invalid_client",
        ),
        (lambda t, aud: "not-a-jwt", 401, "invalid_client"),
    ],
)
def test_bad_assertions_are_refused(lms, stub_tool, make, status, error):
    response = request_token(lms, make(stub_tool, f"{lms.url}/token"))
    assert response.status_code == status
    assert response.json()["error"] == error
    assert lms.client.stats()["tokens_issued"] == 0


def test_a_jti_is_accepted_once(lms, stub_tool):
    assertion = stub_tool.assertion(f"{lms.url}/token")
    assert request_token(lms, assertion).status_code == 200
    again = request_token(lms, assertion)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"client_assertion_type": "urn:other"}, "invalid_request"),
    ],
)
def test_wrong_grant_or_assertion_type(lms, stub_tool, form, error):
    response = request_token(lms, stub_tool.assertion(f"{lms.url}/token"), **form)
    assert (response.status_code, response.json()["error"]) == (400, error)


def test_hmac_and_none_assertions_are_refused(lms, stub_tool):
    claims: dict[str, Any] = {
        "iss": stub_tool.client_id,
        "sub": stub_tool.client_id,
        "aud": f"{lms.url}/token",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "jti": "hs",
    }
    hs = jwt.encode(
        claims,
        "secret-secret-secret-secret-32b!",
        algorithm="HS256",
        headers={"kid": stub_tool.kid},
    )
    assert request_token(lms, hs).json()["error_description"].startswith("bad_alg")
    none = jwt.encode(claims, None, algorithm="none")
    assert request_token(lms, none).status_code == 401


def test_a_new_tool_key_is_found_by_refetching_the_jwks_once(lms, stub_tool):
    aud = f"{lms.url}/token"
    assert request_token(lms, stub_tool.assertion(aud)).status_code == 200
    fetches = lms.client.stats()["tool_jwks_fetches"]
    cached = request_token(lms, stub_tool.assertion(aud))
    assert cached.status_code == 200
    assert lms.client.stats()["tool_jwks_fetches"] == fetches  # served from the cache
    rotated = _other_key()
    stub_tool.extra_keys.append(("stub-2", rotated))
    try:
        now = int(time.time())
        token = stub_tool.sign(
            {
                "iss": stub_tool.client_id,
                "sub": stub_tool.client_id,
                "aud": aud,
                "iat": now,
                "exp": now + 60,
                "jti": "rotated",
            },
            kid="stub-2",
            key=rotated,
        )
        assert request_token(lms, token).status_code == 200
        assert lms.client.stats()["tool_jwks_fetches"] == fetches + 1
        unknown = stub_tool.sign(
            {
                "iss": stub_tool.client_id,
                "sub": stub_tool.client_id,
                "aud": aud,
                "iat": now,
                "exp": now + 60,
                "jti": "u",
            },
            kid="stub-9",
        )
        response = request_token(lms, unknown)
        assert response.status_code == 401 and "unknown_kid" in response.text
    finally:
        stub_tool.extra_keys.clear()


def test_an_unreachable_tool_jwks_is_a_temporary_failure(lms, stub_tool):
    add_tool(lms.app, tool_config("http://localhost:1", client_id="gone"))
    now = int(time.time())
    assertion = stub_tool.sign(
        {
            "iss": "gone",
            "sub": "gone",
            "aud": f"{lms.url}/token",
            "iat": now,
            "exp": now + 60,
            "jti": "j",
        }
    )
    response = request_token(lms, assertion)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
