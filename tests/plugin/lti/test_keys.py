"""Tool keys: made at first need, published with kid/alg/use, rotated with an overlap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from plugin.db import utcnow


def test_jwks_makes_the_first_key(app: Any, client: Any) -> None:
    response = client.get("/lti/jwks")
    assert response.status_code == 200 and response.mimetype == "application/json"
    [key] = response.get_json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert "d" not in key and "p" not in key  # public parts only
    assert client.get("/lti/jwks").get_json()["keys"] == [key]  # stable


def test_kid_matches_pylti1p3(app: Any) -> None:
    from plugin.lti.keys import current_tool_key
    from plugin.lti.models import Registration
    from plugin.lti.toolconf import to_pylti_registration

    with app.app_context():
        key = current_tool_key()
        reg = Registration(
            issuer="https://lms.example",
            client_id="c",
            auth_login_url="https://lms.example/auth",
            auth_token_url="https://lms.example/token",
            key_set_url="https://lms.example/jwks",
        )
        assert to_pylti_registration(reg).get_kid() == key.kid


def test_rotation_keeps_the_old_key_published(app: Any, client: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services
    from plugin.lti.keys import sign_jwt

    with app.app_context():
        old = services.jwks()["keys"][0]["kid"]
        new = services.rotate_tool_key()
        db.session.commit()
        assert new.kid != old
        token = sign_jwt({"hello": "world"})
        keys = services.list_tool_keys()
        retired = next(k for k in keys if k.kid == old)
        assert not retired.current and retired.retire_at is not None
        overlap = retired.retire_at - utcnow()
        assert timedelta(days=6, hours=23) < overlap <= timedelta(days=7)
    published = {k["kid"]: k for k in client.get("/lti/jwks").get_json()["keys"]}
    assert set(published) == {old, new.kid}
    assert jwt.get_unverified_header(token)["kid"] == new.kid
    jwt.decode(token, RSAAlgorithm.from_jwk(published[new.kid]), algorithms=["RS256"])
    # After the overlap the old key disappears.
    with app.app_context():
        retired = next(k for k in services.list_tool_keys() if k.kid == old)
        retired.retire_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]] == [new.kid]


def test_private_key_never_in_repr(app: Any) -> None:
    from plugin.lti.keys import current_tool_key

    with app.app_context():
        key = current_tool_key()
        assert "PRIVATE" not in repr(key) and "PRIVATE" in key.private_key_pem
