"""`microcred grades status|retry` and `microcred worker --once`, run as real processes on the
test's database: counts people can read, clear messages for bad input, retried scores arrive."""

from __future__ import annotations

import subprocess
from typing import Any

from tests.plugin.gradebook.test_worker_process import MICROCRED, _env


def _run(app_config: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MICROCRED, *args], env=_env(app_config), capture_output=True, text=True, timeout=120
    )


def test_status_retry_and_worker_once(course: Any, app_config: dict[str, Any]) -> None:
    quiz = course.place("Module 1 quiz", line_item={"label": "Module 1 quiz", "scoreMaximum": 10})
    grace, alan = course.launch(quiz, "grace"), course.launch(quiz, "alan")
    course.lms.set_fault("scores", "error500")
    course.enqueue(grace, 2, 10)
    course.enqueue(alan, 3, 10)
    course.deliver_all()
    status = _run(app_config, "grades", "status")
    assert status.returncode == 0, status.stderr
    assert "pending: 0" in status.stdout and "failed: 2" in status.stdout

    unknown = _run(app_config, "grades", "retry", "999999")
    assert unknown.returncode == 1
    assert "not in the outbox any more" in unknown.stderr

    course.lms.set_fault("scores", "ok")
    retried = _run(app_config, "grades", "retry", "--all")
    assert retried.returncode == 0 and "queued again: 2" in retried.stdout
    once = _run(app_config, "worker", "--once")
    assert once.returncode == 0, once.stderr
    assert "2 claimed: 2 delivered" in once.stdout
    assert {who: cell["score"] for (who, _), cell in course.lms_scores().items()} == {
        "grace": 2,
        "alan": 3,
    }
    assert "pending: 0" in _run(app_config, "grades", "status").stdout
