"""Attempts are graded exactly once (double submit, two tabs, fifty at once), limited, autosaved,
and every graded attempt queues its score and evaluates completion in the same transaction."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import requests

from tests.plugin.catalog.helpers import COURSE_ID, TOOL, launch, session_of
from tests.plugin.learning.helpers import attempt_form, open_module, publish_tiny
from tests.servers import live_server


def _attempts(app: Any, quiz_id: str) -> list[Any]:
    from plugin.extensions import db
    from plugin.learning.models import Attempt

    with app.app_context():
        rows = (
            db.session.execute(
                db.select(Attempt).where(Attempt.quiz_id == quiz_id).order_by(Attempt.id)
            )
            .scalars()
            .all()
        )
        db.session.expunge_all()
        return list(rows)


def _outbox(app: Any) -> list[Any]:
    from plugin.extensions import db
    from plugin.gradebook.models import OutboxScore

    with app.app_context():
        rows = db.session.execute(db.select(OutboxScore)).scalars().all()
        db.session.expunge_all()
        return list(rows)


def test_double_submit_grades_once(app: Any, client: Any, platform: Any, tmp_path: Path) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    action, options = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    form = {"mc_session": token, "action": "submit", "a.mean-calc": options["4"]}
    first, second = client.post(action, data=form), client.post(action, data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [attempt] = _attempts(app, "mean-calc")
    assert attempt.status == "submitted" and attempt.points == 2.0
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "You scored 2 of 2 points" in page
    [score] = _outbox(app)
    assert (score.score_given, score.score_maximum) == (2.0, 3.0)
    assert score.activity_progress == "InProgress"


def test_two_tabs_give_one_graded_attempt(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    tab1, token1 = open_module(client, platform)
    tab2, token2 = open_module(client, platform)
    action1, options = attempt_form(client.get(tab1).get_data(as_text=True), "mean-calc")
    action2, _ = attempt_form(client.get(tab2).get_data(as_text=True), "mean-calc")
    assert action1 == action2  # both tabs show the same open attempt
    client.post(action1, data={"mc_session": token1, "a.mean-calc": options["4"]})
    late = client.post(action2, data={"mc_session": token2, "a.mean-calc": options["3"]})
    [attempt] = _attempts(app, "mean-calc")
    assert attempt.points == 2.0  # the second tab's answer did not replace the grade
    page = client.get(late.headers["Location"]).get_data(as_text=True)
    assert "You scored 2 of 2 points" in page


def test_fifty_concurrent_submits_grade_once(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from plugin import signals

    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform, "02-median")
    action, _ = attempt_form(client.get(location).get_data(as_text=True), "median-calc")
    graded: list[Any] = []
    signals.attempt_graded.connect(lambda sender, **kw: graded.append(kw), weak=False)
    statuses: list[int] = []
    barrier = threading.Barrier(50)
    with live_server(app) as server:

        def submit() -> None:
            barrier.wait()
            response = requests.post(
                server.url + action,
                timeout=60,
                allow_redirects=False,
                data={"mc_session": token, "a.median-calc": "3"},
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=submit) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    signals.attempt_graded.receivers.clear()
    assert statuses == [303] * 50
    [attempt] = _attempts(app, "median-calc")
    assert attempt.status == "submitted" and attempt.points == 1.0
    assert len(graded) == 1
    assert len(_outbox(app)) == 1


def test_attempt_limit_is_refused_with_a_clear_page(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform, "02-median")
    action, _ = attempt_form(client.get(location).get_data(as_text=True), "median-calc")
    client.post(action, data={"mc_session": token, "a.median-calc": "4"})
    page = client.get(location).get_data(as_text=True)
    assert "You have used all your attempts at this quiz." in page
    assert "Try quiz 1 again" not in page
    again = client.post(
        f"/learn/{COURSE_ID}/02-median/quizzes/median-calc/attempts", data={"mc_session": token}
    )
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "You have used all 1 attempts at this quiz." in text
    assert "NO_ATTEMPTS_LEFT" in text
    assert len(_attempts(app, "median-calc")) == 1


def test_second_attempt_earns_its_credit(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    action, options = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    client.post(action, data={"mc_session": token, "a.mean-calc": options["6"]})
    retry = client.post(
        f"/learn/{COURSE_ID}/01-mean/quizzes/mean-calc/attempts", data={"mc_session": token}
    )
    assert retry.status_code == 303
    action2, options2 = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    assert action2 != action
    done = client.post(action2, data={"mc_session": token, "a.mean-calc": options2["4"]})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "You scored 1 of 2 points (attempt 2 earns 50 % of the points)" in page
    assert "(correct)" in page  # no attempts left: the solution is shown
    assert [a.attempt_no for a in _attempts(app, "mean-calc")] == [1, 2]


def test_autosave_keeps_answers_and_stops_after_submit(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    action, options = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    attempt_id = action.rsplit("/", 1)[1]
    url = f"/learn/attempts/{attempt_id}/answers"
    bearer = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    saved = client.put(url, data={"a.mean-calc": options["4"]}, headers=bearer)
    assert saved.status_code == 200 and saved.get_json()["status"] == "saved"
    page = client.get(location).get_data(as_text=True)
    assert f'value="{options["4"]}" checked' in page
    assert client.put(url, data={"a.mean-calc": options["3"]}).status_code == 401
    # The reloaded form shows the saved choice, so submitting it sends that choice.
    client.post(action, data={"mc_session": token, "a.mean-calc": options["4"]})
    [attempt] = _attempts(app, "mean-calc")
    assert attempt.points == 2.0
    closed = client.put(url, data={"a.mean-calc": options["3"]}, headers=bearer)
    assert closed.status_code == 409
    assert closed.get_json()["error"]["code"] == "ATTEMPT_SUBMITTED"


def test_save_without_javascript_keeps_the_attempt_open(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    action, options = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    saved = client.post(
        action, data={"mc_session": token, "action": "save", "a.mean-calc": options["3"]}
    )
    assert saved.status_code == 303 and "#quiz-mean-calc" in saved.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert f'value="{options["3"]}" checked' in page
    assert _attempts(app, "mean-calc")[0].status == "open"


def test_other_learners_attempts_are_not_found(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, _ = open_module(client, platform)
    action, _ = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    _, other = open_module(client, platform, sub="learner-2")
    response = client.post(action, data={"mc_session": other, "a.mean-calc": "x"})
    assert response.status_code == 404
    assert _attempts(app, "mean-calc")[0].status == "open"


def test_simultaneous_first_visits_make_one_enrollment_and_one_attempt_per_quiz(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    """Twenty tabs open a module the learner never saw, at once: every page shows the module,
    and the learner has one enrollment and one open attempt of each quiz (the losing starts
    take the winner's)."""
    from plugin.extensions import db
    from plugin.learning.models import Enrollment

    publish_tiny(app, tmp_path)
    landed = launch(client, platform, f"{TOOL}/lti/launch?target=home")  # no enrollment yet
    token = session_of(landed)
    with app.app_context():
        assert db.session.execute(db.select(Enrollment)).scalars().all() == []
    pages: list[tuple[int, str]] = []
    barrier = threading.Barrier(20)
    with live_server(app) as server:

        def visit() -> None:
            barrier.wait()
            response = requests.get(
                f"{server.url}/learn/{COURSE_ID}/01-mean?mc_session={token}", timeout=60
            )
            pages.append((response.status_code, response.text))

        threads = [threading.Thread(target=visit) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [status for status, _ in pages] == [200] * 20
    assert all("What is the mean of 2, 4 and 6?" in text for _, text in pages)
    with app.app_context():
        assert len(db.session.execute(db.select(Enrollment)).scalars().all()) == 1
    attempts = _attempts(app, "mean-calc")
    assert [(a.attempt_no, a.status) for a in attempts] == [(1, "open")]
