"""run_shared: many jobs on every core, the calling process included, results in order."""

from __future__ import annotations

import os

import pytest

from authoring.workers import run_shared


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fail_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven is not allowed")
    return n


def test_results_come_back_in_order_from_several_processes() -> None:
    progress: list[int] = []
    results = run_shared(square_and_pid, list(range(200)), 2, done=progress.append)
    assert [square for square, _ in results] == [n * n for n in range(200)]
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2  # this process worked too
    assert sum(progress) == 200


def test_one_process_when_asked_or_when_there_is_little_to_do() -> None:
    for workers, items in ((1, 50), (2, 1)):
        results = run_shared(square_and_pid, list(range(items)), workers)
        assert {pid for _, pid in results} == {os.getpid()}


def test_setup_runs_here_before_the_workers_start() -> None:
    calls: list[int] = []
    run_shared(square_and_pid, list(range(40)), 2, before_fork=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]


def test_a_failing_job_raises_here() -> None:
    with pytest.raises(ValueError, match="seven"):
        run_shared(fail_on_seven, list(range(100)), 2)
