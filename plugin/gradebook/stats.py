"""Statistics for the instructor: per-question results, score distribution, chart geometry.

Pure functions over plain records, so they are tested without a database; `progress.py` reads
the learning feature's attempts into `AttemptRecord`s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FULL = 1.0 - 1e-9


@dataclass(frozen=True)
class AttemptRecord:
    """A submitted attempt as statistics need it; `results` maps question id to its result
    (`fraction`, `correct`, `selected` as the learning feature records them)."""

    learner_id: int
    quiz_id: str
    module_id: str = ""
    attempt_no: int = 1
    fraction: float | None = None
    results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionCount:
    """How often one wrong option was picked."""

    option_id: str
    count: int
    label: str = ""


@dataclass(frozen=True)
class QuestionStats:
    """One question across every submitted attempt."""

    question_id: str
    quiz_id: str
    module_id: str
    answered: int
    fully_right: int
    partly_right: int
    wrong_options: tuple[OptionCount, ...]
    label: str = ""

    @property
    def percent_right(self) -> float:
        return 100.0 * self.fully_right / self.answered if self.answered else 0.0


def results_by_question(raw: Any) -> dict[str, Mapping[str, Any]]:
    """Attempt results as {question_id: result}, from a mapping or a list of items that
    carry "id" or "question_id"."""
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in raw.items() if isinstance(v, Mapping)}
    out: dict[str, Mapping[str, Any]] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                qid = item.get("question_id") or item.get("id")
                if qid is not None:
                    out[str(qid)] = item
    return out


def _is_fully_right(result: Mapping[str, Any]) -> bool:
    if "correct" in result:
        return bool(result["correct"])
    fraction = result.get("fraction")
    return isinstance(fraction, int | float) and fraction >= FULL


def _selected(result: Mapping[str, Any]) -> list[str]:
    raw = result.get("selected")
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list | tuple):
        return [str(s) for s in raw if isinstance(s, str | int)]
    return []


def question_statistics(
    attempts: Iterable[AttemptRecord],
    labels: Mapping[str, str] | None = None,
    correct_options: Mapping[str, Iterable[str]] | None = None,
) -> list[QuestionStats]:
    """Per question: answers, fully right, partly right, and wrong options by how often picked.

    Without the answer key (`correct_options`), an option someone picked in a fully right answer
    counts as right, and the options of wrong answers that are left count as wrong picks.
    """
    labels = labels or {}
    answered: Counter[str] = Counter()
    right: Counter[str] = Counter()
    partly: Counter[str] = Counter()
    wrong_picks: dict[str, Counter[str]] = {}
    right_picks: dict[str, set[str]] = {}
    where: dict[str, tuple[str, str]] = {}
    for attempt in attempts:
        for qid, result in attempt.results.items():
            where.setdefault(qid, (attempt.quiz_id, attempt.module_id))
            answered[qid] += 1
            picked = _selected(result)
            if _is_fully_right(result):
                right[qid] += 1
                right_picks.setdefault(qid, set()).update(picked)
                continue
            fraction = result.get("fraction")
            if isinstance(fraction, int | float) and fraction > 0:
                partly[qid] += 1
            wrong_picks.setdefault(qid, Counter()).update(picked)
    stats = []
    for qid in answered:
        known_right = set((correct_options or {}).get(qid, ())) or right_picks.get(qid, set())
        wrong = [
            OptionCount(opt, n, labels.get(f"{qid}:{opt}", labels.get(opt, "")))
            for opt, n in wrong_picks.get(qid, Counter()).items()
            if opt not in known_right
        ]
        wrong.sort(key=lambda o: (-o.count, o.option_id))
        quiz_id, module_id = where[qid]
        stats.append(
            QuestionStats(
                qid,
                quiz_id,
                module_id,
                answered[qid],
                right[qid],
                partly[qid],
                tuple(wrong),
                labels.get(qid, ""),
            )
        )
    stats.sort(key=lambda s: (s.module_id, s.quiz_id, s.question_id))
    return stats


@dataclass(frozen=True)
class Bin:
    """One bar of the distribution: learners whose percent is in [low, high)."""

    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%" if self.high == 100 else f"{self.low}–{self.high - 1}%"


def distribution(percents: Iterable[float], width: int = 10) -> list[Bin]:
    """Counts of `percents` (0..100) in bins of `width` points; 100 falls in the last bin."""
    edges = list(range(0, 100, width))
    counts = [0] * len(edges)
    for p in percents:
        index = min(int(max(p, 0.0) // width), len(edges) - 1)
        counts[index] += 1
    return [Bin(low, min(low + width, 100), n) for low, n in zip(edges, counts, strict=True)]


def percent(given: Sequence[float], maximum: Sequence[float]) -> float | None:
    """100 x sum(given) / sum(maximum), or None when there is nothing to weigh."""
    total = sum(maximum)
    return 100.0 * sum(given) / total if total > 0 else None


@dataclass(frozen=True)
class Bar:
    """A bar of the chart, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


@dataclass(frozen=True)
class Chart:
    """Geometry of a bar chart: bars, axis ticks and the plot box."""

    width: int
    height: int
    left: int
    bottom: int
    top: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]
    total: int


def bar_chart(bins: Sequence[Bin], width: int = 640, height: int = 260) -> Chart:
    """Lay out `bins` as vertical bars with a count axis (whole-number ticks)."""
    left, bottom, top, right = 40, 40, 16, 8
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((b.count for b in bins), default=0)
    step = max(1, -(-peak // 5))
    axis_max = max(step * 5 if peak > 5 else max(peak, 1), 1)
    slot = plot_w / max(len(bins), 1)
    bars = []
    for index, b in enumerate(bins):
        h = plot_h * b.count / axis_max
        bars.append(
            Bar(
                round(left + index * slot + slot * 0.1, 2),
                round(top + plot_h - h, 2),
                round(slot * 0.8, 2),
                round(h, 2),
                b.label,
                b.count,
            )
        )
    ticks = tuple(
        (round(top + plot_h - plot_h * v / axis_max, 2), v)
        for v in range(0, axis_max + 1, step if peak > 5 else 1)
    )
    return Chart(width, height, left, bottom, top, tuple(bars), ticks, sum(b.count for b in bins))
