"""The delivery worker: claims due outbox rows and sends them to the LMS over AGS.

`microcred worker` runs `Worker.run_forever`; several may run at once. `make run` starts one as
a thread of the web process (`start_worker_thread`, when START_WORKER is on).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from flask import Flask

from ..errors import ServiceUnavailable
from ..extensions import db
from ..lti.models import Registration
from ..web import get_store
from .ags import LineItemTarget, ScoreMessage, forget_line_item, post_score, resolve_line_item
from .http import PlatformBusy, ServiceCallError, pause_platform, paused_until
from .outbox import ClaimedScore, Outcome, claim_batch, finish_many
from .services import format_timestamp
from .settings import GradebookSettings, gradebook_settings
from .tokens import Platform

log = logging.getLogger(__name__)
#: Outcomes are written together once this many are in, or this many seconds passed.
RECORD_EVERY = 50
RECORD_SECONDS = 0.5


@dataclass
class WorkerStats:
    """What a worker did: rows claimed and what became of them."""

    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, result: str) -> None:
        self.outcomes[result] = self.outcomes.get(result, 0) + 1

    @property
    def delivered(self) -> int:
        return self.outcomes.get("delivered", 0)

    def summary(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
        return f"{self.claimed} claimed" + (f": {parts}" if parts else "")


def new_worker_id() -> str:
    """host:pid:random, so leases say who holds them."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def deliver(
    item: ClaimedScore, platform: Platform | None, lease_left: float, settings: GradebookSettings
) -> Outcome:
    """Try to deliver one claimed score; never raises."""
    if lease_left < settings.call_budget:
        return Outcome("released", "the lease is nearly over")
    if platform is None or not platform.active:
        return Outcome("failed", "The LMS registration of this score is disabled or deleted.")
    try:
        paused = paused_until(get_store(), platform.registration_id)
    except ServiceUnavailable as exc:  # Redis down: give the row back now, not after the lease
        return Outcome("released", str(exc), delay=5.0)
    if paused is not None:
        return Outcome("released", "the LMS asked us to wait", delay=paused - time.time())
    target = LineItemTarget(
        item.resource_link_id,
        item.lineitem_url,
        item.lineitems_url,
        item.resource_id,
        item.tag,
        item.label,
        item.score_maximum,
    )
    try:
        url = resolve_line_item(platform, target)
        post_score(
            platform,
            url,
            ScoreMessage(
                user_id=item.user_sub,
                score_given=item.score_given,
                score_maximum=item.score_maximum,
                activity_progress=item.activity_progress,
                grading_progress=item.grading_progress,
                timestamp=format_timestamp(item.timestamp_ms),
                comment=item.comment,
            ),
        )
    except PlatformBusy as exc:
        return Outcome("released", exc.message, delay=exc.delay)
    except ServiceCallError as exc:
        transient = exc.transient
        if exc.http_status == 429 and exc.retry_after:
            try:
                pause_platform(
                    get_store(),
                    platform.registration_id,
                    min(exc.retry_after, settings.retry_after_max),
                )
            except ServiceUnavailable:
                log.warning("could not record the LMS's Retry-After: the store is down")
        if exc.http_status == 404 and not item.lineitem_url:
            forget_line_item(platform, target)  # the column was deleted: find or make it anew
            transient = True
        return Outcome(
            "retry" if transient else "failed", exc.message, exc.http_status, exc.retry_after
        )
    except Exception as exc:  # a bug or an unexpected answer must not stop the worker
        log.exception("delivering score %s failed unexpectedly", item.id)
        return Outcome("retry", f"unexpected error: {type(exc).__name__}")
    return Outcome("delivered")


