"""What the learner's pages show, as values: a module's HTML with its quiz placeholders
replaced by server-rendered forms, each quiz's state, and the review of a graded attempt.

Nothing here puts an answer key into a page before grading: forms are built from the
package's public questions only; the private part is read for the review of a submitted
attempt (feedback, explanation) and for hints the learner asked to see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..catalog.packages import CourseContent
from .models import Attempt
from .quizzes import CHOICE_KINDS, FIELD, Slot

_PLACEHOLDER = re.compile(
    r'<div class="mc-quiz(?:-draw)?" data-(?:quiz|draw)-id="([a-z0-9][a-z0-9-]*)"></div>'
)
_ASSET_REF = re.compile(r'\b(src|href)="assets/')


@dataclass(frozen=True)
class SlotView:
    """One quiz of a module page for one learner: its attempts and what may happen next."""

    slot: Slot
    number: int
    attempts: list[Attempt]
    open_attempt: Attempt | None
    left: int | None  # None: unlimited

    @property
    def last_submitted(self) -> Attempt | None:
        done = [a for a in self.attempts if a.status == "submitted"]
        return done[-1] if done else None

    @property
    def best_points(self) -> float | None:
        done = [a.points or 0.0 for a in self.attempts if a.status == "submitted"]
        return max(done) if done else None

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and (self.left is None or self.left > 0)


def package_html(html: Any) -> Markup:
    """HTML from a verified package: sanitized with nh3 when it was built (the content hash
    proves it is that build), so it is inserted as is."""
    return Markup(str(html or ""))  # noqa: S704 - sanitized at build time, see above


def module_body(html: str, assets_base: str, render_slot: Callable[[str], Markup]) -> Markup:
    """The package's (already sanitized) module HTML with asset links pointed at `assets_base`
    and each quiz placeholder replaced by `render_slot(quiz_id)`."""
    html = _ASSET_REF.sub(lambda m: f'{m.group(1)}="{assets_base}', html)
    return package_html(_PLACEHOLDER.sub(lambda m: str(render_slot(m.group(1))), html))


def field_name(question_id: str, part: str | None = None) -> str:
    """The form field of an answer (`a.<id>`, or `a.<id>.<left or step id>`)."""
    return f"{FIELD}{question_id}" + (f".{part}" if part else "")


def by_id(items: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(item["id"]): item for item in items}


def question_view(content: CourseContent, attempt: Attempt, question_id: str) -> dict[str, Any]:
    """What the form of one question shows: stem, choices in this attempt's order, the saved
    answer, and the hints the learner revealed (never the answer key)."""
    public = content.public[question_id]
    shown = (attempt.display or {}).get(question_id) or {}
    kind = str(public["kind"])
    saved = (attempt.answers or {}).get(question_id)
    view: dict[str, Any] = {
        "id": question_id,
        "kind": kind,
        "stem_html": package_html(public.get("stem_html")),
        "points": float(shown.get("points", public.get("points") or 0)),
        "saved": saved,
        "field": field_name(question_id),
        "input": public.get("input"),
        "hint_count": int(public.get("hint_count") or 0),
    }
    if kind in CHOICE_KINDS:
        options = by_id(public.get("options") or [])
        chosen = set(saved if isinstance(saved, list) else [saved] if saved else [])
        view["options"] = [
            {"id": oid, "html": package_html(options[oid]["html"]), "checked": oid in chosen}
            for oid in shown.get("options", [])
            if oid in options
        ]
    elif kind == "matching":
        lefts = by_id(public.get("lefts") or [])
        answer = saved if isinstance(saved, dict) else {}
        view["lefts"] = [
            {
                "id": lid,
                "html": package_html(lefts[lid]["html"]),
                "field": field_name(question_id, lid),
                "value": answer.get(lid, ""),
            }
            for lid in shown.get("lefts", [])
            if lid in lefts
        ]
        view["rights"] = list(shown.get("rights", []))
    elif kind == "ordering":
        steps = by_id(public.get("steps") or [])
        order = list(shown.get("steps", []))
        current = saved if isinstance(saved, list) and sorted(saved) == sorted(order) else order
        view["steps"] = [
            {
                "id": sid,
                "html": package_html(steps[sid]["html"]),
                "field": field_name(question_id, sid),
                "position": current.index(sid) + 1,
            }
            for sid in order
            if sid in steps
        ]
    used = int((attempt.hints_used or {}).get(question_id, 0))
    hints = list((content.private.get(question_id) or {}).get("hints_html") or [])
    view["hints"] = [package_html(h) for h in hints[:used]]
    return view


def review_view(
    content: CourseContent, attempt: Attempt, question_id: str, show_solution: bool
) -> dict[str, Any]:
    """The review of one graded question: the learner's answer with per-option feedback, the
    authored feedback and explanation, the hints used, and the points."""
    view = question_view(content, attempt, question_id)
    private = content.private.get(question_id) or {}
    result = dict((attempt.results or {}).get(question_id) or {})
    question = content.questions.get(question_id)
    correct_ids = {c.id for c in question.choices if c.correct} if question else set()
    option_feedback = private.get("option_feedback") or {}
    for option in view.get("options", []):
        option["feedback"] = (
            package_html(option_feedback.get(option["id"])) if (option["checked"]) else ""
        )
        option["correct"] = option["id"] in correct_ids if show_solution else None
    shown_feedback = {str(o["feedback"]) for o in view.get("options", []) if o["feedback"]}
    view.update(
        result=result,
        feedback=[
            package_html(f) for f in result.get("feedback_html") or [] if f not in shown_feedback
        ],
        explain_html=package_html(private.get("explain_html")),
    )
    return view
