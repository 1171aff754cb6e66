"""End to end through the learning pages: a learner launched from a platform answers the tiny
course's quizzes; the completion the learning feature announces earns a verified credential."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.plugin.learning.helpers import attempt_form, open_module, publish_tiny


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["RATE_LIMITS_ENABLED"] = "false"  # many launches from one address
    return app_config


def _finish(client: Any, location: str, token: str, answers: dict[str, str]) -> None:
    page = client.get(location).get_data(as_text=True)
    for quiz_id, label in answers.items():
        action, options = attempt_form(page, quiz_id)
        response = client.post(
            action, data={"mc_session": token, f"a.{quiz_id}": options.get(label, label)}
        )
        assert response.status_code == 303


def test_finishing_the_course_in_the_pages_earns_a_credential(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from plugin.credentials import services
    from plugin.credentials.models import Award
    from plugin.extensions import db

    publish_tiny(app, tmp_path)
    mean, token = open_module(client, platform)
    _finish(client, mean, token, {"mean-calc": "4", "mean-outlier": "true"})
    with app.app_context():
        assert db.session.query(Award).count() == 0  # one module of two: not yet
    median, token2 = open_module(client, platform, "02-median")
    _finish(client, median, token2, {"median-calc": "3"})

    with app.app_context():
        award = db.session.query(Award).one()
        assert award.achievement_id == "tiny-stats" and award.score == 1.0
        credential = json.loads(award.credential_json)
        assert credential["name"] == "Tiny Statistics"
        assert len(credential["evidence"]) == 3  # the graded attempts
        assert services.verify_award(award.id).ok
    wallet = client.get(f"/credentials/wallet?mc_session={token2}").get_data(as_text=True)
    assert "Tiny Statistics" in wallet and "score 100.0%" in wallet
