"""The evidence page shows, for each member credential, the course version it was earned in and
how many quiz attempts the learner submitted (issue #6)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .conftest import MEMBERS, world_context


def _row(page: str, achievement_id: str) -> str:
    """The credentials-table row of one member credential."""
    rows = [r for r in page.split("<tr>") if f'class="hint">{achievement_id}</span>' in r]
    assert len(rows) == 1, f"no single row for {achievement_id}"
    return rows[0].split("</tr>")[0]


def _cells(row: str) -> list[str]:
    return [c.split("</td>")[0].strip() for c in row.split("<td>")[1:]]


def test_evidence_shows_course_version_and_attempts(app: Any, registrar_client: Any) -> None:
    from plugin.credentials import services
    from plugin.extensions import db
    from plugin.lti.models import Learner
    from plugin.registrar import cases
    from plugin.registrar.models import CreditCase
    from tests.plugin.credentials.factories import complete_course, publish_sample

    with world_context(app) as world:
        learner_id = world.learner("Grace Hopper")
        world.complete(learner_id, MEMBERS[1:])  # two members without a course version
        version = publish_sample("data-spreadsheets")
        learner = db.session.get(Learner, learner_id)
        complete_course(learner, version, (0.6, 0.8, 0.9, 0.95, 0.7))
        award = services.award_for_completion(learner_id, version.id)
        assert award is not None and award.course_version_id == version.id
        db.session.commit()
        assert cases.refresh_pathway(world.pathway()).opened == 1
        case_id = db.session.scalars(
            sa.select(CreditCase.id).where(CreditCase.learner_id == learner_id)
        ).one()
        db.session.commit()

    page = registrar_client.get(f"/registrar/cases/{case_id}")
    assert page.status_code == 200
    earned = _cells(_row(page.text, "data-spreadsheets"))
    # Columns: verification, score, earned, valid until, course version, attempts.
    assert earned[4] == "data-spreadsheets 1.0.0"
    assert earned[5] == "5 (best 95 %)"
    for other in MEMBERS[1:]:
        cells = _cells(_row(page.text, other))
        assert cells[4:] == ["unknown", "0"]
