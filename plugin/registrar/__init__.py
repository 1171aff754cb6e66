"""The registrar area: pathways that stack credentials into certificates and degree credit,
eligibility computed set-wise in SQL, a review queue with evidence, immutable decisions, SIS
exports and charts. Blueprint "registrar" at /registrar (views.py)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from . import models  # noqa: F401  (tables join the metadata)

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """The "registrar" launch target, the registrar grant of launches with a mapped role, and
    the listener that checks pathways when a course credential is issued."""
    from ..lti.registry import register_launch_target
    from ..lti.session import lti_url_for
    from ..signals import launch_completed
    from .export_views import bp as exports_bp
    from .listeners import connect

    app.register_blueprint(exports_bp)
    register_launch_target("registrar", lambda ctx: lti_url_for("registrar.index"))
    launch_completed.connect(_on_launch)  # once per process: connecting again is a no-op
    connect()


def _on_launch(sender: Any, context: Any = None, **_: Any) -> None:
    """Give the launch registrar access when its roles include a mapped one."""
    from .access import grant_from_launch

    if context is not None:
        grant_from_launch(context)
