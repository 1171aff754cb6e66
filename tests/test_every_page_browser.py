"""Every page a person sees, in Debian's chromium, passes axe-core (WCAG 2.1 AA).

This covers the pages no feature's own browser test checks: the home page, every error page
(400 to 500), the LTI landing, picker, return, Platform Storage and "registered" pages, a launch
waiting for approval and the deployments page that approves it, the sign-out page, a rejected
upload, the verify form with its problems and failing verdicts, and the dev LMS's error, return
and deep-linking pages. The keyboard flow through every question kind is in
tests/test_keyboard_flow_browser.py. One app and one browser per test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.browser import assert_accessible, open_browser
from tests.plugin import conftest as _plugin_fixtures
from tests.plugin.admin import conftest as _admin_fixtures
from tests.plugin.catalog.helpers import (
    launch,
    launch_url,
    open_picker,
    publish_bytes,
    session_of,
    tiny_package,
)
from tests.servers import live_server

# The feature fixtures this top-level module borrows (pytest finds fixtures by module name).
_test_platform = _plugin_fixtures._test_platform
platform = _plugin_fixtures.platform
dev_lms = _plugin_fixtures.dev_lms
password_hash = _admin_fixtures.password_hash
make_account = _admin_fixtures.make_account
admin_account = _admin_fixtures.admin_account

pytestmark = pytest.mark.browser
CLAIM_PREFIX = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture
def backend() -> str:
    """One backend is enough here: the browser, not the database, is under test."""
    return "sqlite"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """A small upload limit (a cheap 413 page) and one admin sign-in a minute (429)."""
    app_config.pop("REDIS_URL", None)  # this app's own counters, not a parallel test's
    return {**app_config, "MAX_UPLOAD_MB": "1", "RATE_LIMIT_ADMIN_SIGN_IN": "1/minute"}


def _boom() -> str:
    raise RuntimeError("a bug on purpose: the 500 page is under test")


def _check(page: Any, what: str) -> None:
    """axe finds no WCAG 2.1 AA problem, and the page reflows at 320 pixels wide."""
    assert_accessible(page, what)
    _fits_320_pixels(page, what)


def _error_page(page: Any, url: str, status: int, code: str) -> None:
    """Open `url`; the tool's own error page answers with `status` and names `code`."""
    response = page.goto(url)
    assert response is not None and response.status == status, url
    assert code in page.locator("main").inner_text(), url
    _check(page, f"the {status} page ({code})")


