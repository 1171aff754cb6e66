"""Completion after graded attempts (signal sent once, after commit), scores queued for the
LMS with the grade, and draws from banks seeded per learner and attempt and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import (
    build_course,
    launch,
    launch_url,
    publish_bytes,
    session_of,
)
from tests.plugin.learning.helpers import attempt_form, open_module, publish_tiny

ROOT = Path(__file__).resolve().parents[3]


def _finish_module(client: Any, location: str, token: str, answers: dict[str, str]) -> None:
    page = client.get(location).get_data(as_text=True)
    for quiz_id, label in answers.items():
        action, options = attempt_form(page, quiz_id)
        value = options.get(label, label)
        response = client.post(action, data={"mc_session": token, f"a.{quiz_id}": value})
        assert response.status_code == 303


def test_completing_the_course_is_announced_once(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from plugin import signals
    from plugin.extensions import db
    from plugin.learning.models import Enrollment

    publish_tiny(app, tmp_path)
    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        with app.app_context():  # the enrollment is committed before the signal is sent
            row = db.session.execute(db.select(Enrollment)).scalar_one()
            heard.append({**kwargs, "completed": row.completed_at is not None})

    signals.course_completed.connect(listener)
    try:
        mean, token = open_module(client, platform)
        _finish_module(client, mean, token, {"mean-calc": "4", "mean-outlier": "true"})
        assert heard == []
        median, token2 = open_module(client, platform, "02-median")
        outline = client.get(f"/learn/tiny-stats/?mc_session={token2}").get_data(as_text=True)
        assert "1 of 2 modules complete" in outline
        _finish_module(client, median, token2, {"median-calc": "3"})
    finally:
        signals.course_completed.disconnect(listener)
    assert len(heard) == 1
    assert heard[0]["completed"] is True
    with app.app_context():
        enrollment = db.session.execute(db.select(Enrollment)).scalar_one()
        assert heard[0]["learner_id"] == enrollment.learner_id
        assert heard[0]["course_version_id"] == enrollment.course_version_id
    outline = client.get(f"/learn/tiny-stats/?mc_session={token2}").get_data(as_text=True)
    assert "You completed this course on" in outline
    assert "2 of 2 modules complete" in outline


def test_graded_attempts_queue_the_module_score(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from plugin.extensions import db
    from plugin.gradebook.models import OutboxScore

    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    _finish_module(client, location, token, {"mean-calc": "4", "mean-outlier": "true"})
    with app.app_context():
        [row] = db.session.execute(db.select(OutboxScore)).scalars().all()
        assert (row.score_given, row.score_maximum) == (3.0, 3.0)
        assert (row.activity_progress, row.grading_progress) == ("Completed", "FullyGraded")
        assert row.user_sub == "learner-1"


def test_instructors_preview_without_sending_scores(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from plugin.extensions import db
    from plugin.gradebook.models import OutboxScore

    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform, role="Instructor", sub="teacher-1")
    _finish_module(client, location, token, {"mean-calc": "4"})
    with app.app_context():
        assert db.session.execute(db.select(OutboxScore)).scalars().all() == []


def test_draws_are_seeded_per_learner_and_recorded(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from authoring.grading import draw_questions, seed_for
    from plugin.catalog.packages import get_content
    from plugin.catalog.services import latest_version
    from plugin.extensions import db
    from plugin.learning.models import Attempt

    data = build_course(
        ROOT / "content_samples" / "descriptive-statistics", tmp_path / "stats.mcpkg"
    )
    publish_bytes(app, data)
    course = "descriptive-statistics"
    pages = {}
    for sub in ("learner-a", "learner-b"):
        location = launch(
            client,
            platform,
            launch_url("module", course, "06-review"),
            sub=sub,
            custom={"course_id": course, "module_id": "06-review"},
        )
        pages[sub] = client.get(location).get_data(as_text=True)
        again = client.get(location).get_data(as_text=True)
        assert session_of(location)
        assert again.count("<fieldset") == pages[sub].count("<fieldset") == 6
    with app.app_context():
        version = latest_version(course)
        assert version is not None
        content = get_content(version)
        attempts = (
            db.session.execute(
                db.select(Attempt).where(Attempt.quiz_id == "ds-review-center").order_by(Attempt.id)
            )
            .scalars()
            .all()
        )
        assert len(attempts) == 2
        for sub, attempt in zip(("learner-a", "learner-b"), attempts, strict=True):
            draw = content.draw("06-review", "ds-review-center")
            assert draw is not None
            expected = draw_questions(content.pool(draw.bank), draw, seed_for(attempt.seed, "draw"))
            assert attempt.question_ids == [q.id for q in expected]
            assert len(attempt.question_ids) == 2
            for qid in attempt.question_ids:
                stem = content.public[qid]["stem_html"]
                assert stem in pages[sub]
        assert attempts[0].seed != attempts[1].seed
