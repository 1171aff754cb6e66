"""Helpers for the instructor view tests: open the gradebook from a launch, record learning."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

QUIZ_ITEM = {"label": "Module 1 quiz", "scoreMaximum": 10, "tag": "microcred"}
QUIZ_CUSTOM = {"course_id": "data-basics", "module_id": "m1"}


@dataclass
class GradebookVisit:
    """An instructor's (or anyone's) browser on the gradebook after a launch."""

    browser: requests.Session
    base: str
    token: str
    first: requests.Response

    def get(self, path: str, **params: str) -> requests.Response:
        return self.browser.get(
            self.base + path, params={"mc_session": self.token, **params}, timeout=30
        )

    def post(self, path: str, with_token: bool = True) -> requests.Response:
        data = {"mc_session": self.token} if with_token else {}
        return self.browser.post(self.base + path, data=data, allow_redirects=False, timeout=30)


def open_gradebook(course: Any, placement: Any, user: str = "ada") -> GradebookVisit:
    """Launch the gradebook placement as `user` and follow the tool's redirect."""
    launched = course.launch(placement, user)
    location = launched.location
    url = location if location.startswith("http") else course.pair.tool_url + location
    first = launched.browser.get(url, timeout=30)
    return GradebookVisit(launched.browser, course.pair.tool_url, launched.token, first)


def record_learning(
    app: Any,
    learner_id: int,
    *,
    visited: int,
    attempts: list[dict[str, Any]],
    completed: bool = False,
    course_id: str = "data-basics",
) -> None:
    """What the learning feature records: an enrollment, module visits, submitted attempts
    (each {"module", "quiz", "results": {question: {fraction, correct, selected}}})."""
    from plugin.catalog.models import CourseVersion
    from plugin.db import utcnow
    from plugin.extensions import db
    from plugin.learning.models import Attempt, Enrollment, ModuleVisit

    with app.app_context():
        version = db.session.execute(
            db.select(CourseVersion).where(CourseVersion.course_id == course_id)
        ).scalar_one_or_none()
        if version is None:
            version = CourseVersion(
                course_id=course_id,
                version="1.0.0",
                major=1,
                minor=0,
                patch=0,
                content_hash="sha256:" + "0" * 64,
                title="Data basics",
                language="en",
                course_json=json.dumps({"id": course_id, "title": "Data basics"}),
                package=b"",
                published_by="test",
            )
            db.session.add(version)
            db.session.flush()
        enrollment = Enrollment(
            learner_id=learner_id,
            course_id=course_id,
            course_version_id=version.id,
            completed_at=utcnow() if completed else None,
        )
        db.session.add(enrollment)
        db.session.flush()
        for n in range(visited):
            db.session.add(ModuleVisit(enrollment_id=enrollment.id, module_id=f"m{n + 1}"))
        for number, spec in enumerate(attempts, start=1):
            results = spec["results"]
            earned = sum(r["fraction"] for r in results.values())
            db.session.add(
                Attempt(
                    enrollment_id=enrollment.id,
                    learner_id=learner_id,
                    course_version_id=version.id,
                    module_id=spec["module"],
                    quiz_id=spec["quiz"],
                    attempt_no=number,
                    seed=f"seed-{number}",
                    question_ids=list(results),
                    display={},
                    answers={},
                    hints_used={},
                    status="submitted",
                    fraction=earned / len(results),
                    points=earned,
                    max_points=len(results),
                    results=results,
                    submitted_at=utcnow(),
                )
            )
        db.session.commit()
        db.session.remove()
