"""Versioning rules for publishing: classify what changed and check the semver bump matches.

Patch: text only. Minor: modules or quizzes added. Major: answers, options, points or ids of
existing quizzes changed, or modules/quizzes removed. Learners who started a version stay on its
major version (docs/format-spec.md, "Versioning").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .diagnostics import Diagnostic, Severity
from .model import Question
from .serialize import question_from_data

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)


class Change(IntEnum):
    """How big a change is; ordered so that a bump must be >= the change."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


def parse_semver(version: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of a semver string, or None."""
    match = SEMVER.match(version)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def bump_of(old: str, new: str) -> Change | None:
    """The kind of bump from old to new, or None when new is not greater."""
    a, b = parse_semver(old), parse_semver(new)
    if a is None or b is None or b <= a:
        return None
    if b[0] > a[0]:
        return Change.MAJOR
    if b[1] > a[1]:
        return Change.MINOR
    return Change.PATCH


def is_compatible(old: str, new: str) -> bool:
    """A learner on `old` may move to `new`: same major version and not older."""
    a, b = parse_semver(old), parse_semver(new)
    return a is not None and b is not None and a[0] == b[0] and b >= a


@dataclass(frozen=True)
class Snapshot:
    """What versioning compares: module ids and each question's grading hash.

    A module's total points follow from its quizzes, so adding a quiz (minor) changes the total
    without changing any existing quiz; only per-quiz changes force a major version.
    """

    version: str
    content_hash: str
    modules: dict[str, float]  # module id -> points
    questions: dict[str, str]  # question id -> grading content hash

    @classmethod
    def from_package_parts(
        cls, version: str, content_hash: str, course: dict[str, Any], server: dict[str, Any]
    ) -> Snapshot:
        questions: dict[str, str] = {}
        for qid, data in server.items():
            clean = {k: v for k, v in data.items() if k not in ("private", "bank")}
            question: Question = question_from_data(clean)
            questions[qid] = question.content_hash()
        modules = {m["id"]: float(m.get("points") or 0) for m in course.get("modules", [])}
        return cls(version, content_hash, modules, questions)


def classify(old: Snapshot, new: Snapshot) -> tuple[Change, list[str]]:
    """The size of the change from old to new, with the reasons for it."""
    reasons: list[str] = []
    change = Change.NONE if old.content_hash == new.content_hash else Change.PATCH
    removed_modules = sorted(set(old.modules) - set(new.modules))
    removed_quizzes = sorted(set(old.questions) - set(new.questions))
    changed = sorted(
        q for q in set(old.questions) & set(new.questions) if old.questions[q] != new.questions[q]
    )
    for mid in removed_modules:
        reasons.append(f"module '{mid}' was removed or renamed")
    for qid in removed_quizzes:
        reasons.append(f"quiz '{qid}' was removed or renamed")
    for qid in changed:
        reasons.append(f"the answers, options or points of quiz '{qid}' changed")
    if reasons:
        return Change.MAJOR, reasons
    added = sorted(set(new.modules) - set(old.modules)) + sorted(
        set(new.questions) - set(old.questions)
    )
    if added:
        return Change.MINOR, [f"'{x}' was added" for x in added]
    return change, []


def compare_versions(old: Snapshot, new: Snapshot) -> list[Diagnostic]:
    """P001-P003 diagnostics when publishing `new` after `old`; empty when it may be published."""

    def diag(code: str, message: str, hint: str = "") -> Diagnostic:
        sev = Severity.WARNING if code == "P004" else Severity.ERROR
        return Diagnostic("course.yml", 1, 1, sev, code, message, hint)

    if old.version == new.version:
        if old.content_hash == new.content_hash:
            return []
        return [
            diag(
                "P003",
                f"version {new.version} is already published with different content",
                "published versions are immutable; raise the version",
            )
        ]
    bump = bump_of(old.version, new.version)
    if bump is None:
        return [
            diag(
                "P003",
                f"version {new.version} is not greater than the published {old.version}",
                "raise the version",
            )
        ]
    change, reasons = classify(old, new)
    if change <= bump:
        return []
    code = "P002" if any("removed" in r for r in reasons) else "P001"
    needed = "major" if change is Change.MAJOR else "minor"
    return [
        diag(
            code,
            f"{reason} but version {new.version} is a {bump.name.lower()} bump",
            f"use a {needed} version; learners in progress stay on {old.version}",
        )
        for reason in reasons
    ]
