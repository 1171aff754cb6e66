"""Fixtures for the registrar: learners, real signed member awards (the credentials services),
pathways, and signed-in clients for every kind of visitor."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.plugin.admin.conftest import make_account, password_hash  # noqa: F401
from tests.plugin.admin.helpers import Account, sign_in

PROGRAM = """\
id: data-literacy
title: Foundations of Data Literacy
version: 1.0.0
description: Three micro-courses that together earn DATA 1010.
courses:
  - course: data-spreadsheets
    min_result: 0.7
  - course: descriptive-statistics
    min_result: 0.7
  - course: data-visualization
    min_result: 0.7
rule: all
recency_days: 365
certificate:
  name: Foundations of Data Literacy
  description: Organise, summarise and present data.
  criteria: Earned all three member micro-credentials.
credit:
  credit_hours: 3
  level: undergraduate-lower
  institution_course: "DATA 1010"
  grade_mode: pass-fail
  subject: Data Science
"""
MEMBERS = ("data-spreadsheets", "descriptive-statistics", "data-visualization")


@dataclass
class World:
    """Makes learners and awards inside the app context the test runs in."""

    app: Any
    registration_id: int

    def learner(self, name: str = "Ada Lovelace") -> int:
        from plugin.extensions import db
        from plugin.lti.models import Learner

        row = Learner(
            issuer="https://lms.example.edu",
            sub=f"user-{uuid.uuid4().hex[:10]}",
            name=name,
            email=None,
            registration_id=self.registration_id,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    def award(
        self,
        learner_id: int,
        achievement_id: str,
        *,
        score: float | None = 0.9,
        credits: float | None = 1.0,
        days_ago: int = 0,
        expires_in_days: int | None = None,
    ) -> Any:
        """A real signed course award; `days_ago` and `expires_in_days` move its dates."""
        from plugin.credentials import services
        from plugin.credentials.achievements import build_achievement, save_achievement
        from plugin.db import utcnow
        from plugin.extensions import db

        spec = {
            "name": achievement_id.replace("-", " ").title(),
            "criteria": "Finish it.",
            "description": f"The course {achievement_id}.",
            "credit_hours": credits,
        }
        achievement = save_achievement(
            achievement_id,
            build_achievement(achievement_id, spec),
            kind="course",
            course_id=achievement_id,
        )
        award = services.issue_award(
            learner_id,
            achievement,
            kind="course",
            course_id=achievement_id,
            score=score,
            credits=credits,
        )
        if days_ago:
            award.issued_at = utcnow() - timedelta(days=days_ago)
            award.valid_from = award.issued_at
        if expires_in_days is not None:
            award.valid_until = utcnow() + timedelta(days=expires_in_days)
        db.session.flush()
        return award

    def pathway(self, text: str = PROGRAM) -> Any:
        from plugin.registrar.pathways import import_program, parse_program_text

        pathway, _ = import_program(parse_program_text(text))
        return pathway

    def complete(self, learner_id: int, members: tuple[str, ...] = MEMBERS, **kw: Any) -> list[Any]:
        return [self.award(learner_id, m, **kw) for m in members]


@contextmanager
def world_context(app: Any) -> Iterator[World]:
    """An app context with one LMS registration; commit what should be kept.

    Tests that send HTTP requests must leave this context first: requests would share its `g`.
    """
    from plugin.extensions import db
    from plugin.lti import services as lti

    with app.app_context():
        reg = lti.create_registration(
            issuer="https://lms.example.edu",
            client_id=f"c-{uuid.uuid4().hex[:8]}",
            name="Example LMS",
            product="generic",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
            key_set_url="https://lms.example.edu/jwks",
        )
        db.session.flush()
        yield World(app, reg.id)
        db.session.rollback()


@pytest.fixture
def world(app: Any) -> Iterator[World]:
    """A World for service tests (the app context stays pushed for the whole test)."""
    with world_context(app) as w:
        yield w


@pytest.fixture
def registrar_client(app: Any, make_account: Callable[..., Account]) -> Any:  # noqa: F811
    """A test client signed in with a local account holding only the registrar role."""
    account = make_account(roles=("registrar",))
    client = app.test_client()
    assert sign_in(client, account.username, account.password).status_code == 302
    return client
