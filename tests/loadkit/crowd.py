"""Many simulated students at once: each takes the path once (`run_once`), or keeps coming back
with new identities for a while (`run_for`), with per-step figures in a Recorder."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.loadkit.lms import PlacedModule
from tests.loadkit.recorder import Recorder
from tests.loadkit.students import Router, Student, StudentOutcome


@dataclass
class CrowdResult:
    """What a crowd did: every student's outcome, the step samples, the wall time."""

    outcomes: list[StudentOutcome]
    recorder: Recorder
    wall_seconds: float
    server_hits: dict[str, int] = field(default_factory=dict)
    measured_seconds: float = 0.0  # the run's set duration (run_for), else the wall time

    @property
    def failed(self) -> list[StudentOutcome]:
        return [o for o in self.outcomes if o.failed_step]

    @property
    def submitted(self) -> int:
        return sum(o.submitted for o in self.outcomes)

    @property
    def seconds(self) -> float:
        """The time throughput is measured over."""
        return self.measured_seconds or self.wall_seconds

    @property
    def journeys_per_second(self) -> float:
        """Completed student paths (no failed step) per second."""
        done = len(self.outcomes) - len(self.failed)
        return round(done / self.seconds, 2) if self.seconds else 0.0


def run_once(
    students: Sequence[str],
    placements: Sequence[PlacedModule],
    lms_url: str,
    router: Router,
    *,
    concurrency: int = 10,
    read_seconds: float = 0.0,
    recorder: Recorder | None = None,
) -> CrowdResult:
    """Every student opens one module (they are spread over `placements`) and takes its quiz;
    at most `concurrency` students are on their way at once."""
    recorder = recorder or Recorder()

    def one(index_handle: tuple[int, str]) -> StudentOutcome:
        index, handle = index_handle
        placement = placements[index % len(placements)]
        student = Student(
            handle, placement.placement_id, lms_url, router, recorder, read_seconds=read_seconds
        )
        try:
            return student.run(random.Random(f"{handle}/{placement.module_id}"))
        finally:
            student.http.close()

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="student") as pool:
        outcomes = list(pool.map(one, enumerate(students)))
    return CrowdResult(outcomes, recorder, time.monotonic() - start, dict(router.hits))


def run_for(
    seconds: float,
    concurrent: int,
    students: Sequence[str],
    placements: Sequence[PlacedModule],
    lms_url: str,
    router: Router,
    *,
    read_seconds: float = 1.0,
    think_seconds: float = 1.0,
    recorder: Recorder | None = None,
) -> CrowdResult:
    """`concurrent` students at a time for `seconds`: each finishes its path, pauses, and comes
    back as the next identity. Identities are (student, module) pairs taken in turn, so a
    module's attempt limit is reached only after every student took every module."""
    recorder = recorder or Recorder()
    pairs = itertools.cycle([(s, p) for p in placements for s in students])
    pairs_lock = threading.Lock()
    outcomes: list[StudentOutcome] = []
    outcomes_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(seat: int) -> None:
        rng = random.Random(seat)
        time.sleep(rng.uniform(0, min(think_seconds * 2, seconds / 4)))  # ramp up
        while time.monotonic() < deadline:
            with pairs_lock:
                handle, placement = next(pairs)
            student = Student(
                handle, placement.placement_id, lms_url, router, recorder, read_seconds=read_seconds
            )
            try:
                outcome = student.run(rng)
            finally:
                student.http.close()
            with outcomes_lock:
                outcomes.append(outcome)
            # A student who saw an error page waits a little longer before trying again.
            pause = think_seconds if not outcome.failed_step else max(1.0, think_seconds)
            time.sleep(max(0.0, min(rng.uniform(0.5, 1.5) * pause, deadline - time.monotonic())))

    start = time.monotonic()
    threads = [
        threading.Thread(target=loop, args=(i,), name=f"seat-{i}", daemon=True)
        for i in range(concurrent)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - start
    return CrowdResult(outcomes, recorder, wall, dict(router.hits), measured_seconds=seconds)
