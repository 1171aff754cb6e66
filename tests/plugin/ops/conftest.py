"""Fixtures for operations tests: admin accounts (from the admin tests) and a launched learner
with data in several tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.plugin.admin.conftest import (  # noqa: F401  (fixtures)
    admin_account,
    admin_client,
    make_account,
    password_hash,
)
from tests.plugin.lti.helpers import launch


@dataclass(frozen=True)
class LaunchedLearner:
    """A learner who launched once: their ids, and the platform they came from."""

    learner_id: int
    resource_link_pk: int
    registration_id: int
    launch_response: Any


def add_outbox_score(
    app: Any,
    who: LaunchedLearner,
    *,
    tries: int = 0,
    status: str = "pending",
    error: str | None = None,
) -> None:
    """A score waiting for the LMS, as the gradebook writes it."""
    from plugin.extensions import db
    from plugin.gradebook.models import LatestScore, OutboxScore

    with app.app_context():
        db.session.add(
            OutboxScore(
                registration_id=who.registration_id,
                learner_id=who.learner_id,
                resource_link_pk=who.resource_link_pk,
                user_sub="user-1",
                resource_link_id="link-1",
                label="Module 1 quiz",
                score_given=3,
                score_maximum=4,
                activity_progress="Completed",
                grading_progress="FullyGraded",
                timestamp_ms=1,
                status=status,
                tries=tries,
                last_error=error,
                last_status=503 if error else None,
            )
        )
        db.session.add(
            LatestScore(
                learner_id=who.learner_id,
                resource_link_pk=who.resource_link_pk,
                timestamp_ms=1,
                score_given=3,
                score_maximum=4,
                activity_progress="Completed",
                grading_progress="FullyGraded",
            )
        )
        db.session.commit()


@pytest.fixture
def launched(app: Any, client: Any, platform: Any) -> LaunchedLearner:
    """Grace Hopper (grace@example.edu) launched Module 1 from the test platform."""
    from plugin.extensions import db
    from plugin.lti.models import Learner, ResourceLink

    response = launch(client, platform)
    assert response.status_code in (200, 302, 303), response.text[:300]
    with app.app_context():
        learner = db.session.scalars(db.select(Learner)).one()
        link = db.session.scalars(db.select(ResourceLink)).one()
        return LaunchedLearner(learner.id, link.id, learner.registration_id, response)


@pytest.fixture
def microcred(app: Any, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The `microcred` group with the tool's commands; they build their app from this env."""
    import click

    from plugin.cli import register_commands

    env = {
        "MICROCRED_ENV": "testing",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "MICROCRED_INSTANCE": app_config["INSTANCE_PATH"],
        "SECRET_KEY": app_config["SECRET_KEY"],
        "PUBLIC_URL": app_config["PUBLIC_URL"],
        "REDIS_URL": app_config.get("REDIS_URL", ""),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    group = click.Group("microcred")
    register_commands(group)
    return group


@pytest.fixture
def make_app(app_config: dict[str, Any], backend: str) -> Any:
    """Build extra apps on this test's database (`make_app(SETTING=value)`); cleaned up after."""
    from plugin import create_app
    from plugin.extensions import db
    from tests.conftest import _truncate_all

    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        application = create_app({**app_config, **overrides})
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()
    if made and backend == "postgresql":
        _truncate_all(made[0])
