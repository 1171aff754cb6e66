"""The dev LMS: a small but real LTI 1.3 platform on its own origin, for development and tests.

It never imports the rest of `plugin`; the LTI standard is the only interface with the tool.
`create_devlms_app(config)` builds it; `add_placement` and `add_tool` set it up from scripts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import api, views
from .config import DEFAULTS, Settings, load_settings, tool_config
from .data import Placement, Tool, get_tool, save_tool, tool_from_mapping
from .errors import DevLmsConfigError
from .keys import ToolKeyCache, ensure_signing_key, rotate_signing_key
from .runtime import DevLms
from .seed import COURSE, USERS, place_from_mapping, seed_defaults, seed_from_settings
from .store import Store

__all__ = [
    "COURSE",
    "DEFAULTS",
    "USERS",
    "DevLms",
    "DevLmsConfigError",
    "Placement",
    "Settings",
    "Tool",
    "add_placement",
    "add_tool",
    "create_devlms_app",
    "get_devlms",
    "rotate_signing_key",
    "tool_config",
]

logger = logging.getLogger(__name__)


def _num(value: float | int | None) -> str:
    """50.0 -> "50", 42.5 -> "42.5" (for scores on pages)."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def create_devlms_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the dev LMS Flask app from DEVLMS_* keys (see `config.DEFAULTS`).

    Opens (or creates) its SQLite file, generates its signing key on first start, seeds the
    course and users, registers DEVLMS_TOOLS and places DEVLMS_PLACEMENTS.
    """
    app = Flask(__name__)
    app.config.update(config or {})
    settings = load_settings(app.config, app.instance_path)
    store = Store(settings.database)
    ensure_signing_key(store)
    seed_defaults(store)
    seed_from_settings(store, settings)
    store.purge_expired()
    app.extensions["devlms"] = DevLms(
        settings=settings, store=store, tool_keys=ToolKeyCache(settings.jwks_cache_seconds)
    )
    app.jinja_env.filters["num"] = _num
    app.jinja_env.globals["urls"] = settings.urls
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    logger.info("dev LMS ready at %s (database %s)", settings.public_url, settings.database)
    return app


def get_devlms(app: Flask) -> DevLms:
    """The DevLms state of a dev LMS app (its settings, store and caches)."""
    devlms: DevLms = app.extensions["devlms"]
    return devlms


def add_tool(app: Flask, tool: Mapping[str, Any]) -> Tool:
    """Register (or replace) a tool from a DEVLMS_TOOLS-shaped mapping."""
    validated = load_settings(
        {"DEVLMS_TOOLS": [tool], "DEVLMS_PUBLIC_URL": get_devlms(app).settings.public_url},
        app.instance_path,
    ).tools
    return save_tool(get_devlms(app).store, tool_from_mapping(validated[0]))


def add_placement(
    app: Flask,
    title: str,
    url: str,
    *,
    custom: Mapping[str, str] | None = None,
    line_item: Mapping[str, Any] | None = None,
    client_id: str | None = None,
    text: str | None = None,
    placement_id: str | None = None,
    context_id: str = COURSE.id,
) -> Placement:
    """Place an activity on the course page (from a setup script).

    `line_item` is {label, scoreMaximum, resourceId, tag} and creates its AGS line item;
    `client_id` defaults to the first registered tool. Idempotent by url (or by `placement_id`).
    """
    store = get_devlms(app).store
    if client_id is None:
        tools = get_devlms(app).settings.tools
        client_id = tools[0]["client_id"] if tools else None
    if client_id is None or get_tool(store, client_id) is None:
        raise ValueError(f"add_placement: no tool {client_id!r} is registered")
    entry: dict[str, Any] = {
        "title": title,
        "url": url,
        "custom": dict(custom or {}),
        "client_id": client_id,
        "context_id": context_id,
    }
    if line_item is not None:
        entry["lineItem"] = dict(line_item)
    if text is not None:
        entry["text"] = text
    if placement_id is not None:
        entry["id"] = placement_id
    return place_from_mapping(store, entry, default_client_id=client_id, source="script")
