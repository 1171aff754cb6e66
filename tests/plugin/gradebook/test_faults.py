"""The dev LMS misbehaves (HTTP 500, 429 with Retry-After, a hung request, a dead token
endpoint) and recovers: every score arrives once with its own value; a score the LMS keeps
refusing ends as a failed delivery that the instructor can retry."""

from __future__ import annotations

from typing import Any

import pytest

LEARNERS = ("grace", "alan", "katherine")


def _quiz_with_learners(course: Any) -> tuple[Any, list[Any]]:
    quiz = course.place(
        "Module 1 quiz",
        line_item={"label": "Module 1 quiz", "scoreMaximum": 10, "tag": "microcred"},
    )
    return quiz, [course.launch(quiz, who) for who in LEARNERS]


def _values(course: Any) -> dict[str, float]:
    return {who: cell["score"] for (who, _), cell in course.lms_scores().items()}


@pytest.fixture
def quick_timeout(fast_delivery: dict[str, Any]) -> None:
    """Give up on an LMS call after one second (the dev LMS hangs for 30)."""
    fast_delivery["GRADEBOOK_READ_TIMEOUT"] = 1


def test_scores_arrive_after_server_errors(course: Any) -> None:
    _assert_recovers(course, "error500")


def test_scores_arrive_after_hung_requests(quick_timeout: None, course: Any) -> None:
    _assert_recovers(course, "hang")


def _assert_recovers(course: Any, mode: str) -> None:
    _, launches = _quiz_with_learners(course)
    course.lms.set_fault("scores", mode, count=2)
    for n, who in enumerate(launches):
        course.enqueue(who, n + 2, 10)
    course.deliver_all()
    assert _values(course) == {"grace": 2, "alan": 3, "katherine": 4}
    stats = course.lms.stats()
    assert stats["faults_injected_by_endpoint"]["scores"] == 2
    assert stats["scores_stored"] == 3 and stats["scores_out_of_order"] == 0
    assert course.outbox() == []


def test_rate_limit_is_waited_out_without_hammering_the_lms(course: Any) -> None:
    _, launches = _quiz_with_learners(course)
    course.lms.set_fault("scores", "rate429", retry_after=1, count=1)
    for n, who in enumerate(launches):
        course.enqueue(who, n + 5, 10)
    course.deliver_all()
    assert _values(course) == {"grace": 5, "alan": 6, "katherine": 7}
    stats = course.lms.stats()
    # One refused call; every other call waited for the Retry-After and then succeeded.
    assert stats["faults_injected_by_endpoint"]["scores"] == 1
    assert stats["requests_by_endpoint"]["scores"] <= 3 + 1 + 1


def test_token_endpoint_outage_is_retried(course: Any) -> None:
    _, launches = _quiz_with_learners(course)
    course.lms.set_fault("token", "error500", count=1)
    for who in launches:
        course.enqueue(who, 8, 10)
    course.deliver_all()
    assert _values(course) == {"grace": 8, "alan": 8, "katherine": 8}
    assert course.lms.stats()["tokens_issued"] == 1


def test_newer_score_queued_during_an_outage_wins(course: Any) -> None:
    _, launches = _quiz_with_learners(course)
    grace = launches[0]
    course.lms.set_fault("scores", "error500", count=1)
    course.enqueue(grace, 3, 10)
    course.deliver()  # refused once; the row waits for its next try
    course.enqueue(grace, 9, 10)
    course.deliver_all()
    assert _values(course) == {"grace": 9}
    assert course.lms.stats()["scores_out_of_order"] == 0


def test_score_refused_until_the_last_try_is_kept_as_failed_and_can_be_retried(course: Any) -> None:
    from plugin.extensions import db
    from plugin.gradebook.services import retry_failed_deliveries

    _, launches = _quiz_with_learners(course)
    course.lms.set_fault("scores", "error500")  # until changed
    course.enqueue(launches[0], 6, 10)
    course.deliver_all()
    [(_, status, tries, given, error)] = course.outbox()
    assert (status, tries, given) == ("failed", 4, 6)
    assert "HTTP 500" in error and "injected HTTP 500" in error
    assert _values(course) == {}
    course.lms.set_fault("scores", "ok")
    with course.tool.app_context():
        assert retry_failed_deliveries() == 1
        db.session.commit()
    course.deliver_all()
    assert _values(course) == {"grace": 6}
    assert course.outbox() == []


def test_deleted_lms_column_fails_at_once_with_the_lms_reason(course: Any) -> None:
    from plugin.devlms import get_devlms
    from plugin.devlms.lineitems import delete_line_item

    quiz, launches = _quiz_with_learners(course)
    delete_line_item(get_devlms(course.pair.lms_app).store, quiz.line_item_id)
    course.enqueue(launches[0], 1, 10)
    course.deliver_all()
    [(_, status, tries, _, error)] = course.outbox()
    assert status == "failed" and tries == 1  # a 404 is not worth trying again
    assert error.startswith("sending the score: HTTP 404")


def test_token_the_lms_forgot_is_replaced(course: Any) -> None:
    from plugin.devlms import get_devlms

    _, launches = _quiz_with_learners(course)
    course.enqueue(launches[0], 1, 10)
    course.deliver_all()
    get_devlms(course.pair.lms_app).store.execute("DELETE FROM access_tokens")  # revoked
    course.enqueue(launches[1], 2, 10)
    course.deliver_all()
    assert _values(course) == {"grace": 1, "alan": 2}
    stats = course.lms.stats()
    assert stats["tokens_issued"] == 2
    assert course.outbox() == []
