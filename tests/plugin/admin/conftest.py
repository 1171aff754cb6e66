"""Fixtures for the admin area: accounts, signed-in clients, CSRF tokens read from real pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .helpers import PASSWORD, Account, sign_in, unique_name


@pytest.fixture(scope="session")
def password_hash() -> str:
    """The hash of PASSWORD, made once: hashing is slow on purpose, and tests make many accounts."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD)


@pytest.fixture
def make_account(app: Any, password_hash: str) -> Callable[..., Account]:
    """Create an account and commit it (through create_admin unless it has the usual password)."""
    from plugin.admin.models import AdminUser
    from plugin.admin.services import create_admin
    from plugin.extensions import db

    def make(
        username: str | None = None,
        password: str = PASSWORD,
        roles: tuple[str, ...] = ("admin",),
        active: bool = True,
    ) -> Account:
        name = username or unique_name()
        with app.app_context():
            if password == PASSWORD:
                user = AdminUser(
                    username=name, password_hash=password_hash, roles=" ".join(roles), active=active
                )
                db.session.add(user)
            else:
                user = create_admin(name, password, roles, active=active)
            db.session.commit()
            return Account(user.id, user.username, password)

    return make


@pytest.fixture
def admin_account(make_account: Callable[..., Account]) -> Account:
    return make_account()


@pytest.fixture
def admin_client(client: Any, admin_account: Account) -> Any:
    """A test client signed in with the admin role."""
    response = sign_in(client, admin_account.username, admin_account.password)
    assert response.status_code == 302
    return client


@pytest.fixture
def registrar_client(app: Any, make_account: Callable[..., Account]) -> Any:
    """A separate client signed in with only the registrar role."""
    account = make_account(roles=("registrar",))
    other = app.test_client()
    assert sign_in(other, account.username, account.password).status_code == 302
    return other


@pytest.fixture
def make_registration(app: Any) -> Callable[..., int]:
    """Create a registration through the LTI service; returns its id."""
    from plugin.extensions import db
    from plugin.lti import services as lti

    def make(**overrides: Any) -> int:
        fields: dict[str, Any] = {
            "issuer": "https://moodle.example.edu",
            "client_id": unique_name("client"),
            "name": "Example Moodle",
            "product": "moodle",
            "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
            "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
            "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
        }
        fields.update(overrides)
        with app.app_context():
            reg = lti.create_registration(**fields)
            db.session.commit()
            return reg.id

    return make