def test_pages_no_feature_test_checks_pass_axe_and_reflow(
    app: Any, client: Any, platform: Any, admin_account: Any, tmp_path: Path
) -> None:
    app.add_url_rule("/_test/boom", "test_boom", _boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    learner = launch(client, platform, launch_url("home"), custom={})
    instructor = launch(
        client, platform, launch_url("home"), role="Instructor", sub="teacher-1", custom={}
    )
    picker = open_picker(client, platform)
    with live_server(app, public_host="localhost") as server, open_browser() as context:
        page = context.new_page()
        base = server.url

        page.goto(base + "/")
        page.get_by_role("heading", level=1).wait_for()
        _check(page, "the tool's home page")

        _error_page(page, base + "/no/such/page", 404, "NOT_FOUND")
        _error_page(page, base + "/lti/launch", 405, "METHOD_NOT_ALLOWED")
        _error_page(page, base + "/lti/login", 400, "LTI")
        _error_page(page, base + "/_test/boom", 500, "INTERNAL_SERVER_ERROR")
        _error_page(page, base + "/gradebook/", 401, "NOT_SIGNED_IN")
        _error_page(page, f"{base}/gradebook/?mc_session={session_of(learner)}", 403, "ACCESS")
        _error_page(page, base + "/credentials/achievements/nothing-here", 404, "NOT_FOUND")
        page.goto(base + "/admin/sign-in")  # the one sign-in this minute allows
        page.get_by_label("Username").fill(admin_account.username)
        page.get_by_label("Password").fill(admin_account.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/admin/")
        # Pages the feature tests check with axe, here for reflow at 320 pixels wide.
        narrow: list[str] = []
        for path in (
            "/admin/",
            "/admin/registrations",
            "/admin/registrations/new?lms=moodle",
            "/admin/deployments",
            "/admin/keys",
            "/admin/connect/",
            "/admin/connect/moodle",
            "/admin/account/password",
            "/admin/operations",
            f"/catalog/?mc_session={session_of(instructor)}",
            f"/catalog/tokens?mc_session={session_of(instructor)}",
            f"/gradebook/?mc_session={session_of(instructor)}",
            f"/gradebook/questions?mc_session={session_of(instructor)}",
            f"/credentials/manage?mc_session={session_of(instructor)}",
            f"/credentials/wallet?mc_session={session_of(learner)}",
        ):
            page.goto(base + path)
            try:
                _fits_320_pixels(page, path)
            except AssertionError as exc:
                narrow.append(str(exc))
        assert not narrow, "\n".join(narrow)
        page.goto(base + "/admin/sign-out")
        _check(page, "the sign-out page")
        page.get_by_role("button", name="Sign out of the admin area").click()
        page.goto(base + "/admin/sign-in")
        page.get_by_label("Username").fill(admin_account.username)
        page.get_by_label("Password").fill(admin_account.password)
        page.get_by_role("button", name="Sign in").click()
        assert "RATE_LIMITED" in page.locator("main").inner_text()
        _check(page, "the 429 page")

        page.goto(base + learner)
        page.get_by_role("heading", level=1).wait_for()
        _check(page, "the LTI landing page of a learner")
        page.goto(base + instructor)
        _check(page, "the LTI landing page of an instructor")

        # The deep-linking picker, then the page that posts the choice back to the LMS (the
        # LMS's answer is held, so the page stays as a person sees it).
        context.route(f"{platform.issuer}/deep_linking_return", lambda r: r.fulfill(status=204))
        page.goto(base + picker)
        page.get_by_role("heading", name="Place an activity").wait_for()
        _check(page, "the deep-linking picker")
        page.get_by_role("checkbox").first.check()
        page.get_by_role("button", name=re.compile("Add to the course")).click()
        page.get_by_role("heading", level=1).filter(has_text=re.compile("Returning")).wait_for()
        _check(page, "the page returning to the LMS")

        # A rejected upload: the publishing page names the problem and publishes nothing.
        upload = f"{base}/catalog/upload?mc_session={session_of(instructor)}"
        page.goto(upload)
        page.get_by_label("Course package (.mcpkg)").set_input_files(
            files=[{"name": "broken.mcpkg", "mimeType": "application/zip", "buffer": b"not zip"}]
        )
        page.get_by_role("button", name="Publish").click()
        page.get_by_role("alert").first.wait_for()
        _check(page, "the upload page with a rejected package")

        # Login with Platform Storage: the page that asks the LMS frame for the state (the
        # LMS's sign-in answer it then goes on to is held, so the page stays).
        context.route(f"{platform.issuer}/auth**", lambda r: r.fulfill(status=204))
        query = urlencode(platform.login_params(launch_url("home"), lti_storage_target="_parent"))
        page.goto(f"{base}/lti/login?{query}", wait_until="commit")
        page.get_by_role("status").filter(has_text="Opening the activity").wait_for()
        _check(page, "the Platform Storage page")

        # The verify form: empty, with a problem, and a 413 for a paste over the size limit.
        page.goto(base + "/credentials/verify")
        _check(page, "the verify form")
        page.get_by_role("textbox").first.fill("{ not json")
        page.get_by_role("button", name=re.compile("Verify")).first.click()
        page.get_by_text("This is not valid JSON").first.wait_for()
        assert "{ not json" in page.get_by_role("textbox").first.input_value()
        _check(page, "the verify form with a problem")
        page.goto(base + "/credentials/verify")
        page.get_by_role("textbox").first.evaluate("(el) => { el.value = 'x'.repeat(1100000); }")
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("Verify")).first.click()
        assert "TOO_LARGE" in page.locator("main").inner_text()
        _check(page, "the 413 page")


def test_a_pending_deployment_waits_until_an_administrator_approves_it(
    app: Any, client: Any, platform: Any, admin_account: Any
) -> None:
    """A course whose deployment is not approved yet gets a clear page; the administrator
    approves it by keyboard on the deployments page, and the next launch opens the tool."""

    def launch_page() -> str:
        auth = platform.login(client, launch_url("home"), lti_deployment_id="dep-new")
        claims = platform.claims(
            auth, launch_url("home"), **{CLAIM_PREFIX + "deployment_id": "dep-new"}
        )
        return _launch_form(server.url, platform.sign(claims), auth.state)

    with live_server(app, public_host="localhost") as server, open_browser() as context:
        page = context.new_page()
        page.set_content(launch_page())
        page.get_by_role("button", name="Send").click()
        page.get_by_text("waiting for approval").first.wait_for()
        assert "LTI_DEPLOYMENT_PENDING" in page.locator("main").inner_text()
        _check(page, "the launch waiting for approval")

        admin = context.new_page()
        admin.goto(server.url + "/admin/sign-in?next=/admin/deployments")
        admin.get_by_label("Username").fill(admin_account.username)
        admin.get_by_label("Password").fill(admin_account.password)
        admin.get_by_role("button", name="Sign in").click()
        admin.get_by_role("heading", name="Waiting for approval (1)").wait_for()
        _check(admin, "the deployments page with one waiting")
        approve = admin.get_by_role("button", name=re.compile("Approve deployment dep-new"))
        _focus_by_tab(admin, approve)
        with admin.expect_navigation():
            admin.keyboard.press("Enter")
        admin.get_by_role("heading", name="Waiting for approval (0)").wait_for()

        page.set_content(launch_page())
        page.get_by_role("button", name="Send").click()
        page.wait_for_url(re.compile(r".*mc_session=.*"))
        assert "LTI_DEPLOYMENT_PENDING" not in page.locator("main").inner_text()


def _launch_form(tool_url: str, id_token: str, state: str) -> str:
    """A page holding the platform's form_post to the tool (what the LMS sends)."""
    return (
        "<!doctype html><html lang='en'><title>LMS</title><main>"
        f"<form method='post' action='{tool_url}/lti/launch'>"
        f"<input type='hidden' name='id_token' value='{id_token}'>"
        f"<input type='hidden' name='state' value='{state}'>"
        "<button>Send</button></form></main></html>"
    )


def _focus_by_tab(page: Any, target: Any, limit: int = 120) -> None:
    """From the top of the page, press Tab until `target` (a locator) has the focus, which
    the page shows with a focus ring."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            ring = target.evaluate("(el) => getComputedStyle(el).outlineStyle")
            assert ring == "solid", f"no visible focus ring on {target}"
            return
    raise AssertionError(f"Tab never reached {target}")


#: Elements wider than the window, leaving out data tables (WCAG 1.4.10 exempts content that
#: needs two dimensions; the page around them still reflows).
_TOO_WIDE = """() => [...document.body.querySelectorAll('*')]
  .filter((el) => !el.closest('table') && el.getBoundingClientRect().right
    > document.documentElement.clientWidth + 1)
  .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))"""


def _fits_320_pixels(page: Any, what: str) -> None:
    """At 320 CSS pixels wide (WCAG 1.4.10 reflow) nothing but a data table needs sideways
    scrolling."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    too_wide = page.evaluate(_TOO_WIDE)
    page.set_viewport_size(size)
    assert not too_wide, f"{what} does not reflow at 320px wide: {too_wide[:8]}"


