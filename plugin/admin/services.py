"""Admin accounts: create, authenticate (same cost whether or not the user exists), change password.

Services flush and never commit; the caller (a view or a command) commits once.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from functools import lru_cache

from werkzeug.security import check_password_hash, generate_password_hash

from ..db import utcnow
from ..errors import ConflictError, ValidationError
from ..extensions import db
from .models import ROLES, AdminUser

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte on every attempt would be a cheap denial of service
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,79}$")


def normalize_username(username: str) -> str:
    """The stored form of a username: trimmed and lower-case."""
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise ValidationError(
            "A username is 2 to 80 characters: letters, digits and . _ @ + -, "
            "starting with a letter or digit"
        )
    return name


def check_password_rules(password: str) -> None:
    """Raise ValidationError when `password` is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"A password can have at most {MAX_PASSWORD_LENGTH} characters")


def _check_roles(roles: Iterable[str]) -> str:
    wanted = {r.strip().lower() for r in roles if r.strip()}
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise ValidationError(f"Unknown role {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not wanted:
        raise ValidationError(f"An account needs at least one role ({', '.join(ROLES)})")
    return " ".join(r for r in ROLES if r in wanted)


def get_admin(user_id: int) -> AdminUser | None:
    """The account with this id, or None."""
    return db.session.get(AdminUser, user_id)


def get_admin_by_username(username: str) -> AdminUser | None:
    """The account with this username (any case), or None."""
    name = normalize_username(username)
    return db.session.execute(
        db.select(AdminUser).where(AdminUser.username == name)
    ).scalar_one_or_none()


def list_admins() -> list[AdminUser]:
    """Every account, by username."""
    return list(db.session.execute(db.select(AdminUser).order_by(AdminUser.username)).scalars())


def create_admin(
    username: str, password: str, roles: Iterable[str] = ("admin",), *, active: bool = True
) -> AdminUser:
    """Add an account; ValidationError for a bad name, password or role, ConflictError if taken."""
    name = _check_username(username)
    check_password_rules(password)
    role_text = _check_roles(roles)
    if get_admin_by_username(name) is not None:
        raise ConflictError(f"An account named {name!r} already exists")
    user = AdminUser(
        username=name,
        password_hash=generate_password_hash(password),
        roles=role_text,
        active=active,
    )
    db.session.add(user)
    db.session.flush()
    log.info("admin account %s created with roles %s", name, role_text)
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Checked when the username is unknown, so that answer takes as long as a wrong password.
    return generate_password_hash(secrets.token_urlsafe(32))


def authenticate(username: str, password: str) -> AdminUser | None:
    """The active account whose password this is, or None (same work for unknown users).

    A successful call records the sign-in time.
    """
    password = password[: MAX_PASSWORD_LENGTH + 1]
    user = get_admin_by_username(username) if username.strip() else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if not user.active:
        log.info("sign-in refused for inactive admin account %s", user.username)
        return None
    user.last_sign_in_at = utcnow()
    db.session.flush()
    return user


def set_password(user: AdminUser, new_password: str) -> None:
    """Replace the password (an operator's reset); signs the account out everywhere."""
    check_password_rules(new_password)
    user.password_hash = generate_password_hash(new_password)
    db.session.flush()
    log.info("password changed for admin account %s", user.username)


def change_password(user: AdminUser, current_password: str, new_password: str) -> None:
    """The account holder's own change: the current password must be right."""
    if not check_password_hash(user.password_hash, current_password[: MAX_PASSWORD_LENGTH + 1]):
        raise ValidationError("The current password is not right")
    if current_password == new_password:
        raise ValidationError("The new password must differ from the current one")
    set_password(user, new_password)


def set_admin_active(user: AdminUser, active: bool) -> None:
    """Allow or stop sign-in for an account; its open sessions end at their next request."""
    user.active = active
    db.session.flush()
    log.info("admin account %s %s", user.username, "enabled" if active else "disabled")
