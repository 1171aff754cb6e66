"""Signal listeners: a completed course earns its award, committed, then `award_issued`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .. import signals
from ..extensions import db

logger = logging.getLogger(__name__)


def on_course_completed(sender: Flask, learner_id: int, course_version_id: int, **_: Any) -> None:
    """Issue the award in its own transaction; a failure is logged, never lost for good: the
    wallet page issues awards that completed enrollments are still missing."""
    from . import services

    if "credentials" not in sender.blueprints:
        return
    try:
        services.award_for_completion(learner_id, course_version_id)
        created = services.new_awards()
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception(
            "award for learner %s, course version %s failed", learner_id, course_version_id
        )
        return
    announce(sender, created)


def announce(app: Flask, award_ids: list[int]) -> None:
    """Send `award_issued` for awards just committed."""
    for award_id in award_ids:
        signals.award_issued.send(app, award_id=award_id)


def connect() -> None:
    """Listen for course completions (once per process; every app shares the listener)."""
    signals.course_completed.connect(on_course_completed, weak=False)