class Worker:
    """Claims batches and delivers them with a pool of threads."""

    def __init__(
        self,
        app: Flask,
        *,
        batch: int | None = None,
        threads: int | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.app = app
        self.settings = gradebook_settings(app)
        self.batch = batch or self.settings.batch
        self.threads = threads or self.settings.worker_threads
        self.worker_id = worker_id or new_worker_id()
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _platforms(self, items: list[ClaimedScore]) -> dict[int, Platform]:
        ids = {i.registration_id for i in items}
        with self.app.app_context():
            rows = db.session.execute(
                db.select(Registration).where(Registration.id.in_(ids))
            ).scalars()
            platforms = {reg.id: Platform.of(reg) for reg in rows}
            db.session.remove()
        return platforms

    def _run_one(
        self, item: ClaimedScore, platform: Platform | None, lease_end: float
    ) -> tuple[ClaimedScore, Outcome]:
        with self.app.app_context():
            try:
                return item, deliver(item, platform, lease_end - time.monotonic(), self.settings)
            finally:
                db.session.remove()  # never hold a connection (or a SQLite lock) while calling

    def _record(self, done: list[tuple[ClaimedScore, Outcome]], stats: WorkerStats) -> None:
        with self.app.app_context():
            for result in finish_many(done, self.worker_id, self.settings):
                stats.add(result)
        done.clear()

    def run_batch(self) -> WorkerStats:
        """Claim one batch and deliver it; the stats say how many rows were claimed.

        Outcomes are recorded a few at a time, each group in one transaction: a commit per
        row would make the database, not the LMS, the limit of delivery.
        """
        stats = WorkerStats()
        with self.app.app_context():
            items = claim_batch(self.worker_id, self.batch, self.settings.lease_seconds)
        lease_end = time.monotonic() + self.settings.lease_seconds
        stats.claimed = len(items)
        if not items:
            return stats
        platforms = self._platforms(items)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="grade-delivery")
        futures = [
            self._pool.submit(self._run_one, item, platforms.get(item.registration_id), lease_end)
            for item in items
        ]
        done: list[tuple[ClaimedScore, Outcome]] = []
        last = time.monotonic()
        for future in as_completed(futures):
            done.append(future.result())
            if len(done) >= RECORD_EVERY or time.monotonic() - last >= RECORD_SECONDS:
                self._record(done, stats)
                last = time.monotonic()
        self._record(done, stats)
        return stats

    def run_once(self) -> WorkerStats:
        """Deliver every row due now (batch after batch), then return."""
        total = WorkerStats()
        while True:
            stats = self.run_batch()
            if not stats.claimed:
                return total
            total.claimed += stats.claimed
            for name, count in stats.outcomes.items():
                total.outcomes[name] = total.outcomes.get(name, 0) + count

    def run_forever(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; sleeps when nothing is due. Errors are logged."""
        log.info("grade delivery worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                stats = self.run_batch()
            except Exception:
                log.exception("grade delivery worker %s: batch failed", self.worker_id)
                stats = WorkerStats()
            if stats.claimed:
                log.info("worker %s: %s", self.worker_id, stats.summary())
            else:
                stop.wait(self.settings.poll_seconds)
        log.info("grade delivery worker %s stopped", self.worker_id)


def start_worker_thread(app: Flask) -> threading.Thread:
    """Start (once per app and process) a daemon thread delivering grades; returns it."""
    with _thread_lock:
        running = app.extensions.get("microcred.gradebook.thread")
        if running is not None and running[0].is_alive() and running[2] == os.getpid():
            return running[0]
        stop = threading.Event()
        worker = Worker(app)

        def run() -> None:
            try:
                worker.run_forever(stop)
            finally:
                worker.close()

        thread = threading.Thread(target=run, name="grade-delivery-worker", daemon=True)
        app.extensions["microcred.gradebook.thread"] = (thread, stop, os.getpid())
        thread.start()
        return thread


def stop_worker_thread(app: Flask, timeout: float = 30) -> None:
    """Ask the app's worker thread to stop after its batch, and wait for it."""
    running = app.extensions.pop("microcred.gradebook.thread", None)
    if running is not None:
        running[1].set()
        running[0].join(timeout)


_thread_lock = threading.Lock()
