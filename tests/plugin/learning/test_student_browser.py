"""In Debian's chromium, through the live dev LMS: an instructor places two modules with the
deep-linking picker (multi-select); a student opens one in the LMS iframe, answers its quiz by
keyboard, submits and reads the feedback, and the score reaches the LMS gradebook; axe finds no
WCAG 2.1 AA problem on the outline, module and feedback pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser import assert_accessible, open_browser
from tests.plugin.catalog.helpers import publish_bytes, tiny_package

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    """One backend is enough here: the browser, not the database, is under test."""
    return "sqlite"


@pytest.fixture(autouse=True)
def _own_store(app_config: dict[str, Any]) -> None:
    """The machine's store for this test's tool, not the shared Redis: the tool caches the
    origins allowed to frame it under one store key, so another app's value there (a parallel
    test's) would make the browser refuse this test's LMS iframe."""
    app_config.pop("REDIS_URL", None)


def _tab_to(frame: Any, page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` (inside `frame`) has the focus."""
    for _ in range(limit):
        if frame.locator(f"{selector}:focus").count():
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _tool_frame(page: Any, tool_url: str) -> Any:
    return next(f for f in page.frames if f.url.startswith(tool_url))


def test_place_modules_then_take_a_quiz_by_keyboard(dev_lms: Any, tmp_path: Path) -> None:
    publish_bytes(dev_lms.tool, tiny_package(tmp_path))
    lms = dev_lms.lms_url
    with open_browser() as context:
        page = context.new_page()
        # The instructor adds two modules from the picker inside the LMS iframe.
        page.goto(f"{lms}/?as=ada")
        page.get_by_role("link", name=re.compile("Add content from")).click()
        picker = page.frame_locator("iframe.tool-frame")
        picker.get_by_role("heading", name="Place an activity").wait_for()
        picker.get_by_label("The mean").check()
        picker.get_by_label("The median").check()
        picker.get_by_role("button", name="Add to the course").click()
        page.wait_for_url(re.compile(r".*lti_msg=.*"))
        activities = page.locator("ul.activities")
        assert "The mean" in activities.inner_text()
        assert "graded out of 3" in activities.inner_text()
        assert "The median" in activities.inner_text()

        # The student opens "The mean" in the LMS iframe.
        page.goto(f"{lms}/?as=grace")
        page.get_by_role("link", name="The mean").click()
        frame = page.frame_locator("iframe.tool-frame")
        frame.get_by_role("heading", name="The mean", level=1).wait_for()
        question = frame.locator("#q-mean-calc")
        assert "What is the mean of 2, 4 and 6?" in question.inner_text()
        tool = _tool_frame(page, dev_lms.tool_url)
        module_url = tool.url

        # By keyboard: Tab to the first option, arrows to "4", Tab to Submit, Enter.
        page.locator("iframe.tool-frame").focus()
        _tab_to(frame, page, "input[name='a.mean-calc']")
        for _ in range(4):
            if frame.locator("input[name='a.mean-calc']:checked + label").count() and (
                frame.locator("input[name='a.mean-calc']:checked + label").inner_text() == "4"
            ):
                break
            page.keyboard.press("ArrowDown")
        assert frame.locator("input[name='a.mean-calc']:checked + label").inner_text() == "4"
        # autosave.js saves the choice in the background (PUT with the session token).
        frame.locator("#quiz-mean-calc .save-status").filter(has_text="Answers saved").wait_for()
        _tab_to(frame, page, "#quiz-mean-calc button[value='submit']")
        page.keyboard.press("Enter")
        frame.get_by_text("You scored 2 of 2 points").wait_for()
        assert "Right: 12 / 3." in frame.locator("main").inner_text()
        feedback_url = _tool_frame(page, dev_lms.tool_url).url

        # The score reaches the LMS gradebook once a worker delivers the outbox.
        from plugin.gradebook.worker import Worker

        with Worker(dev_lms.tool) as worker:
            worker.run_once()
        book = dev_lms.lms.gradebook()
        column = next(i for i in book["line_items"] if i["label"] == "The mean")
        assert column["resourceId"] == "tiny-stats/01-mean" and column["scoreMaximum"] == 3.0
        grace = next(r for r in book["rows"] if r["user"] == "grace")
        score = grace["scores"][str(column["id"])]
        assert (score["score"], score["maximum"]) == (2.0, 3.0)

        # axe on the tool's own pages, each as the student sees it.
        token = re.search(r"mc_session=([^&#]+)", module_url)
        assert token
        outline_url = f"{dev_lms.tool_url}/learn/tiny-stats/?mc_session={token.group(1)}"
        checker = context.new_page()
        for url, what in (
            (outline_url, "course outline"),
            (module_url, "module page"),
            (feedback_url, "feedback page"),
        ):
            checker.goto(url)
            assert_accessible(checker, what)
        checker.goto(outline_url)
        assert "In progress · 2 of 3 points" in checker.locator("ol.module-list").inner_text()
