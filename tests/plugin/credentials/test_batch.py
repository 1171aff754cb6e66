"""Issuing one achievement to a cohort: signed on several processes, inserted in bulk, once
per learner, and every credential verifies."""

from __future__ import annotations

import json
from typing import Any

from plugin.credentials import services
from plugin.credentials.achievements import achievement_for_version
from plugin.credentials.batch import issue_achievement_to
from plugin.credentials.models import Award
from plugin.extensions import db
from tests.plugin.credentials.factories import complete_course, make_learner, publish_sample


def test_batch_awards_each_learner_once_and_all_verify(app: Any) -> None:
    with app.app_context():
        version = publish_sample()
        learners = [make_learner(sub=f"user-{n}", name=f"Learner {n}") for n in range(12)]
        complete_course(learners[0], version)
        first = services.award_for_completion(learners[0].id, version.id)
        db.session.commit()
        achievement = achievement_for_version(version)
        ids = [learner.id for learner in learners]
        result = issue_achievement_to(achievement, ids + ids[:3], workers=2)
        db.session.commit()
        assert (result.created, result.skipped) == (11, 4)
        awards = db.session.query(Award).order_by(Award.learner_id).all()
        assert [a.learner_id for a in awards] == ids
        assert awards[0].public_id == first.public_id  # the earlier award is kept
        indexes = {(a.status_list_id, a.status_index) for a in awards}
        assert len(indexes) == len(awards)
        for award in awards[1:4]:
            assert services.verify_award(award.id).ok
        subject = json.loads(awards[5].credential_json)["credentialSubject"]
        assert {i["identityType"] for i in subject["identifier"]} == {"emailAddress", "ltiUserId"}
        again = issue_achievement_to(achievement, ids, workers=2)
        assert (again.created, again.skipped) == (0, 12)
