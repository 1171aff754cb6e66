"""Scale-out (issue 7): two gunicorn app servers and two `microcred worker` processes against one
PostgreSQL and one Redis, with the dev LMS on its own server. Students' requests go to both
servers in turn (a login may reach one server and its launch the other); both workers deliver;
every score reaches the dev LMS gradebook exactly once, with the value the tool graded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loadkit.crowd import run_once
from tests.loadkit.env import postgres_server, redis_server
from tests.loadkit.observe import ClaimWatcher, graded_scores, wait_until
from tests.loadkit.stack import Stack, StackConfig
from tests.loadkit.students import Router

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

STUDENTS = 24


@pytest.fixture
def stack() -> Iterator[Stack]:
    config = StackConfig(
        database_server=postgres_server(),
        redis_url=redis_server(),
        app_servers=2,
        workers=2,
        students=STUDENTS,
        modules=2,
        threads_per_process=4,
        # Small batches and a quick poll so that both workers take part in a short run.
        env={"GRADEBOOK_BATCH": "2", "GRADEBOOK_POLL_SECONDS": "0.1"},
    )
    with Stack(config) as running:
        yield running


def test_two_servers_and_two_workers_deliver_every_score_once(stack: Stack) -> None:
    assert stack.lms_json("/_dev/stats")["scores_received"] == 0
    # A slow LMS gradebook (150 ms a score) keeps rows claimed long enough to see who holds them.
    stack.set_lms_fault("scores", "ok", delay_ms=150)
    router = Router(stack.tool_url, stack.server_urls)
    with ClaimWatcher(stack) as claims:
        result = run_once(stack.students, stack.placements, stack.lms_url, router, concurrency=6)
        assert [o.error for o in result.failed] == []
        assert result.submitted == STUDENTS
        expected = graded_scores(stack)
        assert len(expected) == STUDENTS
        shown = wait_until(
            lambda: len(stack.lms_scores()) >= STUDENTS and stack.lms_scores(), timeout=90
        )

    # Both servers answered logins, launches (with their first page), autosaves, submissions
    # and feedback pages.
    for step in ("login", "launch", "autosave", "submit", "feedback"):
        assert router.servers_for(step) == set(stack.server_urls), step
    # Both workers delivered.
    assert len(claims.workers) == 2, claims.workers
    # Every score arrived, with the graded value, and only once.
    assert shown == expected
    stats = stack.lms_json("/_dev/stats")
    assert stats["scores_received"] == STUDENTS
    assert stack.sql("SELECT count(*) FROM outbox_scores") == [(0,)]
