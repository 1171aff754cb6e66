"""Adding, editing, disabling and enabling platform registrations through the admin forms."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .helpers import Account, csrf_from, post_form, sign_in

NEW = "/admin/registrations/new"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "University Brightspace",
        "product": "brightspace",
        "issuer": "https://school.brightspace.com",
        "client_id": "6f1c2d3e-aaaa-bbbb-cccc-1234567890ab",
        "auth_login_url": "https://school.brightspace.com/d2l/lti/authenticate",
        "auth_token_url": "https://auth.brightspace.com/core/connect/token",
        "auth_audience": "https://api.brightspace.com/auth/token",
        "key_set_url": "https://school.brightspace.com/d2l/.well-known/jwks",
        "key_set": "",
        "deployment_ids": "dep-one\n\n  dep-two  \ndep-one\n",
    }
    data.update(overrides)
    return data


def _registrations(app: Any) -> list[Any]:
    from plugin.lti import services as lti

    with app.app_context():
        regs = lti.list_registrations()
        return [
            {
                "name": r.name,
                "product": r.product,
                "issuer": r.issuer,
                "client_id": r.client_id,
                "auth_login_url": r.auth_login_url,
                "auth_token_url": r.auth_token_url,
                "auth_audience": r.auth_audience,
                "key_set_url": r.key_set_url,
                "key_set": r.key_set,
                "active": r.active,
                "id": r.id,
                "deployments": sorted((d.deployment_id, d.status) for d in r.deployments),
            }
            for r in regs
        ]


def test_add_a_registration_with_its_deployments(app: Any, admin_client: Any) -> None:
    response = post_form(admin_client, NEW, NEW, _form())
    assert response.status_code == 302
    assert response.location == "/admin/registrations"
    [reg] = _registrations(app)
    assert reg["name"] == "University Brightspace"
    assert reg["product"] == "brightspace"
    assert reg["auth_audience"] == "https://api.brightspace.com/auth/token"
    assert reg["active"] is True
    assert reg["deployments"] == [("dep-one", "active"), ("dep-two", "active")]
    listing = admin_client.get("/admin/registrations").text
    assert "Added University Brightspace." in listing
    assert "6f1c2d3e-aaaa-bbbb-cccc-1234567890ab" in listing


def test_a_pasted_key_set_works_instead_of_a_url(app: Any, admin_client: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from plugin.lti.keys import public_jwk

    jwk = public_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    response = post_form(
        admin_client, NEW, NEW, _form(key_set_url="", key_set=json.dumps({"keys": [jwk]}))
    )
    assert response.status_code == 302
    [reg] = _registrations(app)
    assert reg["key_set_url"] is None
    assert json.loads(reg["key_set"])["keys"][0]["kid"] == jwk["kid"]


def test_missing_fields_are_shown_on_each_field(app: Any, admin_client: Any) -> None:
    response = post_form(
        admin_client, NEW, NEW, _form(issuer="", client_id="", key_set_url="", key_set="")
    )
    assert response.status_code == 422
    page = response.text
    assert 'role="alert"' in page
    assert 'href="#issuer"' in page and "Enter the issuer" in page
    assert 'aria-describedby="issuer-hint issuer-error"' in page
    assert 'id="client_id-error"' in page
    assert "Enter the platform&#39;s JWKS URL or paste its key set" in page
    assert _registrations(app) == []


@pytest.mark.parametrize(
    "pasted",
    ["{not json", '{"keys": [' + "1" * 5000 + "]}"],  # the second: too many digits for Python
    ids=["syntax", "huge-number"],
)
def test_a_key_set_that_is_not_json_is_refused(app: Any, admin_client: Any, pasted: str) -> None:
    response = post_form(admin_client, NEW, NEW, _form(key_set_url="", key_set=pasted))
    assert response.status_code == 422
    assert 'id="key_set-error"' in response.text
    assert "This is not valid JSON" in response.text
    assert _registrations(app) == []


def test_service_errors_appear_on_their_field(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    make_registration(issuer="https://school.brightspace.com", client_id="taken")
    response = post_form(admin_client, NEW, NEW, _form(client_id="taken"))
    assert response.status_code == 422
    assert 'id="client_id-error"' in response.text
    assert "already exists" in response.text
    assert len(_registrations(app)) == 1


def test_a_key_set_without_an_rsa_key_is_refused_by_the_service(
    app: Any, admin_client: Any
) -> None:
    pasted = json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}]})
    response = post_form(admin_client, NEW, NEW, _form(key_set_url="", key_set=pasted))
    assert response.status_code == 422
    assert 'id="key_set-error"' in response.text
    assert _registrations(app) == []


def test_the_lms_page_link_fills_in_what_that_lms_always_uses(admin_client: Any) -> None:
    page = admin_client.get(f"{NEW}?lms=canvas").text
    assert 'value="https://canvas.instructure.com"' in page
    assert 'value="https://sso.canvaslms.com/api/lti/authorize_redirect"' in page
    assert 'value="https://sso.canvaslms.com/api/lti/security/jwks"' in page
    assert '<option selected value="canvas">' in page


def test_edit_changes_fields_and_adds_deployments(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    reg_id = make_registration()
    path = f"/admin/registrations/{reg_id}/edit"
    page = admin_client.get(path).text
    assert 'value="Example Moodle"' in page
    response = post_form(
        admin_client,
        path,
        path,
        _form(
            name="Renamed Moodle",
            product="moodle",
            issuer="https://moodle.example.edu",
            client_id="new-client",
            auth_audience="",
            deployment_ids="7\n",
        ),
    )
    assert response.status_code == 302
    [reg] = _registrations(app)
    assert reg["name"] == "Renamed Moodle"
    assert reg["client_id"] == "new-client"
    assert reg["auth_audience"] is None
    assert reg["deployments"] == [("7", "active")]

    # Submitting the same id again adds nothing.
    post_form(admin_client, path, path, _form(name="Renamed Moodle", deployment_ids="7"))
    assert _registrations(app)[0]["deployments"] == [("7", "active")]


def test_edit_shows_service_errors_and_keeps_the_old_values(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    reg_id = make_registration()
    path = f"/admin/registrations/{reg_id}/edit"
    response = post_form(admin_client, path, path, _form(product="webct"))
    assert response.status_code == 422
    assert 'id="product-error"' in response.text
    assert _registrations(app)[0]["name"] == "Example Moodle"


def test_insecure_urls_are_refused_when_the_setting_says_so(
    app_config: dict[str, Any], admin_account: Account
) -> None:
    from plugin import create_app

    strict = create_app({**app_config, "ALLOW_INSECURE_PLATFORMS": "false"})
    client = strict.test_client()
    assert sign_in(client, admin_account.username, admin_account.password).status_code == 302
    response = post_form(
        client, NEW, NEW, _form(auth_login_url="http://school.brightspace.com/auth")
    )
    assert response.status_code == 422
    assert 'id="auth_login_url-error"' in response.text
    assert "must use https" in response.text


def test_disable_and_enable(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    reg_id = make_registration()
    token = csrf_from(admin_client.get("/admin/registrations").text)
    response = admin_client.post(
        f"/admin/registrations/{reg_id}/disable", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert _registrations(app)[0]["active"] is False
    listing = admin_client.get("/admin/registrations").text
    assert "Example Moodle is disabled." in listing
    assert f"/admin/registrations/{reg_id}/enable" in listing

    admin_client.post(f"/admin/registrations/{reg_id}/enable", data={"csrf_token": token})
    assert _registrations(app)[0]["active"] is True


def test_unknown_registration_is_not_found(admin_client: Any) -> None:
    assert admin_client.get("/admin/registrations/999/edit").status_code == 404
    token = csrf_from(admin_client.get("/admin/registrations").text)
    response = admin_client.post("/admin/registrations/999/disable", data={"csrf_token": token})
    assert response.status_code == 404
