"""The admin navigation leads to the operations page (for admins only), by mouse or keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugin.admin.helpers import sign_in
from tests.servers import live_server

LINK = '<a href="/admin/operations"'


def test_admins_find_operations_in_the_navigation(admin_client: Any) -> None:
    dashboard = admin_client.get("/admin/")
    assert dashboard.status_code == 200
    assert LINK + ">Operations</a>" in dashboard.text
    operations = admin_client.get("/admin/operations")
    assert LINK + ' aria-current="page">Operations</a>' in operations.text


def test_accounts_without_the_admin_role_are_not_offered_the_link(
    app: Any, make_account: Any
) -> None:
    account = make_account(roles=("registrar",))
    client = app.test_client()
    assert sign_in(client, account.username, account.password).status_code == 302
    page = client.get("/admin/account/password")
    assert page.status_code == 200 and "Signed in as" in page.text
    assert LINK not in page.text


@pytest.mark.browser
def test_the_operations_link_works_by_keyboard(
    app: Any, admin_account: Any, browser_page: Any
) -> None:
    from tests.browser import assert_accessible

    page = browser_page
    with live_server(app, public_host="localhost") as server:
        page.goto(server.url + "/admin/sign-in?next=/admin/")
        page.get_by_label("Username").fill(admin_account.username)
        page.get_by_label("Password").fill(admin_account.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.url + "/admin/")
        assert_accessible(page, "admin dashboard")
        nav = page.get_by_role("navigation", name="Admin")
        nav.get_by_role("link", name="Keys", exact=True).focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past "Connect an LMS"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == server.url + "/admin/operations"
        assert nav.locator('[aria-current="page"]').inner_text() == "Operations"
