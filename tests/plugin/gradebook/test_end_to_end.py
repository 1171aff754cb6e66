"""From a learner's quiz to the LMS gradebook and the instructor's statistics: a real course
published to the tool, placed on the dev LMS course page, answered by two learners through
real launches; the worker delivers their module scores and the instructor reads the questions
in the author's words with the wrong option each learner picked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import COURSE_ID, publish_bytes, tiny_package
from tests.plugin.gradebook.helpers import open_gradebook
from tests.plugin.learning.helpers import attempt_form


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _answer(course: Any, placement: Any, user: str, choice: str) -> None:
    launched = course.launch(placement, user)
    base = course.pair.tool_url
    page = launched.browser.get(base + launched.location, timeout=30)
    assert page.status_code == 200, page.text[:500]
    action, options = attempt_form(page.text, "mean-calc")
    answer = launched.browser.post(
        base + action,
        data={"mc_session": launched.token, "action": "submit", "a.mean-calc": options[choice]},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text[:500]


def test_quiz_scores_reach_the_lms_and_the_instructor_statistics(
    course: Any, tmp_path: Path
) -> None:
    publish_bytes(course.tool, tiny_package(tmp_path))
    module = course.place(
        "The mean",
        target=f"module&course={COURSE_ID}&module=01-mean",
        custom={"course_id": COURSE_ID, "module_id": "01-mean"},
    )
    book = course.place("Gradebook", target="gradebook")
    _answer(course, module, "grace", "4")
    _answer(course, module, "alan", "12")
    course.deliver_all()

    [item] = course.lms.gradebook()["line_items"]
    assert item["resourceLinkId"] == module.id and item["resourceId"] == f"{COURSE_ID}/01-mean"
    scores = course.lms_scores()
    assert scores[("grace", "The mean")]["score"] == 2  # 2 of the module's 3 points
    assert scores[("alan", "The mean")]["score"] == 0

    visit = open_gradebook(course, book)
    overview = _text(visit.first.text)
    assert "Grace Hopper grace@example.edu Learner Yes 2 / 3 67%" in overview
    stats = _text(visit.get("/gradebook/questions").text)
    assert "What is the mean of 2, 4 and 6? 01-mean / mean-calc 2 1 (50%) 0 12: 1 time" in stats
