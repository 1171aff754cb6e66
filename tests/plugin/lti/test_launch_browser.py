"""A student launch in Debian's chromium: the dev LMS course page (http://127.0.0.1) frames the
tool (http://localhost), a cross-site iframe as in a real LMS. The launch works with third-party
cookies allowed and blocked (state kept in Platform Storage, session token in the URL), the
pages pass axe (WCAG 2.1 AA), and the keyboard reaches the tool's content from the LMS page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, make_response, request

from tests.browser import assert_accessible, frames_seen, open_browser
from tests.servers import live_server

pytestmark = pytest.mark.browser

TOOL_FRAME = "iframe.tool-frame"
#: Tab presses allowed to get from the top of the LMS page into the tool's content.
MAX_TABS = 15
#: A launch is five page loads across two servers: allow for a machine busy with other work.
LAUNCH_TIMEOUT = 45_000
RECORD_FOCUS = """window.mcFocused = [];
document.addEventListener("focusin", function (e) {
  window.mcFocused.push((e.target.textContent || "").trim());
});"""


def first_page(context: Any) -> Any:
    """The context's own first tab (a second tab would not have the keyboard focus)."""
    return context.pages[0] if context.pages else context.new_page()


def _launch(page: Any, dev_lms: Any, placement_id: str) -> Any:
    """Grace opens the placement on the course page; returns the tool's frame once it shows."""
    page.goto(f"{dev_lms.lms_url}/?as=grace")
    page.get_by_role("link", name="Module 1").click()
    page.wait_for_url(f"**/launch/{placement_id}?as=grace", timeout=LAUNCH_TIMEOUT)
    frame = page.frame_locator(TOOL_FRAME)
    try:
        frame.get_by_role("heading", name="Welcome, Grace Hopper").wait_for(timeout=LAUNCH_TIMEOUT)
    except Exception as exc:  # say what the frame shows instead
        raise AssertionError(f"the launch did not arrive: {frames_seen(page)}") from exc
    return frame


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("blocked", [False, True], ids=["cookies-allowed", "cookies-blocked"])
def test_student_launch_inside_the_lms_iframe(dev_lms_storage: Any, blocked: bool) -> None:
    placement = dev_lms_storage.place("Module 1")
    with open_browser(block_third_party_cookies=blocked) as context:
        page = first_page(context)
        frame = _launch(page, dev_lms_storage, placement.id)
        assert "Foundations of Data Literacy" in frame.locator("main").inner_text()
        tool_frame = next(f for f in page.frames if f.url.startswith(dev_lms_storage.tool_url))
        assert "mc_session=" in tool_frame.url  # the session needs no cookie
        # The launch answered with the page, which renamed itself (its script ran under the
        # page's CSP): a reload asks for the page by GET and does not re-post the spent sign-in.
        address = tool_frame.url
        assert urlsplit(address).path != "/lti/launch", address
        with page.expect_event("framenavigated", lambda f: f == tool_frame):
            tool_frame.evaluate("setTimeout(() => location.reload(), 0)")
        tool_frame.wait_for_load_state()
        frame.get_by_role("heading", name="Welcome, Grace Hopper").wait_for(timeout=LAUNCH_TIMEOUT)
        assert tool_frame.url == address
        assert_accessible(page, "the dev LMS launch page around the tool")

        # The tool page alone (what "Open in a new window" shows) passes axe too.
        alone = context.new_page()
        alone.goto(tool_frame.url)
        alone.get_by_role("heading", name="Welcome, Grace Hopper").wait_for()
        assert_accessible(alone, "the tool's page after a launch")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_keyboard_reaches_the_tool_content_from_the_lms_page(dev_lms_storage: Any) -> None:
    placement = dev_lms_storage.place("Module 1")
    with open_browser(block_third_party_cookies=True) as context:
        page = first_page(context)
        _launch(page, dev_lms_storage, placement.id)
        page.bring_to_front()
        page.locator("body").focus()
        tool_frame = next(f for f in page.frames if f.url.startswith(dev_lms_storage.tool_url))
        # The tool frame is cross-site: focus can move into it asynchronously (a real Chrome runs
        # it in another renderer process), so record what gets focus there instead of polling.
        tool_frame.evaluate(RECORD_FOCUS)
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            if tool_frame.evaluate("window.mcFocused.length"):
                break
        focused = tool_frame.evaluate("window.mcFocused")
        assert focused[:1] == ["Skip to content"], f"Tab reached the tool frame as {focused}"
        for _ in range(len(focused) - 1):  # back to the skip link if a Tab went further
            page.keyboard.press("Shift+Tab")
        tool_frame.wait_for_function(
            "window.mcFocused[window.mcFocused.length - 1] === 'Skip to content'"
        )
        page.keyboard.press("Enter")
        tool_frame.wait_for_function("document.activeElement.id === 'main'")
        assert "Welcome, Grace Hopper" in tool_frame.evaluate("document.activeElement.innerText")


def _cookie_probe() -> Flask:
    app = Flask("cookie_probe")

    @app.get("/top")
    def top() -> str:
        return (
            f'<!doctype html><html lang="en"><head><title>top</title></head><body>'
            f'<iframe title="probe" src="{request.args["frame"]}/set"></iframe></body></html>'
        )

    @app.get("/set")
    def set_cookies() -> Any:
        response = make_response(
            '<!doctype html><html lang="en"><head><title>set</title></head>'
            '<body><a id="next" href="/echo">next</a></body></html>'
        )
        response.headers.add("Set-Cookie", "plain=1; Secure; SameSite=None; Path=/")
        response.headers.add(
            "Set-Cookie", "partitioned=1; Secure; SameSite=None; Path=/; Partitioned"
        )
        return response

    @app.get("/echo")
    def echo() -> str:
        return (
            '<!doctype html><html lang="en"><head><title>echo</title></head><body>'
            f'<p id="got">{" ".join(sorted(request.cookies))}</p></body></html>'
        )

    return app


def test_the_blocked_browser_really_drops_third_party_cookies() -> None:
    """The condition the cookies-blocked launch relies on: in the LMS's iframe, an unpartitioned
    SameSite=None cookie of the tool does not come back, a Partitioned one does."""
    app = _cookie_probe()
    with (
        live_server(app, public_host="127.0.0.1") as top,
        live_server(app, public_host="localhost") as framed,
        open_browser(block_third_party_cookies=True) as context,
    ):
        page = first_page(context)
        page.goto(f"{top.url}/top?frame={framed.url}")
        frame = page.frame_locator("iframe")
        frame.locator("#next").click()
        assert frame.locator("#got").inner_text() == "partitioned"
