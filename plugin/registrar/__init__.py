"""The registrar area: pathways that stack credentials into certificates and degree credit,
eligibility computed set-wise in SQL, a review queue with evidence, immutable decisions, SIS
exports and charts. Blueprint "registrar" at /registrar (views.py)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, url_for

from . import models  # noqa: F401  (tables join the metadata)

log = logging.getLogger(__name__)

#: Registrar tables a learner's erasure keeps: the credit case (learner_id, statuses, dates and
#: the signed CLR, which names the learner only by salted hashes or their own DID), its member
#: links and the append-only decision log (staff names, codes and notes). They are the
#: institution's record of credit granted; the learner's name, e-mail and LMS id live only in
#: the learners row, which the erasure blanks.
KEPT_ON_ERASURE = ("credit_cases", "credit_case_awards", "credit_decisions")


def init_app(app: Flask) -> None:
    """The "registrar" launch target, the registrar grant of launches with a mapped role, the
    listener that checks pathways when a course credential is issued, and the tables a
    learner's erasure keeps (KEPT_ON_ERASURE)."""
    from ..lti.registry import register_launch_target
    from ..ops.privacy import keep_on_erasure
    from ..signals import launch_completed
    from .export_views import bp as exports_bp
    from .listeners import connect

    for table in KEPT_ON_ERASURE:
        keep_on_erasure(table)

    app.register_blueprint(exports_bp)
    register_launch_target("registrar", lambda ctx: url_for("registrar.index"))
    launch_completed.connect(_on_launch)  # once per process: connecting again is a no-op
    connect()


def _on_launch(sender: Any, context: Any = None, claims: Any = None, **_: Any) -> None:
    """Give the launch registrar access when its roles include a mapped one."""
    from .access import grant_from_launch

    if context is not None and isinstance(claims, dict):
        grant_from_launch(context, claims)
