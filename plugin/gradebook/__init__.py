"""Gradebook: the score outbox and its delivery to the LMS (AGS), and the instructor's view.

Other features use `plugin.gradebook.services.enqueue_score(...)` inside the transaction that
grades an attempt. Delivery runs in `microcred worker` processes, or in a thread of the web
process when START_WORKER is on (`make run`). Instructors reach /gradebook from a launch
(launch target "gradebook").
"""

from __future__ import annotations

import logging

from flask import Flask

from . import models  # noqa: F401  (tables join the metadata)

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Validate the delivery settings, add the "gradebook" launch target, and start the worker
    thread with the first request when START_WORKER is on (after any fork of the server)."""
    from flask import url_for

    from ..lti.registry import register_launch_target
    from .settings import gradebook_settings
    from .worker import start_worker_thread

    gradebook_settings(app)
    register_launch_target("gradebook", lambda ctx: url_for("gradebook.overview"))
    if app.config["MICROCRED"].start_worker:

        @app.before_request
        def _start_worker() -> None:
            if "microcred.gradebook.thread" not in app.extensions:
                start_worker_thread(app)
