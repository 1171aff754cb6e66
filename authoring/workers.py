"""Run many small jobs on every core, the calling process included.

A build renders hundreds of modules. A pool of `workers - 1` processes takes chunks from the
front of the list while the calling process renders chunks from the back, so no core waits on a
process that only collects results, and the calling process (which already imported and set up
the renderer before the pool forks) pays no start-up cost twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)

A = TypeVar("A")
R = TypeVar("R")

#: Chunks per process: small enough to even out, large enough that messages stay few.
CHUNKS_PER_WORKER = 16


def _run_chunk(job: Callable[[A], R], chunk: Sequence[A]) -> list[R]:
    return [job(item) for item in chunk]


def run_shared(
    job: Callable[[A], R],
    items: Sequence[A],
    workers: int,
    *,
    before_fork: Callable[[], object] | None = None,
    done: Callable[[int], None] | None = None,
) -> list[R]:
    """`[job(item) for item in items]`, on `workers` processes (this one included), in order.

    `job` must be a module-level function (it is pickled by reference). `before_fork` runs here
    first, so the pool's processes inherit what it set up. `done(n)` is told as results arrive.
    """
    if workers < 2 or len(items) < 2:
        out = []
        for item in items:
            out.append(job(item))
            if done:
                done(1)
        return out
    if before_fork is not None:
        before_fork()
    size = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    results: list[list[R] | None] = [None] * len(chunks)
    front, back = 0, len(chunks)
    running: dict[Future[list[R]], int] = {}

    def collect(futures: list[Future[list[R]]]) -> None:
        for future in futures:
            index = running.pop(future)
            results[index] = future.result()
            if done:
                done(len(chunks[index]))

    with ProcessPoolExecutor(max_workers=workers - 1) as pool:
        while front < back:
            while len(running) < 2 * (workers - 1) and front < back - 1:
                running[pool.submit(_run_chunk, job, chunks[front])] = front
                front += 1
            if front >= back:
                break
            back -= 1
            results[back] = _run_chunk(job, chunks[back])
            if done:
                done(len(chunks[back]))
            collect([f for f in running if f.done()])
        collect(list(running))
    log.debug("ran %d jobs in %d chunks on %d processes", len(items), len(chunks), workers)
    return [out for chunk in results if chunk is not None for out in chunk]
