"""The admin pages in Debian's chromium: axe finds no WCAG 2.1 AA problem, copy buttons work by
keyboard under the pages' strict CSP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser import assert_accessible, open_browser
from tests.servers import live_server

from .helpers import Account

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    return "sqlite"  # pages do not depend on the database; one browser run is enough


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "PUBLIC_URL": "http://localhost:5000"}


def test_admin_pages_pass_axe_and_copy_buttons_work(
    app: Any, admin_account: Account, make_registration: Callable[..., int]
) -> None:
    reg_id = make_registration()
    with live_server(app, public_host="localhost") as server, open_browser() as context:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        page = context.new_page()
        csp_errors: list[str] = []
        page.on(
            "console", lambda m: csp_errors.append(m.text) if "Content Security" in m.text else None
        )

        def check(path: str) -> None:
            if path:
                page.goto(server.url + path)
            assert_accessible(page, path)

        check("/admin/sign-in")
        page.get_by_label("Username").fill(admin_account.username)
        page.get_by_label("Password").fill("wrong password here")
        page.get_by_role("button", name="Sign in").click()
        check("")  # the page with the error summary and field errors
        page.get_by_label("Password").fill(admin_account.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.url + "/admin/")
        for path in (
            "/admin/",
            "/admin/registrations",
            "/admin/registrations/new?lms=canvas",
            f"/admin/registrations/{reg_id}/edit",
            "/admin/deployments",
            "/admin/keys",
            "/admin/connect/",
            "/admin/account/password",
        ):
            check(path)
        page.goto(server.url + "/admin/registrations/new")
        page.get_by_role("button", name="Add registration").click()
        check("")  # every field in error
        page.goto(server.url + "/admin/keys")
        page.get_by_role("button", name="Rotate key").click()
        check("")

        for lms in ("canvas", "moodle", "blackboard", "brightspace", "sakai"):
            check(f"/admin/connect/{lms}")
        button = page.get_by_role("button", name="Copy JWKS URL").first
        button.focus()
        page.keyboard.press("Enter")
        page.locator("#copy-status").filter(has_text="Copied JWKS URL.").wait_for()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == "http://localhost:5000/lti/jwks"
        assert csp_errors == []
