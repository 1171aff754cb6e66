"""Launch bookkeeping: one statement on PostgreSQL, three on SQLite, the same rows either way."""

from __future__ import annotations

from typing import Any

from plugin.lti import context as c

BASE = {
    "issuer": "https://lms.example.edu",
    "client_id": "tool-1",
    "name": "Example LMS",
    "auth_login_url": "https://lms.example.edu/auth",
    "auth_token_url": "https://lms.example.edu/token",
    "key_set_url": "https://lms.example.edu/jwks",
    "product": "generic",
}


def _claims(**extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": BASE["issuer"],
        "sub": "learner-7",
        "name": "Ada Lovelace",
        "email": "ada@example.edu",
        c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
        c.TARGET_LINK_URI: "http://localhost:5000/lti/launch?target=home",
        c.CONTEXT: {"id": "course-1", "title": "Analysis I", "label": "AN1"},
        c.RESOURCE_LINK: {"id": "link-1", "title": "Week 1"},
    }
    claims.update(extra)
    return claims


def test_launch_records_are_upserted_and_keep_what_a_later_launch_omits(app: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services
    from plugin.lti.models import Context, Learner, ResourceLink
    from plugin.lti.records import upsert_launch_records

    with app.app_context():
        reg = services.create_registration(**BASE, deployment_ids=["d1"])
        db.session.commit()
        dep = services.list_deployments("active")[0]
        first = upsert_launch_records(_claims(), reg.id, dep.id)
        db.session.commit()
        # A privacy-restricted relaunch: no name or e-mail, a renamed course and link.
        restricted = _claims(
            **{c.CONTEXT: {"id": "course-1", "title": "Analysis I (2027)", "label": "AN1"}},
            **{c.RESOURCE_LINK: {"id": "link-1", "title": "Week 1, revised"}},
        )
        del restricted["name"], restricted["email"]
        second = upsert_launch_records(restricted, reg.id, dep.id)
        db.session.commit()
        assert first == second and all(isinstance(i, int) for i in first)
        learner = db.session.get(Learner, first[0])
        assert (learner.name, learner.email) == ("Ada Lovelace", "ada@example.edu")
        assert db.session.get(Context, first[1]).title == "Analysis I (2027)"
        link = db.session.get(ResourceLink, first[2])
        assert (link.title, link.context_pk) == ("Week 1, revised", first[1])


def test_a_launch_without_course_or_link_records_only_the_learner(app: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services
    from plugin.lti.models import ResourceLink
    from plugin.lti.records import upsert_launch_records

    with app.app_context():
        reg = services.create_registration(**BASE, deployment_ids=["d1"])
        db.session.commit()
        dep = services.list_deployments("active")[0]
        claims = _claims(**{c.MESSAGE_TYPE: c.DEEP_LINKING_REQUEST})
        del claims[c.CONTEXT]
        learner, context, link = upsert_launch_records(claims, reg.id, dep.id)
        db.session.commit()
        assert isinstance(learner, int) and context is None and link is None
        courseless = upsert_launch_records(
            _claims(**{c.CONTEXT: None}, sub="learner-8"), reg.id, dep.id
        )
        db.session.commit()
        assert courseless[1] is None
        assert db.session.get(ResourceLink, courseless[2]).context_pk is None
