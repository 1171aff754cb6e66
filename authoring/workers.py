"""Run many small jobs on every core, the calling process included.

A build renders hundreds of modules. The calling process sets up the renderer, then forks
`workers - 1` copies of itself (which so inherit it: no start-up cost paid twice). All of them
take chunks of work from one shared queue, a pipe holding one byte per chunk (a one-byte read
from a pipe goes to exactly one reader), until it is empty; chunks shrink towards the end, so no
process waits long for another. A forked process appends each chunk's pickled results to a file
of its own and says so through a pipe; the calling process takes them in between its own chunks,
so little is left to unpickle once the queue is empty. No pool, no helper thread: nothing else
competes with the rendering in the calling process.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

log = logging.getLogger(__name__)

A = TypeVar("A")
R = TypeVar("R")

#: Each chunk holds 1/(GUIDED_SHARE x processes) of the items still unassigned: large chunks
#: first (few hand-outs), single items last (no process waits long for another at the end).
GUIDED_SHARE = 4
#: Chunk numbers travel as single bytes.
MAX_CHUNKS = 256


def chunk_sizes(count: int, workers: int) -> list[int]:
    """Chunk sizes for `count` items, in the order they are handed out (largest first)."""
    sizes: list[int] = []
    remaining = count
    share = workers * GUIDED_SHARE
    while remaining > 0:
        size = max(1, remaining // share, -(-remaining // (MAX_CHUNKS - len(sizes))))
        sizes.append(size)
        remaining -= size
    return sizes


def _run_chunk(job: Callable[[A], R], chunk: Sequence[A]) -> list[R]:
    return [job(item) for item in chunk]


def _take(queue: int) -> int | None:
    """The next chunk number from the shared queue; None when it is empty."""
    got = os.read(queue, 1)
    return got[0] if got else None


def _child(
    job: Callable[[A], R], chunks: list[Sequence[A]], first: int, queue: int, box: _Box
) -> None:  # pragma: no cover - runs in the forked process, which never returns
    status = 1
    try:
        index: int | None = first  # its own first chunk, then whatever is left
        while index is not None:
            try:
                record: tuple[int, Any] = (index, _run_chunk(job, chunks[index]))
            except Exception as exc:  # sent back and raised by the caller
                record = (-1, exc)
                index = None
            else:
                index = _take(queue)
            try:
                blob = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                blob = pickle.dumps((-1, RuntimeError(f"worker failed: {record[1]!r} ({exc})")))
            box.send(blob)
        status = 0
    finally:
        os._exit(status)


class _Box:
    """One forked process's results: pickled records appended to an unnamed file, and the end
    offset of each record told through a pipe (8 bytes: atomic, never blocks for our counts), so
    the caller unpickles them between its own chunks instead of all at the end."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.told, self.tell = os.pipe()
        self.end = 0  # writer: bytes written; reader: bytes known to be complete
        self.read = 0  # reader: bytes unpickled
        self.pending = b""

    def send(self, blob: bytes) -> None:  # pragma: no cover - runs in the forked process
        """(Writer) append one record and tell where it ends."""
        self.file.write(len(blob).to_bytes(8, "little") + blob)
        self.file.flush()
        self.end += 8 + len(blob)
        os.write(self.tell, self.end.to_bytes(8, "little"))

    def receive(self, *, wait: bool) -> list[tuple[int, Any]]:
        """(Reader) the records complete so far; `wait`: all of them, until the writer ends."""
        os.set_blocking(self.told, wait)
        while True:
            try:
                got = os.read(self.told, 4096)
            except BlockingIOError:
                break
            if not got:
                break
            self.pending += got
            whole = len(self.pending) - len(self.pending) % 8
            if whole:
                self.end = int.from_bytes(self.pending[whole - 8 : whole], "little")
                self.pending = self.pending[whole:]
        records = []
        fd = self.file.fileno()
        while self.read < self.end:
            size = int.from_bytes(os.pread(fd, 8, self.read), "little")
            blob = os.pread(fd, size, self.read + 8)
            records.append(pickle.loads(blob))  # noqa: S301 - written by our own fork
            self.read += 8 + size
        return records

    def close(self) -> None:
        os.close(self.told)
        self.file.close()


def run_shared(
    job: Callable[[A], R],
    items: Sequence[A],
    workers: int,
    *,
    before_fork: Callable[[], object] | None = None,
    done: Callable[[int], None] | None = None,
) -> list[R]:
    """`[job(item) for item in items]`, on `workers` processes (this one included), in order.

    `job` runs in forked copies of this process (anything it needs is inherited); `before_fork`
    runs here first, so they inherit what it set up. `done(n)` is told as results arrive. An
    exception raised by a job is raised here.
    """
    if workers < 2 or len(items) < 2 or not hasattr(os, "fork"):  # Windows: one process
        out = []
        for item in items:
            out.append(job(item))
            if done:
                done(1)
        return out
    if before_fork is not None:
        before_fork()
    chunks: list[Sequence[A]] = []
    start = 0
    for size in chunk_sizes(len(items), workers):
        chunks.append(items[start : start + size])
        start += size
    results: list[list[R] | None] = [None] * len(chunks)
    # Every process starts with a chunk of its own (forks: 0, 1, ...; this one: the next), so
    # each takes a share however the scheduler runs them; the rest wait in the queue.
    forks = min(workers, len(chunks)) - 1
    queue, feed = os.pipe()
    os.write(feed, bytes(range(forks + 1, len(chunks))))  # at most 256 bytes: never blocks
    os.close(feed)
    children: list[tuple[int, _Box]] = []
    failures: list[BaseException] = []

    def collect(*, wait: bool) -> None:
        for _pid, box in children:
            for index, got in box.receive(wait=wait):
                if index < 0:
                    failures.append(got)
                    continue
                results[index] = got
                if done:
                    done(len(got))

    try:
        for first in range(forks):
            box = _Box()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the forked process
                os.close(box.told)
                _child(job, chunks, first, queue, box)
            os.close(box.tell)
            children.append((pid, box))
        index: int | None = forks
        while index is not None and not failures:
            results[index] = _run_chunk(job, chunks[index])
            if done:
                done(len(chunks[index]))
            collect(wait=False)
            index = _take(queue)
        collect(wait=True)
        if failures:
            raise failures[0]
    finally:
        while os.read(queue, 256):  # on a failure, take what is left: workers stop sooner
            pass  # (no writer is left, so this never blocks)
        os.close(queue)
        for pid, box in children:
            box.close()
            os.waitpid(pid, 0)
    if any(chunk is None for chunk in results):
        raise RuntimeError("a worker process ended without its results")
    log.debug("ran %d jobs in %d chunks on %d processes", len(items), len(chunks), workers)
    return [out for chunk in results if chunk is not None for out in chunk]
