"""A student answers every question kind by keyboard alone, in Debian's chromium.

The student moves through the modules, submits, reads the feedback and reaches "My
credentials"; then the verify pages of that credential, tampered with and revoked, pass axe.
Split from tests/test_every_page_browser.py (the axe sweep), whose fixtures and page checks
it shares. One app and one browser per test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import test_every_page_browser as _pages
from tests.browser import assert_accessible, open_browser
from tests.plugin.catalog.helpers import (
    COURSE_ID,
    launch,
    launch_url,
    publish_bytes,
    tiny_package,
)
from tests.servers import live_server
from tests.test_every_page_browser import _check, _fits_320_pixels, _focus_by_tab

# The fixtures of the axe sweep, the same here (pytest finds fixtures by module name).
_test_platform = _pages._test_platform
platform = _pages.platform
backend = _pages.backend
app_config = _pages.app_config

pytestmark = pytest.mark.browser


EVERY_KIND_MD = """\
---
id: 02-median
title: The median
minutes: 5
graded: true
points: 6
attempts: 1
---
# The median

Sort the values and take the middle one.

```quiz id=median-which points=2 scoring=partial
? Which of these lists have 3 as their median?
[x] 1, 3, 10 # Sorted, 3 is in the middle.
[x] 3, 3, 3 # Every value is 3.
[ ] 1, 2, 10 # The middle value is 2.
```

```quiz id=median-calc
? What is the median of 1, 3 and 10?
= 3 # Right: the middle value.
```

```quiz id=median-word
? What is the value in the middle of a sorted list called?
= median # Right.
hint: It starts with "med".
```

```quiz id=median-match
? Match each average to how it is found.
Mean -> Add the values and divide by their count
Median -> Take the middle of the sorted values
-> Take the largest value
```

