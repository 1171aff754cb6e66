"""`microcred worker` processes on the test's database (SQLite or PostgreSQL): a worker killed
with SIGKILL mid-batch loses no score once another starts (at-least-once), and two workers
running side by side deliver each score once (FOR UPDATE SKIP LOCKED / leases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.plugin.gradebook.conftest import FAST_DELIVERY

LEARNERS = ("grace", "alan", "katherine")
MICROCRED = str(Path(sys.executable).with_name("microcred"))


def _env(app_config: dict[str, Any], **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADEBOOK_")}
    env.update(
        {
            "MICROCRED_ENV": "testing",
            "DATABASE_URL": app_config["DATABASE_URL"],
            "MICROCRED_INSTANCE": app_config["INSTANCE_PATH"],
            "SECRET_KEY": app_config["SECRET_KEY"],
            "PUBLIC_URL": app_config["PUBLIC_URL"],
            "START_WORKER": "false",
        }
    )
    if app_config.get("REDIS_URL"):
        env["REDIS_URL"] = app_config["REDIS_URL"]
    env.update({k: str(v) for k, v in {**FAST_DELIVERY, **extra}.items()})
    return env


class Workers:
    """`microcred worker` subprocesses started by one test, all stopped at its end."""

    def __init__(self, app_config: dict[str, Any], tmp_path: Path) -> None:
        self.app_config = app_config
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, **settings: Any) -> subprocess.Popen[bytes]:
        log = open(self.tmp_path / f"worker-{len(self.running)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [MICROCRED, "worker", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_env(self.app_config, **settings),
        )
        log.close()
        self.running.append(proc)
        return proc

    def output(self, index: int) -> str:
        return (self.tmp_path / f"worker-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.running:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(course: Any, app_config: dict[str, Any], tmp_path: Path) -> Iterator[Workers]:
    started = Workers(app_config, tmp_path)
    yield started
    started.stop_all()


def _graded_course(course: Any, placements: int) -> tuple[list[Any], dict[tuple[str, str], int]]:
    quizzes = [
        course.place(f"Quiz {n}", line_item={"label": f"Quiz {n}", "scoreMaximum": 20})
        for n in range(placements)
    ]
    launches, expected = [], {}
    for q_index, quiz in enumerate(quizzes):
        for l_index, who in enumerate(LEARNERS):
            launch = course.launch(quiz, who)
            launches.append(launch)
            expected[(who, f"Quiz {q_index}")] = q_index * 3 + l_index + 1
    return launches, expected


def _wait_for(what: str, check: Any, patience: float = 90) -> None:
    give_up = time.monotonic() + patience
    while not check():
        assert time.monotonic() < give_up, f"gave up waiting: {what}"
        time.sleep(0.1)


def _scores(course: Any) -> dict[tuple[str, str], float]:
    return {key: cell["score"] for key, cell in course.lms_scores().items()}


def test_worker_killed_mid_batch_loses_no_score(course: Any, workers: Workers) -> None:
    launches, expected = _graded_course(course, 4)
    for launch, value in zip(launches, expected.values(), strict=True):
        course.enqueue(launch, value, 20)
    course.lms.set_fault("scores", "ok", delay_ms=300)
    first = workers.start(
        GRADEBOOK_WORKER_THREADS=2,
        GRADEBOOK_BATCH=12,
        GRADEBOOK_LEASE_SECONDS=8,
        GRADEBOOK_READ_TIMEOUT=2,
    )
    _wait_for("the first scores", lambda: course.lms.stats()["scores_stored"] >= 2)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    stored_when_killed = course.lms.stats()["scores_stored"]
    assert stored_when_killed < len(expected), "the worker finished before it was killed"
    # Rows stay in the outbox until their delivery is recorded: a score the LMS took just
    # before the kill may be sent again (same value and timestamp); none is lost.
    assert len(course.outbox()) >= len(expected) - stored_when_killed
    course.lms.set_fault("scores", "ok")
    workers.start()
    _wait_for("the outbox to empty", lambda: course.outbox() == [])
    assert _scores(course) == expected
    stats = course.lms.stats()
    assert stats["scores_out_of_order"] == 0
    assert stats["scores_received"] >= len(expected)  # at least once


def test_two_workers_deliver_each_score_once(course: Any, workers: Workers) -> None:
    launches, expected = _graded_course(course, 6)
    course.lms.set_fault("scores", "ok", delay_ms=100)
    for _ in range(2):
        workers.start(GRADEBOOK_WORKER_THREADS=2, GRADEBOOK_BATCH=2)
    _wait_for(
        "both workers", lambda: all("delivering grades" in workers.output(i) for i in range(2))
    )
    course.lms.reset()
    course.lms.set_fault("scores", "ok", delay_ms=100)
    for launch, value in zip(launches, expected.values(), strict=True):
        course.enqueue(launch, value, 20)
    _wait_for("the outbox to empty", lambda: course.outbox() == [])
    assert _scores(course) == expected
    stats = course.lms.stats()
    assert stats["scores_received"] == len(expected)  # none twice
    assert stats["tokens_issued"] <= 2  # one per worker process at most
