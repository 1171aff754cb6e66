"""Progress as values: per module (visited, score out of its points, passed, complete) and per
course (score over graded modules, and whether the completion rule of course.json is met).

A quiz's score is its best submitted attempt's points (after the attempt credit); a module's
score is the sum over its quizzes. A module is complete when every quiz in it has a submitted
attempt (a module without quizzes: when it was opened). The completion rule: every module in
`completion.require` (default: every graded module) complete, and the course score (points
over graded modules) at least `completion.min_score`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..catalog.packages import CourseContent
from .models import Attempt, ModuleVisit
from .quizzes import Slot, module_slots

_EPS = 1e-9


@dataclass(frozen=True)
class ModuleProgress:
    """One module for one learner."""

    module: dict[str, Any]
    slots: list[Slot]
    visited: bool
    score: float  # sum of the best attempt per quiz
    points: float  # the module's points
    complete: bool
    passed: bool | None  # None: not graded, or not finished yet

    @property
    def id(self) -> str:
        return str(self.module["id"])

    @property
    def graded(self) -> bool:
        return bool(self.module.get("graded"))

    @property
    def started(self) -> bool:
        return self.visited or self.score > 0


@dataclass(frozen=True)
class CourseProgress:
    """One course for one learner."""

    modules: list[ModuleProgress]
    score: float  # points over graded modules
    points: float
    required: list[str]
    min_score: float
    rule_met: bool

    @property
    def fraction(self) -> float:
        return self.score / self.points if self.points > 0 else 0.0

    @property
    def done_count(self) -> int:
        return sum(1 for m in self.modules if m.complete)

    def module(self, module_id: str) -> ModuleProgress | None:
        return next((m for m in self.modules if m.id == module_id), None)


def best_points(attempts: Iterable[Attempt]) -> dict[str, float]:
    """Quiz id -> the best points among its submitted attempts."""
    best: dict[str, float] = {}
    for a in attempts:
        if a.status == "submitted" and a.points is not None:
            best[a.quiz_id] = max(best.get(a.quiz_id, 0.0), float(a.points))
    return best


def module_progress(
    content: CourseContent, module: dict[str, Any], attempts: list[Attempt], visited: bool
) -> ModuleProgress:
    """Progress in one module from the learner's attempts."""
    slots = module_slots(content, module)
    best = best_points(attempts)
    submitted = {a.quiz_id for a in attempts if a.status == "submitted"}
    score = round(sum(best.get(s.id, 0.0) for s in slots), 4)
    points = float(module.get("points") or 0)
    complete = all(s.id in submitted for s in slots) if slots else visited
    passed: bool | None = None
    if module.get("graded") and complete:
        pass_score = module.get("pass_score")
        share = score / points if points > 0 else 1.0
        passed = share + _EPS >= float(pass_score) if pass_score is not None else True
    return ModuleProgress(module, slots, visited, score, points, complete, passed)


def course_progress(
    content: CourseContent, attempts: Iterable[Attempt], visits: Mapping[str, ModuleVisit]
) -> CourseProgress:
    """Progress through a course version from the enrollment's attempts and visits."""
    by_module: dict[str, list[Attempt]] = {}
    for a in attempts:
        by_module.setdefault(a.module_id, []).append(a)
    modules = [
        module_progress(content, m, by_module.get(m["id"], []), m["id"] in visits)
        for m in content.modules
    ]
    graded = [m for m in modules if m.graded]
    score = round(sum(m.score for m in graded), 4)
    points = round(sum(m.points for m in graded), 4)
    completion = content.course.get("completion") or {}
    required = [str(r) for r in completion.get("require") or []] or [m.id for m in graded]
    min_score = float(completion.get("min_score") or 0.0)
    done = {m.id for m in modules if m.complete}
    share = score / points if points > 0 else 1.0
    rule_met = all(r in done for r in required) and share + _EPS >= min_score
    return CourseProgress(modules, score, points, required, min_score, rule_met)
