"""Fixtures for the gradebook tests: the live tool and dev LMS, real launches, short backoff.

`course` places activities on the dev LMS course page, launches them as its people over real
HTTP (so the tool has real registrations, learners and resource links with AGS endpoints), and
runs delivery workers against the live dev LMS.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from plugin.devlms.testing import browser_session
from tests.plugin.lti.helpers import landed_on

FAST_DELIVERY = {
    "GRADEBOOK_BACKOFF_BASE_SECONDS": 0,
    "GRADEBOOK_BACKOFF_CAP_SECONDS": 0,
    "GRADEBOOK_CONNECT_TIMEOUT": 2,
    "GRADEBOOK_READ_TIMEOUT": 10,  # a loaded test machine is slow; hang tests shorten it
    "GRADEBOOK_MAX_TRIES": 4,
    "GRADEBOOK_POLL_SECONDS": 0.05,
    "GRADEBOOK_SLOT_WAIT_SECONDS": 5,
    "GRADEBOOK_ROSTER_CACHE_SECONDS": 0,
}


@dataclass
class Launched:
    """A person's launch of a placement: the tool's records and the browser session."""

    user: str
    browser: requests.Session
    location: str
    learner_id: int
    link_pk: int

    @property
    def token(self) -> str:
        return self.location.split("mc_session=", 1)[1].split("&", 1)[0]


@dataclass
class Course:
    """The dev LMS course with the tool placed in it; launches and workers on demand."""

    pair: Any
    placements: dict[str, Any] = field(default_factory=dict)

    @property
    def tool(self) -> Any:
        return self.pair.tool

    @property
    def lms(self) -> Any:
        return self.pair.lms

    def place(
        self,
        title: str,
        *,
        line_item: dict[str, Any] | None = None,
        target: str = "home",
        custom: dict[str, str] | None = None,
    ) -> Any:
        """Place an activity (with a line item made by the LMS when `line_item` is given)."""
        url = f"{self.pair.tool_url}/lti/launch?target={target}&n={len(self.placements)}"
        placement = self.lms.add_placement(title, url, line_item=line_item, custom=custom)
        self.placements[title] = placement
        return placement

    def launch(self, placement: Any, user: str) -> Launched:
        """A real launch of `placement` as `user`; returns the tool's learner and link ids."""
        from plugin.extensions import db
        from plugin.lti.models import Learner, ResourceLink

        browser, form = self.lms.launch(placement.id, user, browser_session())
        answer = form.submit(browser)
        location = landed_on(answer, status=None)  # the course may come later
        with self.tool.app_context():
            learner = db.session.execute(
                db.select(Learner).where(Learner.sub == f"user-{user}")
            ).scalar_one()
            link = db.session.execute(
                db.select(ResourceLink).where(ResourceLink.resource_link_id == placement.id)
            ).scalar_one()
            ids = learner.id, link.id
            db.session.remove()
        return Launched(user, browser, location, *ids)

    def enqueue(
        self,
        who: Launched,
        given: float,
        maximum: float = 10.0,
        *,
        activity: str = "Completed",
        grading: str = "FullyGraded",
    ) -> None:
        """Queue a score through the public service, committed as the grading transaction."""
        from plugin.extensions import db
        from plugin.gradebook.services import enqueue_score

        with self.tool.app_context():
            enqueue_score(
                learner_id=who.learner_id,
                resource_link_pk=who.link_pk,
                score_given=given,
                score_maximum=maximum,
                activity_progress=activity,
                grading_progress=grading,
            )
            db.session.commit()
            db.session.remove()

    def deliver(self, **kwargs: Any) -> Any:
        """Run one in-process worker until nothing is due; its stats."""
        from plugin.gradebook.worker import Worker

        with Worker(self.tool, **kwargs) as worker:
            return worker.run_once()

    def deliver_all(self, patience: float = 60.0) -> None:
        """Run workers until no score is pending (waits out backoff and Retry-After)."""
        import time

        give_up = time.monotonic() + patience
        while any(row[1] == "pending" for row in self.outbox()):
            assert time.monotonic() < give_up, f"still pending: {self.outbox()}"
            if not self.deliver().claimed:
                time.sleep(0.1)

    def outbox(self) -> list[Any]:
        """Outbox rows as plain tuples (id, status, tries, score_given, last_error)."""
        from plugin.extensions import db
        from plugin.gradebook.models import OutboxScore

        with self.tool.app_context():
            rows = db.session.execute(db.select(OutboxScore).order_by(OutboxScore.id)).scalars()
            out = [(r.id, r.status, r.tries, r.score_given, r.last_error) for r in rows]
            db.session.remove()
        return out

    def lms_scores(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The dev LMS gradebook: {(user handle, line item label): cell} for scored cells."""
        book = self.lms.gradebook()
        labels = {str(i["id"]): i["label"] for i in book["line_items"]}
        return {
            (row["user"], labels[item]): cell
            for row in book["rows"]
            for item, cell in row["scores"].items()
            if cell is not None
        }


@pytest.fixture
def fast_delivery(app_config: dict[str, Any]) -> dict[str, Any]:
    """Short backoff and timeouts, so retries happen within a test; no rate limit on the many
    launches (a shared Redis counts every test's logins from 127.0.0.1)."""
    app_config.update(FAST_DELIVERY)
    app_config["RATE_LIMITS_ENABLED"] = "false"
    return app_config


@pytest.fixture
def course(fast_delivery: dict[str, Any], dev_lms: Any) -> Iterator[Course]:
    """The live tool and dev LMS with fast delivery settings."""
    yield Course(dev_lms)
    dev_lms.lms.reset()  # releases any request still hanging


class Observer:
    """WSGI middleware on the dev LMS: counts requests in flight and records User-Agents."""

    def __init__(self, wsgi_app: Any) -> None:
        import threading

        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak: dict[str, int] = {}
        self.agents: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        kind = "api" if path.startswith("/api/") or path == "/token" else "other"
        with self.lock:
            self.agents.append((path, str(environ.get("HTTP_USER_AGENT", ""))))
            if kind == "api":
                self.in_flight += 1
                self.peak["api"] = max(self.peak.get("api", 0), self.in_flight)
        try:
            return list(self.wsgi_app(environ, start_response))
        finally:
            if kind == "api":
                with self.lock:
                    self.in_flight -= 1


@pytest.fixture
def observer(course: Course) -> Observer:
    """Watch every request the dev LMS receives."""
    lms_app = course.pair.lms_app
    watcher = Observer(lms_app.wsgi_app)
    lms_app.wsgi_app = watcher
    return watcher
