"""Signal listeners: a newly issued course credential may complete a pathway for its learner,
who then gets the certificate, the CLR and a place in the review queue at once."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .. import signals
from ..extensions import db

log = logging.getLogger(__name__)


def on_award_issued(sender: Flask, award_id: int, **_: Any) -> None:
    """Check the pathways of a new course award in its own transaction; a failure is logged
    and caught up by the next eligibility run (`microcred pathway eligibility`)."""
    from ..credentials import services
    from ..credentials.listeners import announce
    from ..credentials.models import Award
    from .cases import refresh_learner

    if "registrar" not in sender.blueprints:
        return
    try:
        award = db.session.get(Award, award_id)
        if award is None or award.kind != "course":
            return
        opened = refresh_learner(award.learner_id, award.achievement_id)
        created = services.new_awards()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("pathways for award %s could not be checked", award_id)
        return
    if opened:
        announce(sender, created)  # the certificates, for anyone else listening


def connect() -> None:
    """Listen for new awards (once per process; every app shares the listener)."""
    signals.award_issued.connect(on_award_issued, weak=False)
    signals.learner_erasing.connect(on_learner_erasing, weak=False)


def on_learner_erasing(sender: Flask, learner_id: int, personal: dict[str, Any], **_: Any) -> None:
    """Remove an erased learner's name, e-mail and LMS id from frozen SIS export batches."""
    from .exports import redact_learner

    redact_learner(learner_id, personal)
