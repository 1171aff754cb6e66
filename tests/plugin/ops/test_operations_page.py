"""The admin operations page: the outbox, recent server errors (with request ids), learner
export and erasure; admins only, CSRF-protected, and accessible by keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugin.admin.helpers import csrf_from, sign_in
from tests.servers import live_server

from .conftest import LaunchedLearner, add_outbox_score


def _boom() -> str:
    raise RuntimeError("a bug")


@pytest.fixture
def boom(app: Any) -> None:
    """A page with a bug (added before the app serves anything)."""
    app.add_url_rule("/test-boom", "test_boom", _boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # serve the 500 page as in production


def test_the_page_shows_the_outbox_and_recent_errors(
    boom: None, app: Any, admin_client: Any, launched: LaunchedLearner
) -> None:
    add_outbox_score(app, launched, tries=3, error="LMS answered 503: maintenance")
    failed = admin_client.get("/test-boom")
    assert failed.status_code == 500
    page = admin_client.get("/admin/operations")
    assert page.status_code == 200
    assert "Module 1 quiz" in page.text and "LMS answered 503: maintenance" in page.text
    assert failed.headers["X-Request-ID"] in page.text
    assert "RuntimeError" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_only_admins_see_it(client: Any, make_account: Any) -> None:
    assert client.get("/admin/operations").status_code == 302  # to sign-in
    registrar = make_account(roles=("registrar",))
    assert sign_in(client, registrar.username, registrar.password).status_code == 302
    assert client.get("/admin/operations").status_code == 403
    assert client.post("/admin/operations/erase", data={"erase-learner_id": "1"}).status_code in (
        400,
        403,
    )


def test_erasure_from_the_page_needs_confirmation_and_csrf(
    app: Any, admin_client: Any, launched: LaunchedLearner
) -> None:
    from plugin.ops.privacy import is_erased

    token = csrf_from(admin_client.get("/admin/operations").text)
    data = {"erase-learner_id": str(launched.learner_id)}
    unconfirmed = admin_client.post("/admin/operations/erase", data={**data, "csrf_token": token})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm." in unconfirmed.text
    forged = admin_client.post("/admin/operations/erase", data={**data, "erase-confirm": "y"})
    assert forged.status_code == 400
    with app.app_context():
        assert not is_erased(launched.learner_id)
    done = admin_client.post(
        "/admin/operations/erase",
        follow_redirects=True,
        data={**data, "erase-confirm": "y", "csrf_token": token},
    )
    assert f"Learner {launched.learner_id} is erased" in done.text
    with app.app_context():
        assert is_erased(launched.learner_id)


def test_export_from_the_page(admin_client: Any, launched: LaunchedLearner) -> None:
    token = csrf_from(admin_client.get("/admin/operations").text)
    response = admin_client.post(
        "/admin/operations/export",
        data={"csrf_token": token, "export-learner_id": str(launched.learner_id)},
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.json["learner"]["name"] == "Grace Hopper"
    missing = admin_client.post(
        "/admin/operations/export", data={"csrf_token": token, "export-learner_id": "999999"}
    )
    assert missing.status_code == 422 and "There is no learner 999999." in missing.text
    forged = admin_client.post(
        "/admin/operations/export", data={"export-learner_id": str(launched.learner_id)}
    )
    assert forged.status_code == 400


@pytest.mark.browser
def test_the_page_passes_axe_and_works_by_keyboard(
    app: Any, admin_account: Any, browser_page: Any
) -> None:
    from tests.browser import assert_accessible

    page = browser_page
    with live_server(app, public_host="localhost") as server:
        page.goto(server.url + "/admin/sign-in?next=/admin/operations")
        page.get_by_label("Username").fill(admin_account.username)
        page.get_by_label("Password").fill(admin_account.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server.url + "/admin/operations")
        assert_accessible(page, "operations page")
        page.get_by_label("Learner number").last.focus()
        page.keyboard.type("424242")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")  # tick the confirmation box
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.get_by_role("alert").get_by_text("There is no learner 424242.").is_visible()
        assert_accessible(page, "operations page with an error")
