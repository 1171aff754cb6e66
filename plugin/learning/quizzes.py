"""Quiz logic without a database: a module's quiz slots, what an attempt draws and shows, the
answers read from a form or JSON, and grading with `authoring.grading`.

A slot is a quiz block (`quiz_id` = its question id) or a `quiz-draw` (`quiz_id` = the draw id).
`display` records, per drawn question, the order its options, left items, right-hand sides or
steps were shown in, and the points it is worth in this attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from authoring.grading import MAX_RESPONSE_CHARS, draw_questions, grade, seed_for, shuffled
from authoring.model import Kind, Module, Question

from ..catalog.packages import CourseContent

FIELD = "a."  # form fields: a.<question id> and a.<question id>.<left or step id>
CHOICE_KINDS = ("single", "multiple", "truefalse")


@dataclass(frozen=True)
class Slot:
    """One gradable place in a module: a quiz block or a draw from a bank."""

    id: str
    kind: str  # "quiz" | "draw"
    module_id: str
    attempts: int  # allowed attempts; 0 = unlimited


def module_slots(content: CourseContent, module: Mapping[str, Any]) -> list[Slot]:
    """The module's quizzes then its draws (the page shows them where the author put them)."""
    default = int(module.get("attempts") or 0)
    slots = []
    for qid in module.get("quizzes") or []:
        question = content.questions.get(qid)
        own = question.attempts if question is not None else None
        slots.append(Slot(qid, "quiz", module["id"], default if own is None else int(own)))
    for draw in module.get("draws") or []:
        slots.append(Slot(str(draw["id"]), "draw", module["id"], default))
    return slots


def module_model(module: Mapping[str, Any]) -> Module:
    """Enough of an `authoring.model.Module` for `attempt_credit`."""
    return Module(
        id=str(module["id"]),
        title=str(module.get("title") or ""),
        path="",
        body_md="",
        body_line=0,
        attempt_credit=tuple(float(c) for c in module.get("attempt_credit") or ()),
    )


def attempt_seed(
    issuer: str, sub: str, content: CourseContent, quiz_id: str, attempt_no: int
) -> int:
    """The seed of one attempt: learner, course version, quiz and attempt number."""
    return seed_for(issuer, sub, f"{content.course_id}@{content.version}", quiz_id, attempt_no)


def _order(ids: list[str], seed: int, *parts: str) -> list[str]:
    return shuffled(ids, seed_for(str(seed), *parts)) if len(ids) > 1 else list(ids)


def question_display(
    question: Question, public: Mapping[str, Any], seed: int, points: float
) -> dict[str, Any]:
    """How one question is shown in one attempt: seeded orders and its points."""
    shuffle = bool(public.get("shuffle", True))
    kind = str(public["kind"])
    shown: dict[str, Any] = {"points": points}
    if kind in CHOICE_KINDS:
        ids = [str(o["id"]) for o in public.get("options") or []]
        shown["options"] = (
            _order(ids, seed, question.id, "options") if (shuffle and kind != "truefalse") else ids
        )
    elif kind == "matching":
        lefts = [str(o["id"]) for o in public.get("lefts") or []]
        rights = [str(r) for r in public.get("rights") or []]
        shown["lefts"] = _order(lefts, seed, question.id, "lefts") if shuffle else lefts
        shown["rights"] = _order(rights, seed, question.id, "rights") if shuffle else rights
    elif kind == "ordering":
        steps = [str(s["id"]) for s in public.get("steps") or []]
        order = _order(steps, seed, question.id, "steps")
        if len(order) > 1 and order == [s.id for s in question.steps]:
            order = order[1:] + order[:1]  # never start from the answer
        shown["steps"] = order
    return shown


def plan_attempt(content: CourseContent, slot: Slot, seed: int) -> tuple[list[str], dict[str, Any]]:
    """The questions of a new attempt (drawn when the slot is a draw) and how each is shown."""
    if slot.kind == "draw":
        draw = content.draw(slot.module_id, slot.id)
        if draw is None:
            raise LookupError(f"module {slot.module_id} has no draw {slot.id}")
        chosen = draw_questions(content.pool(draw.bank), draw, seed_for(str(seed), "draw"))
    else:
        chosen = [content.questions[slot.id]]
    display = {
        q.id: question_display(q, content.public[q.id], seed, float(q.points)) for q in chosen
    }
    return [q.id for q in chosen], display


# --- answers ---------------------------------------------------------------------------------


