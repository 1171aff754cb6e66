"""Listing and rotating the tool's signing keys from the admin area."""

from __future__ import annotations

from typing import Any

from .helpers import csrf_from


def _keys(app: Any) -> list[tuple[str, bool, bool]]:
    from plugin.lti import services as lti

    with app.app_context():
        return [(k.kid, k.current, k.retire_at is not None) for k in lti.list_tool_keys()]


def test_rotation_needs_the_confirmation_box(app: Any, admin_client: Any) -> None:
    page = admin_client.get("/admin/keys")
    assert "No key yet" in page.text
    response = admin_client.post("/admin/keys", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "Tick the box to confirm the rotation" in response.text
    assert 'aria-describedby="confirm-error"' in response.text
    assert _keys(app) == []


def test_rotation_makes_a_new_current_key_and_keeps_the_old_one_published(
    app: Any, admin_client: Any
) -> None:
    from plugin.extensions import db
    from plugin.lti.keys import current_tool_key

    with app.app_context():
        first = current_tool_key().kid
        db.session.commit()

    token = csrf_from(admin_client.get("/admin/keys").text)
    response = admin_client.post("/admin/keys", data={"csrf_token": token, "confirm": "y"})
    assert response.status_code == 302
    keys = _keys(app)
    assert len(keys) == 2
    new = next(kid for kid, current, _ in keys if current)
    assert new != first
    assert (first, False, True) in keys

    page = admin_client.get("/admin/keys").text
    assert f"The new key {new} signs from now on" in page
    assert "stays published for 7 days" in page
    assert first in page and new in page
    assert "Current: signs now" in page
    assert "Published until it retires" in page

    with app.app_context():
        from plugin.lti import services as lti

        published = {k["kid"] for k in lti.jwks()["keys"]}
    assert published == {first, new}
