"""Admin account services: the rules for names, passwords and roles; authentication."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.errors import ConflictError, ValidationError

from .helpers import unique_name


@pytest.fixture
def ctx(app: Any) -> Any:
    with app.app_context():
        yield app


def test_usernames_are_stored_lower_case_and_unique(ctx: Any) -> None:
    from plugin.admin.services import create_admin, get_admin_by_username

    name = unique_name()
    user = create_admin(f"  {name.upper()} ", "long enough passphrase")
    assert user.username == name
    assert get_admin_by_username(name.title()) is user
    with pytest.raises(ConflictError):
        create_admin(name, "another long passphrase")


@pytest.mark.parametrize("bad", ["", "a", "-starts-with-dash", "has space", "x" * 81])
def test_bad_usernames_are_refused(ctx: Any, bad: str) -> None:
    from plugin.admin.services import create_admin

    with pytest.raises(ValidationError, match="username"):
        create_admin(bad, "long enough passphrase")


def test_roles_are_checked(ctx: Any) -> None:
    from plugin.admin.services import create_admin

    with pytest.raises(ValidationError, match="Unknown role dean"):
        create_admin(unique_name(), "long enough passphrase", ["dean"])
    with pytest.raises(ValidationError, match="at least one role"):
        create_admin(unique_name(), "long enough passphrase", [])
    user = create_admin(unique_name(), "long enough passphrase", ["registrar", "admin"])
    assert user.roles == "admin registrar"
    assert user.has_role("registrar") and user.has_role("admin")


def test_passwords_are_hashed_and_length_checked(ctx: Any) -> None:
    from plugin.admin.services import MAX_PASSWORD_LENGTH, create_admin

    user = create_admin(unique_name(), "long enough passphrase")
    assert "long enough passphrase" not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    with pytest.raises(ValidationError, match="at least 12"):
        create_admin(unique_name(), "too short")
    with pytest.raises(ValidationError, match="at most"):
        create_admin(unique_name(), "x" * (MAX_PASSWORD_LENGTH + 1))


def test_authenticate(ctx: Any) -> None:
    from plugin.admin.services import authenticate, create_admin, set_admin_active

    user = create_admin(unique_name(), "long enough passphrase")
    assert authenticate(user.username, "long enough passphrase") is user
    assert user.last_sign_in_at is not None
    assert authenticate(user.username, "wrong passphrase!!") is None
    assert authenticate("nobody-" + user.username, "long enough passphrase") is None
    set_admin_active(user, False)
    assert authenticate(user.username, "long enough passphrase") is None


def test_unknown_users_cost_one_password_check_like_known_ones(
    ctx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugin.admin import services

    user = services.create_admin(unique_name(), "long enough passphrase")
    services._dummy_hash()  # made once per process, not on the request that first needs it
    calls: list[str] = []
    real = services.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    services.authenticate(user.username, "wrong passphrase!!")
    known = list(calls)
    calls.clear()
    services.authenticate("nobody-at-all", "wrong passphrase!!")
    assert calls == known  # same count, same hash method and cost


def test_change_password(ctx: Any) -> None:
    from plugin.admin.services import authenticate, change_password, create_admin

    user = create_admin(unique_name(), "long enough passphrase")
    with pytest.raises(ValidationError, match="current password"):
        change_password(user, "not it at all", "a brand new passphrase")
    with pytest.raises(ValidationError, match="differ"):
        change_password(user, "long enough passphrase", "long enough passphrase")
    with pytest.raises(ValidationError, match="at least 12"):
        change_password(user, "long enough passphrase", "short")
    change_password(user, "long enough passphrase", "a brand new passphrase")
    assert authenticate(user.username, "a brand new passphrase") is user
    assert authenticate(user.username, "long enough passphrase") is None
