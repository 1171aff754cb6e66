"""The instructor's gradebook pages in a real browser: WCAG 2.1 AA by axe-core, and the failed
delivery sent again with the keyboard only."""

from __future__ import annotations

from typing import Any

from tests.browser import assert_accessible
from tests.plugin.gradebook.helpers import QUIZ_CUSTOM, QUIZ_ITEM, open_gradebook, record_learning


def test_gradebook_pages_are_accessible_and_work_by_keyboard(
    course: Any, browser_page: Any
) -> None:
    quiz = course.place("Module 1 quiz", line_item=QUIZ_ITEM, custom=QUIZ_CUSTOM)
    book = course.place("Gradebook", target="gradebook")
    grace, alan = course.launch(quiz, "grace"), course.launch(quiz, "alan")
    record_learning(
        course.tool,
        grace.learner_id,
        visited=1,
        attempts=[
            {
                "module": "m1",
                "quiz": "q1",
                "results": {"q1-capital": {"fraction": 0.0, "correct": False, "selected": ["d"]}},
            }
        ],
    )
    course.enqueue(grace, 8, 10)
    course.deliver_all()
    course.lms.set_fault("scores", "error500")
    course.enqueue(alan, 3, 10)
    course.deliver_all()
    course.lms.set_fault("scores", "ok")
    visit = open_gradebook(course, book)
    page = browser_page
    page.goto(visit.first.url)
    assert page.locator("h1").inner_text() == "Gradebook: Foundations of Data Literacy"
    assert page.get_by_role("img", name="Learners by overall score").count() == 1
    bar = page.locator("rect.bar").first
    assert bar.evaluate("e => getComputedStyle(e).fill") == "rgb(11, 92, 173)"  # styled
    assert_accessible(page, "the gradebook overview")

    send_again = page.get_by_role("button", name="Send again: Alan Turing, Module 1 quiz")
    for _ in range(40):  # reach the button with Tab alone
        page.keyboard.press("Tab")
        if send_again.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("the Send again button cannot be reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("status").filter(has_text="queued again").count() == 1
    assert_accessible(page, "the gradebook after a retry")
    course.deliver_all()
    assert course.lms_scores()[("alan", "Module 1 quiz")]["score"] == 3

    with page.expect_navigation():
        page.get_by_role("link", name="Question statistics").click()
    assert page.get_by_role("row", name="q1-capital").count() == 1
    assert_accessible(page, "the question statistics")