def test_dev_lms_pages_and_the_registration_page_pass_axe(dev_lms: Any, tmp_path: Path) -> None:
    """The dev LMS's own pages a person meets (no feature test checks them) and the tool's
    "registered" page inside the dev LMS's registration frame."""
    publish_bytes(dev_lms.tool, tiny_package(tmp_path))
    lms = dev_lms.lms_url
    with open_browser() as context:
        page = context.new_page()
        response = page.goto(f"{lms}/?as=nobody-here")
        assert response is not None and response.status == 404
        assert_accessible(page, "the dev LMS error page")

        # The deep-linking picker framed by the dev LMS, and the course page it returns to.
        page.goto(f"{lms}/?as=ada")
        page.get_by_role("link", name=re.compile("Add content from")).click()
        picker = page.frame_locator("iframe.tool-frame")
        picker.get_by_role("heading", name="Place an activity").wait_for()
        assert_accessible(page, "the dev LMS page framing the picker")
        picker.get_by_label("The mean").check()
        picker.get_by_role("button", name="Add to the course").click()
        page.wait_for_url(re.compile(r".*lti_msg=.*"))
        page.get_by_role("status").first.wait_for()
        assert_accessible(page, "the course page with the tool's message")

        # The return page, held still (no break-out script) as a person sees it when
        # scripts are off.
        page.route("**/break_out.js", lambda r: r.fulfill(body="", content_type="text/javascript"))
        page.goto(f"{lms}/return?as=grace&lti_msg=Saved")
        page.get_by_role("heading", name="Returning to the course").wait_for()
        assert_accessible(page, "the dev LMS return page")

        # Dynamic registration: the dev LMS frames the tool's registration URL (with its
        # one-time token); the tool's "registered" page is opened on its own from that URL
        # (in the frame it closes itself at once by postMessage).
        frame_urls: list[str] = []

        def hold(route: Any) -> None:
            frame_urls.append(route.request.url)
            route.abort()

        page.route("**/lti/register?**", hold)
        page.goto(f"{lms}/admin/tools?as=admin&registration_url={dev_lms.tool_url}/lti/register")
        assert_accessible(page, "the dev LMS tools page with the registration frame")
        page.unroute("**/lti/register?**")
        assert frame_urls and "registration_token=" in frame_urls[0]
        page.goto(frame_urls[0])
        page.get_by_role("heading", level=1).wait_for()
        assert "registered" in page.locator("main").inner_text().lower()
        _check(page, "the tool's registered page")
