"""Watching a running stack: which workers hold outbox rows, and waiting for a condition."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from tests.loadkit.recorder import Sample
from tests.loadkit.stack import Stack

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, interval: float = 0.5) -> T:
    """Call `probe` until it returns something truthy or `timeout` passes; return the last value."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = probe()
    return value


class ClaimWatcher:
    """Samples `outbox_scores.claimed_by` while deliveries run: the workers seen delivering."""

    def __init__(self, stack: Stack, interval: float = 0.05) -> None:
        self.stack = stack
        self.interval = interval
        self.workers: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-watcher", daemon=True)

    def _run(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.stack.database_url, pool_size=1)
        try:
            while not self._stop.wait(self.interval):
                try:
                    with engine.connect() as conn:
                        rows = conn.execute(
                            sa.text(
                                "SELECT DISTINCT claimed_by FROM outbox_scores"
                                " WHERE claimed_by IS NOT NULL"
                            )
                        )
                        self.workers.update(str(r[0]) for r in rows)
                except sa.exc.OperationalError:
                    continue  # a fault test may have the database down
        finally:
            engine.dispose()

    def __enter__(self) -> ClaimWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def graded_scores(stack: Stack) -> dict[tuple[str, str], float]:
    """(dev LMS handle, module title) -> the module score the tool graded: per quiz the best
    submitted attempt's points, summed over the module's quizzes."""
    titles = {p.module_id: p.title for p in stack.placements}
    rows = stack.sql(
        "SELECT sub, module_id, SUM(best) FROM ("
        " SELECT l.sub AS sub, a.module_id AS module_id, MAX(a.points) AS best"
        " FROM attempts a JOIN learners l ON l.id = a.learner_id"
        " WHERE a.status = 'submitted' GROUP BY l.sub, a.module_id, a.quiz_id) AS per_quiz"
        " GROUP BY sub, module_id"
    )
    return {
        (sub.removeprefix("load-"), titles[module]): round(float(points), 2)
        for sub, module, points in rows
    }


def outbox_rows(stack: Stack) -> list[tuple[str, int, str | None]]:
    """(status, tries, last_error) of every score waiting in the outbox."""
    return [
        (str(status), int(tries), error)
        for status, tries, error in stack.sql(
            "SELECT status, tries, last_error FROM outbox_scores ORDER BY id"
        )
    ]


def unclean_failures(samples: list[Sample], statuses: tuple[int, ...] = (500, 503)) -> list[str]:
    """Failed requests a person would find unclear: no HTTP answer, another status, no request
    id in the page or JSON, or a Python traceback shown. Empty when every failure was clean."""
    problems = []
    for sample in samples:
        answer = sample.response
        if answer is None:
            problems.append(f"{sample.step}: no HTTP answer ({sample.detail})")
            continue
        where = f"{sample.step} HTTP {answer.status}"
        if answer.status not in statuses:
            problems.append(f"{where}: unexpected status ({sample.detail})")
        if not answer.request_id or answer.request_id not in answer.body:
            problems.append(f"{where}: the request id is not in the answer ({sample.detail})")
        if "Traceback" in answer.body or 'File "/' in answer.body:
            problems.append(f"{where}: the answer shows a traceback")
        if not answer.content_type.startswith(("text/html", "application/json")):
            problems.append(f"{where}: answered {answer.content_type!r}")
    return problems
