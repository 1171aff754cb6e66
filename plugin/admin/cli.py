"""`microcred admin ...`: local accounts for the admin and registrar areas.

Passwords are typed twice at a prompt, or read from standard input with --password-stdin
(for scripts); they are never taken as a command-line argument, which other users could see.
"""

from __future__ import annotations

import sys

import click

from ..cli import with_app
from ..errors import MicrocredError
from ..extensions import db
from .models import ROLES
from .services import (
    create_admin,
    get_admin_by_username,
    list_admins,
    set_admin_active,
    set_password,
)

_STDIN_HELP = "Read the password from the first line of standard input."


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt="Password again")
    return value


def _fail(exc: MicrocredError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(exc.message)


@click.group("admin")
def admin_group() -> None:
    """Accounts for the admin area (/admin) and the registrar area."""


@admin_group.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(ROLES),
    default=("admin",),
    show_default=True,
    help="A role for the account; repeat for both.",
)
@with_app
def create(username: str, password_stdin: bool, roles: tuple[str, ...]) -> None:
    """Create an account named USERNAME."""
    password = _read_password(password_stdin)
    try:
        user = create_admin(username, password, roles)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    db.session.commit()
    click.echo(f"created {user.username} ({', '.join(user.role_list)})")


@admin_group.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@with_app
def set_password_command(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password (signs it out everywhere)."""
    user = get_admin_by_username(username)
    if user is None:
        raise click.ClickException(f"no account named {username!r}")
    try:
        set_password(user, _read_password(password_stdin))
    except MicrocredError as exc:
        raise _fail(exc) from exc
    db.session.commit()
    click.echo(f"password changed for {user.username}")


@admin_group.command("disable")
@click.argument("username")
@with_app
def disable(username: str) -> None:
    """Stop USERNAME from signing in; its open sessions end at their next request."""
    _set_active(username, False)


@admin_group.command("enable")
@click.argument("username")
@with_app
def enable(username: str) -> None:
    """Let USERNAME sign in again."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    user = get_admin_by_username(username)
    if user is None:
        raise click.ClickException(f"no account named {username!r}")
    set_admin_active(user, active)
    db.session.commit()
    click.echo(f"{user.username} {'enabled' if active else 'disabled'}")


@admin_group.command("list")
@with_app
def list_command() -> None:
    """Show every account with its roles, state and last sign-in."""
    users = list_admins()
    if not users:
        click.echo("no accounts yet: microcred admin create USERNAME")
    for user in users:
        seen = user.last_sign_in_at
        last = seen.strftime("%Y-%m-%d %H:%M UTC") if seen else "never"
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{','.join(user.role_list)}\t{state}\tlast sign-in {last}")


def register(group: click.Group) -> None:
    """Add `microcred admin` to the command group."""
    group.add_command(admin_group)
