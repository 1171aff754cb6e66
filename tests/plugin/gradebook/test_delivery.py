"""Scores queued by the tool reach the dev LMS gradebook over real AGS calls: the right values
and progress, increasing timestamps, one line item per placement, one access token for many
scores, the per-platform concurrency limit, Link paging and an identifiable User-Agent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from plugin.devlms import get_devlms
from plugin.devlms.lineitems import create_line_item, list_line_items
from plugin.devlms.seed import COURSE

LINE_ITEM = {
    "label": "Module 1 quiz",
    "scoreMaximum": 10,
    "resourceId": "data/m1",
    "tag": "microcred",
}
LEARNERS = ("grace", "alan", "katherine")


def test_score_lands_in_the_lms_gradebook_with_its_progress(course: Any) -> None:
    quiz = course.place("Module 1 quiz", line_item=LINE_ITEM)
    grace = course.launch(quiz, "grace")
    course.enqueue(grace, 7.5, 10, activity="Completed", grading="FullyGraded")
    assert course.deliver().delivered == 1
    cell = course.lms_scores()[("grace", "Module 1 quiz")]
    assert (cell["score"], cell["maximum"]) == (7.5, 10)
    assert (cell["activityProgress"], cell["gradingProgress"]) == ("Completed", "FullyGraded")
    assert course.outbox() == []


def test_later_scores_replace_earlier_ones_with_increasing_timestamps(course: Any) -> None:
    quiz = course.place("Module 1 quiz", line_item=LINE_ITEM)
    grace = course.launch(quiz, "grace")
    seen = []
    for given, activity, grading in (
        (0, "Started", "NotReady"),
        (4, "Submitted", "Pending"),
        (9, "Completed", "FullyGraded"),
    ):
        course.enqueue(grace, given, 10, activity=activity, grading=grading)
        course.deliver()
        cell = course.lms_scores()[("grace", "Module 1 quiz")]
        assert (cell["score"], cell["activityProgress"], cell["gradingProgress"]) == (
            given,
            activity,
            grading,
        )
        seen.append(datetime.fromisoformat(cell["timestamp"]))
    assert seen == sorted(seen) and len(set(seen)) == 3
    assert course.lms.stats()["scores_out_of_order"] == 0


def test_two_scores_queued_before_delivery_send_only_the_newest(course: Any) -> None:
    quiz = course.place("Module 1 quiz", line_item=LINE_ITEM)
    grace = course.launch(quiz, "grace")
    course.enqueue(grace, 3, 10)
    course.enqueue(grace, 6, 10)
    assert len(course.outbox()) == 1
    course.deliver()
    assert course.lms_scores()[("grace", "Module 1 quiz")]["score"] == 6
    assert course.lms.stats()["scores_received"] == 1


def test_line_item_is_created_once_for_the_resource_link_with_our_tag(course: Any) -> None:
    quiz = course.place("Unit 2 practice", custom={"course_id": "data", "module_id": "u2"})
    launches = [course.launch(quiz, who) for who in LEARNERS]
    for index, who in enumerate(launches):
        course.enqueue(who, index + 1, 5)
    assert course.deliver().delivered == 3
    items = course.lms.gradebook()["line_items"]
    assert len(items) == 1
    item = items[0]
    assert item["resourceLinkId"] == quiz.id and item["tag"] == "microcred"
    assert item["resourceId"] == "data/u2" and item["label"] == "Unit 2 practice"
    assert item["scoreMaximum"] == 5
    scores = course.lms_scores()
    assert [scores[(who, "Unit 2 practice")]["score"] for who in LEARNERS] == [1, 2, 3]
    assert course.lms.stats()["line_items_created"] == 1


def test_existing_line_item_is_found_across_link_pages(course: Any) -> None:
    quiz = course.place("Unit 3 practice")
    grace = course.launch(quiz, "grace")  # no line item yet: the launch names only the container
    store = get_devlms(course.pair.lms_app).store
    page_size = get_devlms(course.pair.lms_app).settings.page_size
    for n in range(page_size + 5):  # other columns of this link fill the first page
        create_line_item(
            store,
            context_id=COURSE.id,
            client_id="microcred-dev",
            label=f"Other {n}",
            score_maximum=1,
            resource_link_id=quiz.id,
            tag="someone-else",
        )
    ours = create_line_item(
        store,
        context_id=COURSE.id,
        client_id="microcred-dev",
        label="Ours",
        score_maximum=5,
        resource_link_id=quiz.id,
        tag="microcred",
    )
    before = course.lms.stats()
    course.enqueue(grace, 4, 5)
    assert course.deliver().delivered == 1
    assert course.lms_scores()[("grace", "Ours")]["score"] == 4
    after = course.lms.stats()
    assert after["line_items_created"] == before["line_items_created"]
    assert len(list_line_items(store, COURSE.id)) == page_size + 6
    assert after["requests_by_endpoint"]["lineitems"] >= 2  # both pages were read
    assert ours.id


def test_one_access_token_serves_many_scores(course: Any) -> None:
    quizzes = [
        course.place(
            f"Quiz {n}", line_item={**LINE_ITEM, "label": f"Quiz {n}", "resourceId": f"data/q{n}"}
        )
        for n in range(4)
    ]
    launches = [course.launch(q, who) for q in quizzes for who in LEARNERS]
    course.lms.reset()  # count from here
    for n, who in enumerate(launches):
        course.enqueue(who, n % 10, 10)
    assert course.deliver().delivered == 12
    assert len(course.lms_scores()) == 12
    for n, who in enumerate(launches):
        course.enqueue(who, (n + 1) % 10, 10)
    assert course.deliver().delivered == 12
    stats = course.lms.stats()
    assert stats["token_requests"] == 1 and stats["scores_stored"] == 24


@pytest.fixture
def two_slots(fast_delivery: dict[str, Any]) -> int:
    """At most two calls in flight to one platform."""
    fast_delivery["GRADEBOOK_PLATFORM_CONCURRENCY"] = 2
    return 2


def test_calls_to_one_platform_stay_within_its_concurrency_limit(
    two_slots: int, course: Any, observer: Any
) -> None:
    limit = two_slots
    quizzes = [
        course.place(f"Quiz {n}", line_item={**LINE_ITEM, "label": f"Quiz {n}"}) for n in range(3)
    ]
    launches = [course.launch(q, who) for q in quizzes for who in LEARNERS]
    course.lms.set_fault("scores", "ok", delay_ms=150)
    for who in launches:
        course.enqueue(who, 5, 10)
    assert course.deliver(threads=8).delivered == 9
    assert len(course.lms_scores()) == 9
    assert observer.peak["api"] == limit


def test_every_call_names_microcred_as_user_agent(course: Any, observer: Any) -> None:
    quiz = course.place("Unit 4")
    grace = course.launch(quiz, "grace")
    course.enqueue(grace, 1, 2)
    course.deliver()
    service_calls = [
        agent for path, agent in observer.agents if path.startswith("/api/") or path == "/token"
    ]
    assert len(service_calls) >= 3  # token, find, create, score
    assert all(agent.startswith("microcred/") for agent in service_calls), service_calls


@pytest.fixture
def worker_thread(fast_delivery: dict[str, Any]) -> None:
    """`make run`: the web process starts a delivery thread with its first request."""
    fast_delivery["START_WORKER"] = "true"


def test_web_process_worker_thread_delivers(worker_thread: None, course: Any) -> None:
    import time

    from plugin.gradebook.worker import stop_worker_thread

    quiz = course.place("Module 1 quiz", line_item=LINE_ITEM)
    try:
        grace = course.launch(quiz, "grace")  # the first request starts the thread
        assert "microcred.gradebook.thread" in course.tool.extensions
        course.enqueue(grace, 6, 10)
        give_up = time.monotonic() + 60
        while ("grace", "Module 1 quiz") not in course.lms_scores():
            assert time.monotonic() < give_up, course.outbox()
            time.sleep(0.1)
        assert course.lms_scores()[("grace", "Module 1 quiz")]["score"] == 6
    finally:
        stop_worker_thread(course.tool)
