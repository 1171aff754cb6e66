"""The registration services the admin area and the CLI use: checks and clear messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin.errors import ValidationError
from tests.plugin.lti.platform import public_jwk, rsa_key

BASE = {
    "issuer": "https://canvas.instructure.com",
    "client_id": "10000000000003",
    "name": "Canvas",
    "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "auth_token_url": "https://school.instructure.com/login/oauth2/token",
    "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
    "product": "canvas",
}


def test_create_list_update(app: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services

    with app.app_context():
        reg = services.create_registration(**BASE, deployment_ids=["2:abc"])
        second = services.create_registration(**{**BASE, "client_id": "10000000000004"})
        db.session.commit()
        assert [r.client_id for r in services.list_registrations()] == [
            "10000000000003",
            "10000000000004",
        ]
        assert services.get_registration(reg.id) is reg
        assert [d.status for d in services.list_deployments("active")] == ["active"]
        services.update_registration(
            second, name="Canvas sandbox", auth_audience="https://api.example/token"
        )
        assert second.name == "Canvas sandbox"
        dep = services.add_deployment(second, "3:def", "pending")
        assert services.list_deployments("pending") == [dep]
        services.set_deployment_status(dep, "disabled")
        assert dep.status == "disabled" and dep.decided_at is not None
        urls = services.tool_urls()
        assert (urls.login, urls.launch, urls.jwks, urls.deep_link, urls.registration) == (
            "http://localhost:5000/lti/login",
            "http://localhost:5000/lti/launch",
            "http://localhost:5000/lti/jwks",
            "http://localhost:5000/lti/deeplink",
            "http://localhost:5000/lti/register",
        )
        assert urls.domain == "localhost:5000"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"auth_login_url": "not a url"}, "LTI_BAD_URL"),
        ({"key_set_url": None}, "LTI_NO_KEYS"),
        ({"key_set_url": None, "key_set": "{not json"}, "LTI_BAD_KEY_SET"),
        ({"key_set_url": None, "key_set": '{"keys": []}'}, "LTI_BAD_KEY_SET"),
        ({"product": "webct"}, "LTI_BAD_PRODUCT"),
        ({"issuer": " "}, "LTI_MISSING_FIELD"),
    ],
)
def test_bad_registrations_are_refused(app: Any, change: dict[str, Any], code: str) -> None:
    from plugin.lti import services

    with app.app_context(), pytest.raises(ValidationError) as raised:
        services.create_registration(**{**BASE, **change})
    assert raised.value.code == code and raised.value.message


def test_duplicates_are_refused(app: Any) -> None:
    from plugin.lti import services

    with app.app_context():
        reg = services.create_registration(**BASE)
        with pytest.raises(ValidationError) as raised:
            services.create_registration(**BASE)
        assert raised.value.code == "LTI_DUPLICATE_REGISTRATION"
        assert "already exists" in raised.value.message
        services.add_deployment(reg, "1")
        with pytest.raises(ValidationError, match="already exists"):
            services.add_deployment(reg, "1")


def test_pasted_key_set_is_accepted(app: Any) -> None:
    from plugin.lti import services

    key_set = json.dumps({"keys": [public_jwk(rsa_key("platform-1"), "k1")]})
    with app.app_context():
        reg = services.create_registration(**{**BASE, "key_set_url": None, "key_set": key_set})
        assert json.loads(reg.key_set)["keys"][0]["kid"] == "k1"


def test_production_refuses_http_platforms(app_config: dict[str, Any], request: Any) -> None:
    from plugin.lti import services

    app_config.update(
        MICROCRED_ENV="production",
        PUBLIC_URL="https://tool.example.edu",
        SECRET_KEY="x" * 40,
        DEVLMS_ENABLED="false",
    )
    app = request.getfixturevalue("app")
    with app.app_context(), pytest.raises(ValidationError) as raised:
        services.create_registration(**{**BASE, "auth_login_url": "http://lms.example/auth"})
    assert raised.value.code == "LTI_INSECURE_URL"


def test_launch_with_a_pasted_key_set(app: Any, client: Any, _test_platform: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services
    from tests.plugin.lti.helpers import TARGET, launch

    platform = _test_platform
    platform.reset()
    key_set = json.dumps({"keys": [public_jwk(k, kid) for kid, k in platform.keys]})
    with app.app_context():
        platform.register(key_set_url=None, key_set=key_set)
    fetches = platform.jwks_fetches
    assert launch(client, platform, target=TARGET).status_code == 200
    assert platform.jwks_fetches == fetches  # never fetched
    with app.app_context():
        services.set_registration_active(services.list_registrations()[0], False)
        db.session.commit()
