"""Every admin form refuses a POST without its CSRF token (CSRF protection is on)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .helpers import Account


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Explicit, so this file keeps testing CSRF even if the shared default changes.
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_sign_in_without_token_is_refused(client: Any, admin_account: Account) -> None:
    response = client.post(
        "/admin/sign-in",
        data={"username": admin_account.username, "password": admin_account.password},
    )
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert client.get("/admin/").status_code == 302


def test_admin_posts_without_token_change_nothing(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    reg_id = make_registration()
    new = {
        "name": "Sneaky",
        "product": "generic",
        "issuer": "https://evil.example",
        "client_id": "x",
        "auth_login_url": "https://evil.example/a",
        "auth_token_url": "https://evil.example/t",
        "key_set_url": "https://evil.example/k",
    }
    attempts = [
        ("/admin/registrations/new", new),
        (f"/admin/registrations/{reg_id}/edit", new),
        (f"/admin/registrations/{reg_id}/disable", {}),
        ("/admin/keys", {"confirm": "y"}),
        (
            "/admin/account/password",
            {"current_password": "x", "new_password": "y" * 20, "confirm_password": "y" * 20},
        ),
        ("/admin/sign-out", {}),
    ]
    for path, data in attempts:
        response = admin_client.post(path, data=data)
        assert response.status_code == 400, path

    from plugin.lti import services as lti

    with app.app_context():
        regs = lti.list_registrations()
        assert [(r.name, r.active) for r in regs] == [("Example Moodle", True)]
        assert lti.list_tool_keys() == []
    assert admin_client.get("/admin/").status_code == 200  # still signed in


def test_a_token_from_another_session_is_refused(app: Any, admin_client: Any) -> None:
    from .helpers import csrf_from

    stranger = app.test_client()
    token = csrf_from(stranger.get("/admin/sign-in").text)
    response = admin_client.post("/admin/keys", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 400
