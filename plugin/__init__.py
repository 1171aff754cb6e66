"""microcred: the LTI 1.3 tool. This module holds the application factory only."""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

#: Feature packages, each with a `views.bp` blueprint and optionally `init_app(app)`.
FEATURES: tuple[str, ...] = (
    "core",
    "lti",
    "admin",
    "catalog",
    "gradebook",
    "learning",
    "ops",
    "credentials",
    "registrar",
)


class MicrocredFlask(Flask):
    """Flask, deciding once per function instead of on every request whether a view or hook is
    a coroutine (Flask asks `inspect` for each of a dozen hooks a request; a launch is three)."""

    _sync: dict[Callable[..., Any], Callable[..., Any]]

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        sync = self.__dict__.setdefault("_sync", {})
        result = sync.get(func)
        if result is None:
            result = super().ensure_sync(func)
            if not inspect.ismethod(func) and len(sync) < 4096:  # views and hooks: a few dozen
                sync[func] = result
        return result


def default_instance_path() -> str:
    return os.environ.get("MICROCRED_INSTANCE") or str(Path.cwd() / "instance")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the tool. `config` overrides environment settings (see plugin/config.py)."""
    from . import web
    from .config import load_settings
    from .extensions import csrf, db, migrate
    from .store import make_store

    config = dict(config or {})
    instance_path = str(config.pop("INSTANCE_PATH", None) or default_instance_path())
    settings = load_settings(config, instance_path)
    app = MicrocredFlask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        TESTING=settings.env == "testing",
        PREFERRED_URL_SCHEME="https" if settings.is_https else "http",
        SESSION_COOKIE_SECURE=settings.is_https,
        SESSION_COOKIE_SAMESITE="Lax",
        MICROCRED=settings,
    )
    # Remaining plain Flask keys in `config` (e.g. WTF_CSRF_ENABLED in tests) pass through.
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    app.extensions["microcred.store"] = make_store(
        settings.redis_url, app.instance_path, _store_namespace(app.config["SECRET_KEY"])
    )
    web.init_app(app)

    for name in FEATURES:
        module = importlib.import_module(f".{name}", __name__)
        if hasattr(module, "init_app"):
            module.init_app(app)
        views = importlib.import_module(f".{name}.views", __name__)
        app.register_blueprint(views.bp)
    return app


def _store_namespace(secret: str | bytes) -> str:
    """A short, non-reversible tag of the installation's secret (see store.make_store)."""
    import hashlib

    raw = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(b"microcred-store:" + raw).hexdigest()[:12]


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"poolclass": _live_pool_class(), "pool_size": 10, "max_overflow": 10}


def _stale_connection_check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """At checkout: an idle connection has nothing to read, so a readable socket means the server
    closed it (restart, admin kill, idle timeout) and the pool takes a fresh one. This replaces
    pool_pre_ping's SELECT 1 round trip on every request with one poll() system call."""
    import select

    from sqlalchemy.exc import DisconnectionError

    if getattr(dbapi_connection, "closed", 0):
        raise DisconnectionError("the database connection was closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise DisconnectionError("the database server ended this idle connection")


def _live_pool_class() -> type:
    """A QueuePool that drops connections the server has ended before handing them out."""
    from sqlalchemy import event
    from sqlalchemy.pool import QueuePool

    class LiveQueuePool(QueuePool):
        # SQLAlchemy names a pool's logger after its class's module: under "plugin" it would
        # inherit the app's INFO level and write "Pool disposed" lines into the app's log.
        _sqla_logger_namespace = "sqlalchemy.pool.impl.QueuePool"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if not event.contains(self, "checkout", _stale_connection_check):
                event.listen(self, "checkout", _stale_connection_check)

    return LiveQueuePool
