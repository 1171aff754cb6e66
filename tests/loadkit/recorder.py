"""Per-step latency and outcome recording for simulated students, and the figures printed
from it (count, errors, p50/p95/p99/max in milliseconds, throughput)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FailedAnswer:
    """What a student saw when a step failed: status, content type, request id, the page."""

    status: int
    content_type: str
    request_id: str
    body: str

    @classmethod
    def of(cls, response: Any) -> FailedAnswer:
        """From a requests.Response (the body cut at 20,000 characters)."""
        return cls(
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.headers.get("X-Request-ID", ""),
            response.text[:20_000],
        )


@dataclass(frozen=True)
class Sample:
    """One request of one step."""

    step: str
    seconds: float
    ok: bool
    detail: str
    status: int | None
    at: float
    response: FailedAnswer | None = None


@dataclass(frozen=True)
class StepFigures:
    """The figures of one step."""

    step: str
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


class Recorder:
    """Thread-safe collection of samples."""

    def __init__(self) -> None:
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self.started = time.monotonic()

    def add(
        self,
        step: str,
        seconds: float,
        ok: bool,
        detail: str = "",
        status: int | None = None,
        response: FailedAnswer | None = None,
    ) -> None:
        """Record one request of `step` (`response`: what a failed one answered)."""
        sample = Sample(step, seconds, ok, detail, status, time.monotonic(), response)
        with self._lock:
            self._samples.append(sample)

    @property
    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._samples)

    def errors(self) -> list[Sample]:
        """Every failed sample, in order."""
        return [s for s in self.samples if not s.ok]

    def figures(self, order: tuple[str, ...] = ()) -> list[StepFigures]:
        """Figures per step (successful requests' latency), in `order` then the rest."""
        by_step: dict[str, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            by_step[sample.step].append(sample)
        steps = [s for s in order if s in by_step] + sorted(set(by_step) - set(order))
        out = []
        for step in steps:
            samples = by_step[step]
            ms = [s.seconds * 1000 for s in samples if s.ok]
            out.append(
                StepFigures(
                    step,
                    len(samples),
                    sum(not s.ok for s in samples),
                    round(percentile(ms, 50), 1),
                    round(percentile(ms, 95), 1),
                    round(percentile(ms, 99), 1),
                    round(max(ms, default=0.0), 1),
                )
            )
        return out


def format_table(figures: list[StepFigures], target_ms: float | None = None) -> str:
    """A plain-text table of step figures (with the p95 target when given)."""
    head = (
        f"{'step':<10}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    )
    lines = [head, "-" * len(head)]
    for f in figures:
        mark = ""
        if target_ms is not None and f.step not in ("lms",):
            mark = "  ok" if f.p95_ms < target_ms else f"  over {target_ms:.0f} ms"
        lines.append(
            f"{f.step:<10}{f.count:>7}{f.errors:>8}{f.p50_ms:>9.1f}{f.p95_ms:>9.1f}"
            f"{f.p99_ms:>9.1f}{f.max_ms:>9.1f}{mark}"
        )
    if any(f.step == "launch" for f in figures):
        lines.append(
            "(launch: the tool answers with the module page, a first visit's enrolment and "
            "attempt included; module: a page opened later)"
        )
    return "\n".join(lines)