```quiz id=median-steps
? Put the steps for finding a median in order.
1. Sort the values
2. Count the values
3. Take the middle one
```
"""


def _choose_radio(page: Any, group: Any, label: str) -> None:
    """Tab into a radio group, then arrow keys until the option `label` is checked."""
    _focus_by_tab(page, group.locator("input[type=radio]").first)
    for _ in range(group.locator("input[type=radio]").count() + 1):
        if group.locator("input:checked + label").filter(has_text=label).count():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never checked {label!r}")


def _follow_by_keyboard(page: Any, name: str) -> None:
    """Tab to the link `name` and press Enter; waits for the page it opens."""
    _focus_by_tab(page, page.get_by_role("link", name=name))
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _submit_without_feedback(page: Any, number: int) -> None:
    """Tab to "Submit quiz N" and press Enter; waits for the page that answers."""
    _focus_by_tab(page, page.get_by_role("button", name=f"Submit quiz {number}"))
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _submit_by_keyboard(page: Any, number: int) -> str:
    """Tab to "Submit quiz N", press Enter; returns the score line of the feedback page."""
    _focus_by_tab(page, page.get_by_role("button", name=f"Submit quiz {number}"))
    page.keyboard.press("Enter")
    score = page.locator("p.score")
    score.wait_for()
    return str(score.inner_text())


def test_a_student_answers_every_question_kind_by_keyboard(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_bytes(app, tiny_package(tmp_path, median_md=EVERY_KIND_MD))
    landing = launch(
        client,
        platform,
        launch_url("module", COURSE_ID, "01-mean"),
        custom={"course_id": COURSE_ID, "module_id": "01-mean"},
    )
    full_marks = re.compile(r"You scored (\S+) of \1 points")
    with live_server(app, public_host="localhost") as server, open_browser() as context:
        page = context.new_page()
        page.goto(server.url + landing)
        # Single choice, then true/false: radios by arrow keys.
        _choose_radio(page, page.locator("#q-mean-calc"), "4")
        assert full_marks.search(_submit_by_keyboard(page, 1))
        assert "Right: 12 / 3." in page.locator("main").inner_text()
        _follow_by_keyboard(page, "Back to the module")
        _choose_radio(page, page.locator("#q-mean-outlier"), "True")
        assert full_marks.search(_submit_by_keyboard(page, 2))
        _follow_by_keyboard(page, "Back to the module")
        _follow_by_keyboard(page, "Next: The median")
        _fits_320_pixels(page, "the module page")

        # Multiple choice: Tab to each right option, Space ticks it.
        for label in ("1, 3, 10", "3, 3, 3"):
            _focus_by_tab(page, page.get_by_label(label))
            page.keyboard.press("Space")
        assert page.get_by_label("1, 3, 10").is_checked()
        assert page.get_by_label("3, 3, 3").is_checked()
        assert not page.get_by_label("1, 2, 10").is_checked()
        assert full_marks.search(_submit_by_keyboard(page, 1))
        assert "Every value is 3." in page.locator("main").inner_text()

        for number, quiz, answer in ((2, "median-calc", "3"), (3, "median-word", "median")):
            _follow_by_keyboard(page, "Back to the module")  # numeric, then short answer
            if quiz == "median-word":  # a hint, asked for by keyboard
                _focus_by_tab(page, page.get_by_role("button", name="Show a hint"))
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                page.get_by_text('It starts with "med".').wait_for()
                _check(page, "the module page with a hint shown")
            _focus_by_tab(page, page.locator(f"#q-{quiz}").get_by_label("Your answer"))
            page.keyboard.type(answer)
            assert full_marks.search(_submit_by_keyboard(page, number))
            assert "Right" in page.locator("main").inner_text()

        # Matching and ordering: a closed select picks an option as you type its start.
        for number, picks in (
            (4, {"Mean": "Add the values", "Median": "Take the middle"}),
            (5, {"Sort the values": "1", "Count the values": "2", "Take the middle one": "3"}),
        ):
            _follow_by_keyboard(page, "Back to the module")
            if number == 5:  # two steps in one position: a clear message, not submitted
                for label in picks:
                    _focus_by_tab(page, page.get_by_label(label, exact=True))
                    page.keyboard.type("1")
                _submit_without_feedback(page, number)
                page.get_by_role("alert").filter(has_text="same position").wait_for()
                shown = {  # the saved order comes back, one position per step
                    page.get_by_label(label, exact=True).evaluate(
                        "(el) => el.selectedOptions[0].text"
                    )
                    for label in picks
                }
                assert shown == {"1", "2", "3"}
                _check(page, "the module page with an ordering problem")
            for label, typed in picks.items():
                select = page.get_by_label(label, exact=True)
                _focus_by_tab(page, select)
                page.keyboard.type(typed)
                assert select.evaluate("(el) => el.selectedOptions[0].text").startswith(typed)
            assert full_marks.search(_submit_by_keyboard(page, number))
        _check(page, "the feedback on an ordering question")
        _follow_by_keyboard(page, "Tiny Statistics: all modules")
        assert "2 of 2 modules complete" in page.locator("main").inner_text()
        _check(page, "the course outline of a completed course")

        # From the feedback, the keyboard reaches "My credentials": the course is complete.
        _follow_by_keyboard(page, "My credentials")
        page.get_by_role("heading", name="My credentials").wait_for()
        page.get_by_role("heading", name="Tiny Statistics").wait_for()
        assert_accessible(page, "My credentials after completing the course")
        _fits_320_pixels(page, "My credentials")

        # The verify pages of a credential that fails: tampered with, then revoked.
        award = _only_award(app)
        tampered = json.loads(award["credential_json"])
        tampered["credentialSubject"]["achievement"]["name"] = "Advanced Statistics"
        page.goto(server.url + "/credentials/verify")
        page.get_by_role("textbox").first.fill(json.dumps(tampered))
        page.get_by_role("button", name=re.compile("Verify")).first.click()
        page.get_by_role("heading", name="Not valid").wait_for()
        assert "fail" in page.locator("table.cred-checks").inner_text()
        assert_accessible(page, "the verify page of a tampered credential")
        with app.app_context():
            from plugin.credentials import services
            from plugin.extensions import db

            services.revoke(award["id"], "Awarded by mistake", "tests")
            db.session.commit()
        page.goto(f"{server.url}/credentials/verify/{award['public_id']}")
        page.get_by_text("Awarded by mistake").wait_for()
        assert_accessible(page, "the verify page of a revoked credential")


def _only_award(app: Any) -> dict[str, Any]:
    """The one award in the database, as plain values."""
    from plugin.credentials.models import Award
    from plugin.extensions import db

    with app.app_context():
        award = db.session.scalars(db.select(Award)).one()
        return {
            "id": award.id,
            "public_id": award.public_id,
            "credential_json": award.credential_json,
        }
