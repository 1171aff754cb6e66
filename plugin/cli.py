"""The tool's commands, added to the `microcred` command through an entry point.

Each feature with commands has a `cli.py` exposing `register(group)`; this module lists them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click
from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])

#: Feature modules whose `register(group)` adds commands.
CLI_MODULES: tuple[str, ...] = (
    "plugin.lti.cli",
    "plugin.admin.cli",
    "plugin.catalog.cli",
    "plugin.gradebook.cli",
    "plugin.ops.cli",
    "plugin.credentials.cli",
    "plugin.registrar.cli",
)


@contextmanager
def app_context() -> Iterator[Flask]:
    """An app built from the environment, with its context pushed; config errors are printed."""
    from . import create_app
    from .errors import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    with app.app_context():
        yield app


def with_app(fn: F) -> F:
    """Run a command inside an app context."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with app_context():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the tool with Flask's server (use gunicorn in production: docs/deployment.md)."""
    with app_context() as app:
        pass
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@with_app
def db_upgrade() -> None:
    """Apply every migration not yet applied (forward only)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("database is up to date")


def register_commands(group: click.Group) -> None:
    """Entry point `microcred.commands`: add the tool's commands to `microcred`."""
    group.add_command(serve)
    group.add_command(db_group)
    for name in CLI_MODULES:
        importlib.import_module(name).register(group)
