"""Repeated launches skip the database (plugin.lti.recordcache) without ever showing stale data:
what the LMS sends last is what the tool keeps, an erased learner comes back as a new one, and a
removed registration's records are never reused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from plugin.lti.models import Context, Learner, ResourceLink
from tests.plugin.lti.helpers import CLAIM, TARGET, count


def _launch(client: Any, platform: Any, **overrides: Any) -> Any:
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET, **overrides)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def _session_ids(client: Any, response: Any) -> tuple[Any, ...]:
    """The learner, context and resource link ids the launched session carries."""
    from plugin.lti.session import get_launch

    with client.application.test_request_context(response.headers["Content-Location"]):
        ctx = get_launch()
        assert ctx is not None
        return ctx.learner_id, ctx.context_pk, ctx.resource_link_pk


@contextmanager
def _writes(app: Any) -> Iterator[list[str]]:
    """The INSERT and UPDATE statements the block sends to the database."""
    from plugin.extensions import db

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH")):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_a_repeated_launch_reuses_its_records_and_writes_nothing(
    app: Any, client: Any, platform: Any
) -> None:
    first = _session_ids(client, _launch(client, platform))
    with _writes(app) as writes:
        again = _session_ids(client, _launch(client, platform))
    assert again == first
    assert writes == []
    assert (count(app, Learner), count(app, Context), count(app, ResourceLink)) == (1, 1, 1)


def test_what_the_lms_sends_last_is_kept_across_courses(
    app: Any, client: Any, platform: Any
) -> None:
    from plugin.extensions import db

    other_course = {CLAIM + "context": {"id": "course-2", "title": "Databases"}}
    other_link = {CLAIM + "resource_link": {"id": "link-2", "title": "Module 2"}}
    _launch(client, platform)  # Grace Hopper in course 1
    _launch(client, platform, name="Grace B. Hopper", **other_course, **other_link)
    _launch(client, platform)  # course 1 again, the old name: the newest launch wins
    renamed_link = {CLAIM + "resource_link": {"id": "link-1", "title": "Module 1, revised"}}
    _launch(client, platform, **renamed_link)
    with app.app_context():
        learner = db.session.execute(db.select(Learner)).scalar_one()
        titles = {
            link.resource_link_id: link.title
            for link in db.session.scalars(db.select(ResourceLink))
        }
    assert learner.name == "Grace Hopper"
    assert titles == {"link-1": "Module 1, revised", "link-2": "Module 2"}


def test_an_erased_learner_launches_as_a_new_learner(app: Any, client: Any, platform: Any) -> None:
    from plugin.extensions import db
    from plugin.ops.privacy import erase_learner, is_erased

    before, _, _ = _session_ids(client, _launch(client, platform))
    with app.app_context():
        erase_learner(before, actor="test admin")
        db.session.commit()
    after, _, _ = _session_ids(client, _launch(client, platform))
    assert after != before
    with app.app_context():
        assert is_erased(before) and not is_erased(after)
        assert db.session.get(Learner, after).name == "Grace Hopper"


def test_records_are_written_again_after_registrations_change(
    app: Any, client: Any, platform: Any
) -> None:
    from plugin.lti import regcache

    _launch(client, platform)
    with app.test_request_context():
        regcache.invalidate()  # what every registration or deployment change does
    with _writes(app) as writes:
        _launch(client, platform)
    assert writes  # a new generation matches no cached record: the launch upserts again
