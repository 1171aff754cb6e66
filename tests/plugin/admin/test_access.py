"""Who may see each admin page: signed-out visitors, registrar-only accounts, admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .helpers import csrf_from

ADMIN_PAGES = [
    "/admin/registrations",
    "/admin/registrations/new",
    "/admin/registrations/1/edit",
    "/admin/deployments",
    "/admin/keys",
    "/admin/connect/",
    "/admin/connect/canvas",
    "/admin/connect/moodle",
    "/admin/connect/blackboard",
    "/admin/connect/brightspace",
    "/admin/connect/sakai",
]
ADMIN_POSTS = [
    "/admin/registrations/new",
    "/admin/registrations/1/edit",
    "/admin/registrations/1/disable",
    "/admin/registrations/1/enable",
    "/admin/deployments/1/approve",
    "/admin/deployments/1/disable",
    "/admin/keys",
]
ANY_ACCOUNT_PAGES = ["/admin/", "/admin/account/password", "/admin/sign-out"]


@pytest.mark.parametrize("path", ADMIN_PAGES + ANY_ACCOUNT_PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/admin/sign-in?next=")


def test_signed_out_posts_are_sent_to_sign_in_and_change_nothing(
    app: Any, client: Any, make_registration: Callable[..., int]
) -> None:
    make_registration()
    token = csrf_from(client.get("/admin/sign-in").text)
    for path in ADMIN_POSTS:
        response = client.post(path, data={"csrf_token": token, "confirm": "y"})
        assert response.status_code == 302, path
        assert response.location.startswith("/admin/sign-in"), path

    from plugin.lti import services as lti

    with app.app_context():
        assert [r.active for r in lti.list_registrations()] == [True]
        assert lti.list_tool_keys() == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_registrar_only_accounts_are_refused_admin_pages(
    registrar_client: Any, make_registration: Callable[..., int], path: str
) -> None:
    make_registration()
    response = registrar_client.get(path)
    assert response.status_code == 403
    assert "ACCESS_DENIED" in response.text


def test_registrar_only_accounts_cannot_rotate_keys(app: Any, registrar_client: Any) -> None:
    token = csrf_from(registrar_client.get("/admin/").text)
    response = registrar_client.post("/admin/keys", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 403

    from plugin.lti import services as lti

    with app.app_context():
        assert lti.list_tool_keys() == []


@pytest.mark.parametrize("path", ANY_ACCOUNT_PAGES)
def test_registrar_only_accounts_see_their_own_pages(registrar_client: Any, path: str) -> None:
    assert registrar_client.get(path).status_code == 200


def test_registrar_dashboard_shows_no_lms_settings(registrar_client: Any) -> None:
    page = registrar_client.get("/admin/").text
    assert "registrar role, not the admin role" in page
    assert "/admin/registrations" not in page


@pytest.mark.parametrize("path", ADMIN_PAGES[:2] + ADMIN_PAGES[3:] + ANY_ACCOUNT_PAGES)
def test_admins_see_every_page(admin_client: Any, path: str) -> None:
    assert admin_client.get(path).status_code == 200


def test_every_admin_view_states_who_may_see_it(app: Any) -> None:
    open_to_all = {"admin.sign_in", "admin.static"}
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("admin.") and endpoint not in open_to_all:
            assert getattr(view, "allowed_roles", None), endpoint
            assert "Who may see it" in (view.__doc__ or ""), endpoint


def test_admin_pages_cannot_be_framed_or_cached(admin_client: Any) -> None:
    response = admin_client.get("/admin/keys")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_lms_page_is_not_found(admin_client: Any) -> None:
    assert admin_client.get("/admin/connect/webct").status_code == 404


def test_admin_dashboard_counts_the_tool_keys(admin_client: Any) -> None:
    """The dashboard shows how many signing keys the tool publishes, as a number."""
    import re

    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "built-in method" not in page
    assert re.search(r'<span class="n">\d+</span> tool keys', page)
