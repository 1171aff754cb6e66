"""Approving and disabling deployments from the admin area."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .helpers import csrf_from


def _add_deployment(app: Any, reg_id: int, deployment_id: str, status: str) -> int:
    from plugin.extensions import db
    from plugin.lti import services as lti

    with app.app_context():
        reg = lti.get_registration(reg_id)
        dep = lti.add_deployment(reg, deployment_id, status=status)
        db.session.commit()
        return dep.id


def _status(app: Any, dep_pk: int) -> tuple[str, bool]:
    from plugin.extensions import db
    from plugin.lti.models import Deployment

    with app.app_context():
        dep = db.session.get(Deployment, dep_pk)
        return dep.status, dep.decided_at is not None


def test_pending_deployments_are_listed_and_approved(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    reg_id = make_registration(name="Campus Canvas")
    dep_pk = _add_deployment(app, reg_id, "2:4dde05e8ca19", "pending")
    assert _status(app, dep_pk) == ("pending", False)

    page = admin_client.get("/admin/deployments").text
    assert "Waiting for approval (1)" in page
    assert "2:4dde05e8ca19" in page
    # Each button names its row for screen readers.
    assert '"visually-hidden"> deployment 2:4dde05e8ca19 of Campus Canvas' in page
    assert "1</span> deployments waiting" in admin_client.get("/admin/").text

    response = admin_client.post(
        f"/admin/deployments/{dep_pk}/approve", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert _status(app, dep_pk) == ("active", True)
    after = admin_client.get("/admin/deployments").text
    assert "Deployment 2:4dde05e8ca19 of Campus Canvas is approved." in after
    assert "Waiting for approval (0)" in after


def test_an_active_deployment_can_be_disabled_and_approved_again(
    app: Any, admin_client: Any, make_registration: Callable[..., int]
) -> None:
    dep_pk = _add_deployment(app, make_registration(), "1", "active")
    token = csrf_from(admin_client.get("/admin/deployments").text)
    admin_client.post(f"/admin/deployments/{dep_pk}/disable", data={"csrf_token": token})
    assert _status(app, dep_pk)[0] == "disabled"
    assert "Disabled (1)" in admin_client.get("/admin/deployments").text
    admin_client.post(f"/admin/deployments/{dep_pk}/approve", data={"csrf_token": token})
    assert _status(app, dep_pk)[0] == "active"


def test_unknown_deployment_is_not_found(admin_client: Any) -> None:
    token = csrf_from(admin_client.get("/admin/deployments").text)
    response = admin_client.post("/admin/deployments/999/approve", data={"csrf_token": token})
    assert response.status_code == 404
