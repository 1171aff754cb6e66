"""Signing in and out of the admin area, with the failures a person can meet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .helpers import Account, csrf_from, post_form, sign_in

WRONG = "The username or password is not right."


def test_sign_in_lands_on_the_dashboard_and_records_the_time(
    app: Any, client: Any, admin_account: Account
) -> None:
    response = sign_in(client, admin_account.username, admin_account.password)
    assert response.status_code == 302
    assert response.location == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert f"Signed in as <strong>{admin_account.username}</strong>" in page.text

    from plugin.admin.services import get_admin

    with app.app_context():
        user = get_admin(admin_account.id)
        assert user is not None and user.last_sign_in_at is not None


def test_username_is_not_case_sensitive(client: Any, admin_account: Account) -> None:
    response = sign_in(client, admin_account.username.upper(), admin_account.password)
    assert response.status_code == 302


def test_wrong_password_is_refused_with_a_linked_message(
    client: Any, admin_account: Account
) -> None:
    response = sign_in(client, admin_account.username, "not the password at all")
    assert response.status_code == 422
    assert WRONG in response.text
    assert 'role="alert"' in response.text
    assert client.get("/admin/").status_code == 302


def test_unknown_user_gets_the_same_answer(client: Any) -> None:
    response = sign_in(client, "nobody-by-this-name", "whatever password")
    assert response.status_code == 422
    assert WRONG in response.text


def test_inactive_user_cannot_sign_in_even_with_the_right_password(
    client: Any, make_account: Callable[..., Account]
) -> None:
    account = make_account(active=False)
    response = sign_in(client, account.username, account.password)
    assert response.status_code == 422
    assert WRONG in response.text
    assert client.get("/admin/").status_code == 302


def test_empty_fields_are_reported_on_each_field(client: Any) -> None:
    response = sign_in(client, "", "")
    assert response.status_code == 422
    assert 'id="username-error"' in response.text
    assert 'aria-describedby="username-error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'href="#password"' in response.text


def test_repeated_failures_lock_that_username_from_that_address(
    app: Any, client: Any, make_account: Callable[..., Account]
) -> None:
    from plugin.admin.auth import MAX_FAILURES

    account = make_account()
    for _ in range(MAX_FAILURES):
        assert sign_in(client, account.username, "wrong password here").status_code == 422
    locked = sign_in(client, account.username, account.password)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.text
    assert client.get("/admin/").status_code == 302

    # Another account from the same address is not affected.
    other = make_account()
    assert sign_in(client, other.username, other.password).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(
    app: Any, client: Any, make_account: Callable[..., Account]
) -> None:
    from plugin.admin.auth import MAX_FAILURES

    account = make_account()
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, account.username, "wrong password here")
    assert sign_in(client, account.username, account.password).status_code == 302
    fresh = app.test_client()
    for _ in range(MAX_FAILURES - 1):
        sign_in(fresh, account.username, "wrong password here")
    assert sign_in(fresh, account.username, account.password).status_code == 302


def test_next_goes_back_to_the_page_asked_for(client: Any, admin_account: Account) -> None:
    first = client.get("/admin/keys")
    assert first.status_code == 302
    assert first.location == "/admin/sign-in?next=/admin/keys"
    response = sign_in(client, admin_account.username, admin_account.password, "/admin/keys")
    assert response.location == "/admin/keys"


def test_next_never_leaves_the_admin_area(client: Any, admin_account: Account) -> None:
    for target in ("https://evil.example/", "//evil.example/admin", "/\\evil.example", "/lti/x"):
        response = sign_in(client, admin_account.username, admin_account.password, target)
        assert response.location == "/admin/", target
        client.post("/admin/sign-out", data={"csrf_token": csrf_from(client.get("/admin/").text)})


def test_sign_out_ends_the_session(admin_client: Any) -> None:
    page = admin_client.get("/admin/sign-out")
    assert page.status_code == 200
    response = admin_client.post("/admin/sign-out", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    assert admin_client.get("/admin/").status_code == 302


def test_disabling_an_account_ends_its_open_session(
    app: Any, admin_client: Any, admin_account: Account
) -> None:
    from plugin.admin.services import get_admin, set_admin_active
    from plugin.extensions import db

    with app.app_context():
        user = get_admin(admin_account.id)
        assert user is not None
        set_admin_active(user, False)
        db.session.commit()
    assert admin_client.get("/admin/").status_code == 302


def test_changing_the_password_signs_out_other_browsers(
    app: Any, admin_client: Any, admin_account: Account
) -> None:
    other = app.test_client()
    assert sign_in(other, admin_account.username, admin_account.password).status_code == 302
    new_password = "a completely different passphrase"
    response = post_form(
        admin_client,
        "/admin/account/password",
        "/admin/account/password",
        {
            "current_password": admin_account.password,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == 302
    assert admin_client.get("/admin/").status_code == 200  # this browser stays in
    assert other.get("/admin/").status_code == 302  # the other one is out
    fresh = app.test_client()
    assert sign_in(fresh, admin_account.username, new_password).status_code == 302


def test_password_change_needs_the_current_password(admin_client: Any) -> None:
    response = post_form(
        admin_client,
        "/admin/account/password",
        "/admin/account/password",
        {
            "current_password": "not my password",
            "new_password": "long enough passphrase",
            "confirm_password": "long enough passphrase",
        },
    )
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.text
    assert "The current password is not right" in response.text


def test_password_change_checks_length_and_repeat(
    admin_client: Any, admin_account: Account
) -> None:
    response = post_form(
        admin_client,
        "/admin/account/password",
        "/admin/account/password",
        {
            "current_password": admin_account.password,
            "new_password": "short",
            "confirm_password": "different",
        },
    )
    assert response.status_code == 422
    assert "A password needs at least 12 characters" in response.text
    assert "The two new passwords differ" in response.text
