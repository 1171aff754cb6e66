"""Faults under load (issue 7): PostgreSQL restarted mid-load, Redis stopped, the LMS down.

Each test runs the real deployment (gunicorn, `microcred worker`, the dev LMS server). The
PostgreSQL and Redis that a test stops are its own throwaway ones (tests/loadkit/services.py),
never the shared servers other tests use.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.loadkit.crowd import CrowdResult, run_for
from tests.loadkit.env import postgres_server, redis_server, require_binaries
from tests.loadkit.observe import graded_scores, outbox_rows, unclean_failures, wait_until
from tests.loadkit.quiz import find_quiz
from tests.loadkit.recorder import Recorder
from tests.loadkit.services import PgCluster, RedisServer
from tests.loadkit.stack import Stack, StackConfig
from tests.loadkit.students import Router, StepFailed, Student

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

#: gunicorn's own error page: what a person sees when an exception escaped the app entirely.
GUNICORN_500 = "<h1><p>Internal Server Error</p></h1>"

#: Delivery retried quickly, so that a test sees the outbox drain within seconds.
QUICK_DELIVERY = {
    "GRADEBOOK_POLL_SECONDS": "0.2",
    "GRADEBOOK_BACKOFF_BASE_SECONDS": "0.5",
    "GRADEBOOK_BACKOFF_CAP_SECONDS": "1",
    "GRADEBOOK_CONNECT_TIMEOUT": "1",
    "GRADEBOOK_READ_TIMEOUT": "3",
    "GRADEBOOK_MAX_TRIES": "200",
    # A row whose delivery broke off (e.g. the store was down) is taken up again after this.
    "GRADEBOOK_LEASE_SECONDS": "8",
}


@pytest.fixture
def own_postgres() -> Iterator[PgCluster]:
    """A PostgreSQL cluster of this test's own, which it may restart."""
    require_binaries("initdb", "pg_ctl")
    postgres_server()  # the same switch as the other PostgreSQL tests
    cluster = PgCluster()
    try:
        yield cluster.init().start()
    finally:
        cluster.remove()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop."""
    require_binaries("redis-server")
    redis_server()
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.remove()


def student(stack: Stack, router: Router, recorder: Recorder, handle: str) -> Student:
    """A simulated student of the first placed module."""
    return Student(handle, stack.placements[0].placement_id, stack.lms_url, router, recorder)


def test_postgresql_restart_mid_load_fails_cleanly_recovers_and_loses_no_attempt(
    own_postgres: PgCluster,
) -> None:
    config = StackConfig(
        database_server=own_postgres.url,
        redis_url=redis_server(),
        students=120,
        drop_database=False,  # the cluster is removed afterwards
        threads_per_process=4,
        env=QUICK_DELIVERY,
    )
    with Stack(config) as stack:
        router, recorder = Router(stack.tool_url, stack.server_urls), Recorder()
        crowd: list[CrowdResult] = []
        load = threading.Thread(
            target=lambda: crowd.append(
                run_for(
                    16,
                    4,
                    stack.students,
                    stack.placements,
                    stack.lms_url,
                    router,
                    read_seconds=0.2,
                    think_seconds=0.2,
                    recorder=recorder,
                )
            )
        )
        load.start()
        time.sleep(5)
        own_postgres.restart(down_seconds=3)
        back = time.monotonic()
        load.join()
        result = crowd[0]

        # The outage was seen, and every failure was a clean error page or JSON.
        failures = recorder.errors()
        assert failures, "no request failed while PostgreSQL was down"
        bare = [s for s in failures if s.response and GUNICORN_500 in s.response.body]
        assert unclean_failures([s for s in failures if s not in bare]) == []
        # Recovered: everything that started 3 s after the restart worked.
        late = [s for s in recorder.samples if s.at - s.seconds > back + 3]
        assert late and all(s.ok for s in late), [s.detail for s in late if not s.ok][:3]

        # Students whose path broke open the module again and submit: nothing was lost.
        retried = Recorder()
        with ThreadPoolExecutor(4) as pool:
            again = list(
                pool.map(
                    lambda handle: student(stack, router, retried, handle).run(),
                    {o.handle for o in result.failed},
                )
            )
        assert [o.error for o in again if not o.submitted] == []
        told_graded = sum(o.submitted for o in result.outcomes) + len(again)
        in_database = stack.sql("SELECT count(*) FROM attempts WHERE status = 'submitted'")
        assert in_database[0][0] >= told_graded
        assert stack.sql(
            "SELECT count(*) FROM attempts WHERE status = 'submitted' AND points IS NULL"
        ) == [(0,)]

        expected = graded_scores(stack)
        shown = wait_until(lambda: stack.lms_scores() == expected and expected, timeout=40)
        assert shown == expected

    # Checked last so that everything above is proven even while this known bug is open.
    if bare:
        pytest.xfail(
            f"known bug: {len(bare)} answer(s) were gunicorn's bare 500 without request id. A "
            "request whose database connection dies after its last query fails in Flask-"
            "SQLAlchemy's teardown (session.remove() raises OperationalError), after the page "
            f"was made: {bare[0].detail[:160]}"
        )


def test_redis_stopped_fails_clearly_corrupts_nothing_and_answers_survive(
    own_redis: RedisServer,
) -> None:
    config = StackConfig(
        database_server=postgres_server(),
        redis_url=own_redis.url,
        students=4,
        env=QUICK_DELIVERY,
    )
    with Stack(config) as stack:
        router, recorder = Router(stack.tool_url, stack.server_urls), Recorder()
        ada, bob, cy = (student(stack, router, recorder, h) for h in stack.students[:3])
        assert bob.run().submitted
        page = ada.launch()
        quiz = find_quiz(page.text, page.url)
        assert quiz is not None
        answers = quiz.choose_answers(random.Random(1))
        ada.autosave(quiz, answers)
        before = stack.sql("SELECT id, status, answers FROM attempts ORDER BY id")

        own_redis.stop()
        with pytest.raises(StepFailed) as refused_launch:
            cy.launch()
        # The login writes nothing (its state is signed): a server that knows the registration
        # sends the browser on, and the launch, which must spend the state, is refused.
        assert refused_launch.value.step in ("login", "launch")
        with pytest.raises(StepFailed) as refused_submit:
            ada.submit(quiz, answers)
        assert refused_submit.value.step == "submit"
        failures = recorder.errors()
        refused_launches = [s for s in failures if s.step in ("login", "launch")]
        assert refused_launches
        assert unclean_failures(refused_launches, statuses=(503,)) == []
        assert all(s.response and "not answering" in s.response.body for s in refused_launches)
        refused_submits = [s for s in failures if s.step == "submit"]
        assert [s.status for s in refused_submits if s.status and s.status >= 500]
        # Nothing changed: Ada's attempt is still open with her saved answers.
        assert stack.sql("SELECT id, status, answers FROM attempts ORDER BY id") == before

        own_redis.start()
        # Sessions lived in Redis: the old page says so plainly; a new launch works.
        expired = requests.get(page.url, timeout=30)
        assert expired.status_code == 401
        assert "Open the activity again" in expired.text
        again = ada.launch()
        shown_again = find_quiz(again.text, again.url)
        assert shown_again is not None
        assert shown_again.saved_answers() == answers
        assert ada.take_quiz(again).submitted
        assert cy.run().submitted

        expected = graded_scores(stack)
        assert len(expected) == 3
        shown = wait_until(lambda: stack.lms_scores() == expected and expected, timeout=40)
        assert shown == expected

    # A signed-in student whose submit met the stopped store sees the tool's own error page.
    assert unclean_failures(refused_submits, statuses=(503,)) == []
    assert refused_submits
    for refused in refused_submits:
        assert refused.response is not None and refused.response.status == 503
        assert GUNICORN_500 not in refused.response.body
        assert "Request id" in refused.response.body  # the tool's own error page


def test_lms_down_scores_wait_in_the_outbox_then_arrive() -> None:
    config = StackConfig(
        database_server=postgres_server(),
        redis_url=redis_server(),
        students=6,
        env=QUICK_DELIVERY,
    )
    with Stack(config) as stack:
        router, recorder = Router(stack.tool_url, stack.server_urls), Recorder()
        learners = [student(stack, router, recorder, h) for h in stack.students]
        pages = [s.launch() for s in learners]

        stack.stop_lms()
        for learner, page in zip(learners, pages, strict=True):
            assert learner.take_quiz(page).submitted  # grading needs no LMS
        expected = graded_scores(stack)
        assert len(expected) == len(learners)
        waiting = wait_until(
            lambda: (rows := outbox_rows(stack)) and all(r[1] >= 2 for r in rows) and rows,
            timeout=30,
        )
        assert len(waiting) == len(learners)
        assert all(status == "pending" and error for status, _, error in waiting)

        stack.start_lms()
        shown = wait_until(lambda: stack.lms_scores() == expected and expected, timeout=40)
        assert shown == expected
        assert wait_until(lambda: outbox_rows(stack) == [], timeout=10)
        assert stack.lms_json("/_dev/stats")["scores_stored"] == len(learners)