class AnswerError(ValueError):
    """Answers of the wrong shape (autosave JSON or a form)."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise AnswerError("an answer must be text")
    if len(value) > MAX_RESPONSE_CHARS:
        raise AnswerError(f"an answer is longer than {MAX_RESPONSE_CHARS} characters")
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 200:
        raise AnswerError("expected a list of ids")
    return [_text(v) for v in value]


def clean_answer(kind: str, value: Any) -> Any:
    """One answer in the shape its grader takes (None: not answered). AnswerError otherwise."""
    if value is None:
        return None
    if kind in ("single", "truefalse"):
        return _text(value)
    if kind in ("multiple", "ordering"):
        return _strings(value)
    if kind in ("short", "numeric"):
        return _text(value) if not isinstance(value, int | float) else str(value)
    if kind == "matching":
        if not isinstance(value, dict) or len(value) > 200:
            raise AnswerError("expected a mapping of left ids to right-hand sides")
        return {_text(k): _text(v) for k, v in value.items()}
    raise AnswerError(f"unknown question kind {kind!r}")


def clean_answers(raw: Any, question_ids: list[str], public: Mapping[str, Any]) -> dict[str, Any]:
    """Answers posted as JSON ({question id: answer}), checked against the attempt."""
    if not isinstance(raw, dict):
        raise AnswerError("answers must be an object keyed by question id")
    unknown = sorted(set(raw) - set(question_ids))
    if unknown:
        raise AnswerError(f"these questions are not in this attempt: {', '.join(unknown[:5])}")
    return {qid: clean_answer(str(public[qid]["kind"]), value) for qid, value in raw.items()}


def answers_from_form(
    form: Any, question_ids: list[str], public: Mapping[str, Any], display: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Answers from a posted form (a werkzeug MultiDict) and the questions whose steps were not
    given distinct positions (ordering without JavaScript)."""
    answers: dict[str, Any] = {}
    bad_order: list[str] = []
    for qid in question_ids:
        kind = str(public[qid]["kind"])
        name = FIELD + qid
        shown = display.get(qid) or {}
        if kind in ("single", "truefalse"):
            answers[qid] = form.get(name) or None
        elif kind == "multiple":
            answers[qid] = form.getlist(name)
        elif kind in ("short", "numeric"):
            answers[qid] = form.get(name, "")
        elif kind == "matching":
            answers[qid] = {left: form.get(f"{name}.{left}", "") for left in shown.get("lefts", [])}
        elif kind == "ordering":
            steps = list(shown.get("steps", []))
            positions = {}
            for index, step in enumerate(steps):
                try:
                    positions[step] = (int(form.get(f"{name}.{step}", "")), index)
                except ValueError:
                    positions[step] = (index + 1, index)
            if len({p for p, _ in positions.values()}) != len(steps):
                bad_order.append(qid)
            answers[qid] = sorted(steps, key=lambda s: positions[s])
        answers[qid] = clean_answer(kind, answers[qid])
    return answers, bad_order


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(str(v).strip() for v in value.values())
    return bool(value)


# --- grading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradedAttempt:
    """The grade of a whole attempt: per-question results, points before and after credit."""

    results: dict[str, dict[str, Any]]
    earned: float  # points before the attempt credit
    points: float  # after the attempt credit
    max_points: float

    @property
    def fraction(self) -> float:
        return round(self.earned / self.max_points, 6) if self.max_points > 0 else 0.0


def feedback_html(question: Question, private: Mapping[str, Any]) -> dict[str, str]:
    """Feedback Markdown source -> its sanitized HTML from the package's private part."""
    html: dict[str, str] = {}
    option_feedback = private.get("option_feedback") or {}
    for choice in question.choices:
        if choice.feedback_md and choice.id in option_feedback:
            html[choice.feedback_md] = option_feedback[choice.id]
    answers: Sequence[Any] = question.numeric if question.kind is Kind.NUMERIC else question.answers
    for answer, rendered in zip(answers, private.get("answer_feedback_html") or [], strict=False):
        if answer.feedback_md and rendered:
            html[answer.feedback_md] = rendered
    if question.default_feedback_md and private.get("default_feedback_html"):
        html[question.default_feedback_md] = private["default_feedback_html"]
    return html


def grade_question(
    question: Question, private: Mapping[str, Any], response: Any, hints: int
) -> dict[str, Any]:
    """The stored result of one question of an attempt."""
    if not is_answered(response):
        return {
            "fraction": 0.0,
            "points": 0.0,
            "max_points": question.points,
            "correct": False,
            "answered": False,
            "selected": [],
            "feedback_html": [],
            "error": "",
            "hints": hints,
        }
    result = grade(question, response, hints_used=hints)
    rendered = feedback_html(question, private)
    return {
        "fraction": result.fraction,
        "points": result.points,
        "max_points": question.points,
        "correct": result.correct,
        "answered": True,
        "selected": list(result.selected),
        "feedback_html": [rendered[f] for f in result.feedback_md if f in rendered],
        "error": result.error,
        "hints": hints,
    }


def grade_attempt(
    content: CourseContent,
    question_ids: list[str],
    display: Mapping[str, Any],
    answers: Mapping[str, Any],
    hints_used: Mapping[str, int],
    credit: float,
) -> GradedAttempt:
    """Grade every drawn question with the points it had in this attempt."""
    results: dict[str, dict[str, Any]] = {}
    earned = maximum = 0.0
    for qid in question_ids:
        points = float((display.get(qid) or {}).get("points", content.questions[qid].points))
        question = replace(content.questions[qid], points=points)
        result = grade_question(
            question, content.private.get(qid) or {}, answers.get(qid), int(hints_used.get(qid, 0))
        )
        results[qid] = result
        earned += float(result["points"])
        maximum += points
    return GradedAttempt(results, round(earned, 4), round(earned * credit, 4), round(maximum, 4))
