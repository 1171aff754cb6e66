"""Nobody but a registrar sees a registrar page or export, and refused requests change nothing:
students, instructors (LTI launches), anonymous visitors and admin accounts without the role."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.plugin.admin.helpers import Account, sign_in
from tests.plugin.lti.helpers import CLAIM, INSTITUTION, MEMBERSHIP, landed_on

from .conftest import world_context

TARGET = "http://localhost:5000/lti/launch?target=registrar"
TABLES = (
    "pathways",
    "pathway_members",
    "credit_cases",
    "credit_decisions",
    "export_batches",
    "sis_templates",
    "registrar_roles",
)


@pytest.fixture
def ids(app: Any) -> dict[str, int]:
    """A pathway with one approved, exported case and one pending case; the ids of each."""
    with world_context(app) as world:
        return _build(world)


def _build(world: Any) -> dict[str, int]:
    from plugin.extensions import db
    from plugin.registrar import cases, exports

    pathway = world.pathway()
    first, second = world.learner("First"), world.learner("Second")
    world.complete(first)
    world.complete(second)
    cases.refresh_pathway(pathway)
    case_ids = sorted(db.session.scalars(sa.text("SELECT id FROM credit_cases")))
    cases.decide(cases.get_case(case_ids[0]), "approve", "meets-requirements", "", "account:r")
    template = exports.list_templates()[0]
    batch = exports.create_batch(template, "account:r")
    db.session.commit()
    return {
        "pathway": pathway.id,
        "case": case_ids[1],
        "done": case_ids[0],
        "batch": batch.id,
        "template": template.id,
    }


def _pages(i: dict[str, int]) -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    gets = [
        "/registrar/",
        f"/registrar/cases/{i['case']}",
        f"/registrar/cases/{i['done']}/clr.json",
        "/registrar/pathways",
        f"/registrar/pathways/{i['pathway']}",
        f"/registrar/pathways/{i['pathway']}/charts",
        "/registrar/exports/",
        f"/registrar/exports/{i['batch']}.csv",
        f"/registrar/templates/{i['template']}",
        "/registrar/templates/new",
        "/registrar/roles",
    ]
    posts = [
        (
            f"/registrar/cases/{i['case']}/decide",
            {"action": "approve", "reason_code": "meets-requirements"},
        ),
        ("/registrar/pathways/import", {"program_text": "id: x\n"}),
        (f"/registrar/pathways/{i['pathway']}", {"title": "Hacked", "credit_hours": "99"}),
        (f"/registrar/pathways/{i['pathway']}/refresh", {}),
        ("/registrar/exports/", {"template_id": str(i["template"])}),
        (f"/registrar/exports/{i['batch']}/posted", {}),
        (f"/registrar/templates/{i['template']}", {"name": "X", "columns": "A = name"}),
        ("/registrar/roles", {"role": INSTITUTION + "Student"}),
    ]
    return gets, posts


def _snapshot(app: Any) -> dict[str, list[Any]]:
    from plugin.extensions import db

    with app.app_context():
        return {
            t: [tuple(r) for r in db.session.execute(sa.text(f"SELECT * FROM {t} ORDER BY id"))]
            for t in TABLES
        }


def _launch(client: Any, platform: Any, roles: list[str]) -> str:
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET, **{CLAIM + "roles": roles})
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    match = re.search(r"mc_session=([^&]+)", landed_on(response, status=None))
    assert match
    return match.group(1)


def _assert_refused_everywhere(
    app: Any, client: Any, ids: dict[str, int], token: str | None, anonymous: bool = False
) -> None:
    before = _snapshot(app)
    gets, posts = _pages(ids)
    extra = {"mc_session": token} if token else {}
    for path in gets:
        response = client.get(path, query_string=extra)
        if anonymous or path == "/registrar/roles":  # the admins' page sends to sign-in
            assert response.status_code == 302, path
            assert "/admin/sign-in" in response.headers["Location"]
        else:
            assert response.status_code == 403, (path, response.status_code)
        body = response.get_data(as_text=True)
        assert "First" not in body and "SPRIDEN_ID" not in body and "ClrCredential" not in body
    for path, data in posts:
        response = client.post(path, data={**data, **extra})
        assert response.status_code in (302, 400, 403), (path, response.status_code)
        if response.status_code == 302:
            assert "/admin/sign-in" in response.headers["Location"]
    assert _snapshot(app) == before


@pytest.mark.parametrize("role", ["Learner", "Instructor"])
def test_students_and_instructors_are_refused(
    app: Any, platform: Any, ids: dict[str, int], role: str
) -> None:
    client = app.test_client()
    token = _launch(client, platform, [MEMBERSHIP + role, INSTITUTION + "Faculty"])
    _assert_refused_everywhere(app, client, ids, token)


def test_anonymous_visitors_are_refused(app: Any, ids: dict[str, int]) -> None:
    _assert_refused_everywhere(app, app.test_client(), ids, None, anonymous=True)


def test_admin_without_the_registrar_role_is_refused(
    app: Any, ids: dict[str, int], make_account: Callable[..., Account]
) -> None:
    account = make_account(roles=("admin",))
    client = app.test_client()
    assert sign_in(client, account.username, account.password).status_code == 302
    before = _snapshot(app)
    gets, _ = _pages(ids)
    for path in gets[:-1]:  # the role mapping page is the admins' own
        assert client.get(path).status_code == 403, path
    assert client.get("/registrar/roles").status_code == 200
    assert _snapshot(app) == before


def test_a_mapped_lti_role_opens_the_registrar_area(
    app: Any, platform: Any, ids: dict[str, int]
) -> None:
    client = app.test_client()
    staff = [INSTITUTION + "Staff"]
    token = _launch(client, platform, staff)
    assert client.get("/registrar/", query_string={"mc_session": token}).status_code == 403
    with app.app_context():
        from plugin.extensions import db
        from plugin.registrar.access import map_role

        map_role(staff[0], "account:admin")
        db.session.commit()
    token = _launch(client, platform, staff)
    page = client.get("/registrar/", query_string={"mc_session": token, "status": "any"})
    assert page.status_code == 200
    assert "First" in page.get_data(as_text=True) or "Second" in page.get_data(as_text=True)
    # A state-changing request from the launch carries the session token, no cookie needed.
    fresh = app.test_client()
    response = fresh.post(
        f"/registrar/cases/{ids['case']}/decide",
        data={"mc_session": token, "action": "approve", "reason_code": "meets-requirements"},
    )
    assert response.status_code == 303
    with app.app_context():
        from plugin.registrar.cases import decision_log

        assert decision_log(ids["case"])[-1].decided_by.startswith("lti:")


def test_a_registrar_form_without_its_csrf_token_is_refused(
    app: Any, ids: dict[str, int], registrar_client: Any
) -> None:
    before = _snapshot(app)
    response = registrar_client.post(
        f"/registrar/cases/{ids['case']}/decide",
        data={"action": "approve", "reason_code": "meets-requirements"},
    )
    assert response.status_code == 400 and "CSRF" in response.text
    assert _snapshot(app) == before
