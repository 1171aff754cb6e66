"""run_shared: many jobs on every core, the calling process included, results in order."""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path

import pytest

from authoring.workers import chunk_sizes, run_shared


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def sleep_then_pid(milliseconds: int) -> int:
    time.sleep(milliseconds / 1000)
    return os.getpid()


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
    with pytest.raises(ValueError, match="seven"):  # a job of this process's share, too
        run_shared(fail_on_seven, list(range(8)), 2)


def test_chunks_cover_every_item_and_shrink_towards_the_end() -> None:
    for count in (1, 2, 30, 200, 1000, 100_000):
        sizes = chunk_sizes(count, 2)
        assert sum(sizes) == count and min(sizes) >= 1 and len(sizes) <= 256
        assert sizes == sorted(sizes, reverse=True)
    sizes = chunk_sizes(200, 2)
    assert sizes[-1] == 1  # the last hand-outs are single items: nobody waits long at the end
    assert max(sizes) <= 200 // 8  # never more than an eighth of the work in one hand-out


def test_the_work_is_shared_when_jobs_take_uneven_time() -> None:
    items = [5 if n % 10 == 0 else 0 for n in range(120)]  # every tenth job is slow
    results = run_shared(sleep_then_pid, items, 2)
    assert len(results) == 120
    assert os.getpid() in results and len(set(results)) == 2  # both processes took a share


def log_then_fail_on_zero(logged: str, n: int) -> int:
    with open(logged, "a", encoding="utf-8") as out:
        out.write(f"{n}\n")
    if n == 0:
        raise ValueError("zero")
    time.sleep(0.002)
    return n


@pytest.mark.parametrize("at", [3, 150])  # in the forked process's first chunk; in this one's
def test_a_failure_stops_the_work_soon(at: int, tmp_path: Path) -> None:
    logged = tmp_path / "ran.txt"
    items = [1] * 400
    items[at] = 0
    with pytest.raises(ValueError, match="zero"):
        run_shared(partial(log_then_fail_on_zero, str(logged)), items, 2)
    ran = len(logged.read_text("utf-8").split())
    assert ran < 300  # not every one of the 400 jobs ran before the failure was reported
