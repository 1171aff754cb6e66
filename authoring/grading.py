"""Grading as pure functions: a grader per question kind, shared by the live preview and server.

`grade()` never raises for a learner's response: a malformed one (wrong type, unknown ids,
duplicates, more than `MAX_RESPONSE_CHARS` characters) scores 0 and carries an `error`.
Draws and shuffles are seeded with `seed_for()` (sha256), so every process agrees on them.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from authoring.model import Draw, Kind, Module, Question, Scoring

logger = logging.getLogger(__name__)

MAX_RESPONSE_CHARS = 10_000  # longer text answers are refused as malformed
_EPS = 1e-9  # relative slack for float comparisons (3.14 - 0.01 is 3.1300000000000003)


@dataclass(frozen=True)
class GradeResult:
    """The grade of one response to one question."""

    fraction: float  # 0..1, after the hint penalty
    points: float  # fraction * question.points, rounded to 4 places
    correct: bool  # fully right before any hint penalty
    feedback_md: tuple[str, ...] = ()  # feedback of the chosen options / matched answer / default
    selected: tuple[str, ...] = ()  # the response, normalised, for item statistics
    error: str = ""  # why the response was refused as malformed


@dataclass(frozen=True)
class Outcome:
    """What a grader returns: the raw fraction before the hint penalty."""

    fraction: float
    feedback_md: tuple[str, ...] = ()
    selected: tuple[str, ...] = ()
    matched: bool | None = None  # short/numeric: did any answer match? None: "is it right?"


class MalformedResponse(ValueError):
    """Raised inside graders for a response of the wrong shape; `grade()` turns it into data."""


Grader = Callable[[Question, object], Outcome]

#: Kind -> grader. Adding a question kind is one `@register_grader(kind)`.
GRADERS: dict[Kind, Grader] = {}


def register_grader(kind: Kind) -> Callable[[Grader], Grader]:
    """Decorator registering the grader of one question kind."""

    def deco(fn: Grader) -> Grader:
        GRADERS[kind] = fn
        return fn

    return deco


def grade(question: Question, response: object, *, hints_used: int = 0) -> GradeResult:
    """Grade one response; each revealed hint costs `hint_penalty` (floored at 0)."""
    grader = GRADERS.get(question.kind)
    if grader is None:
        return _refused(f"no grader for question kind {question.kind.value!r}")
    try:
        outcome = grader(question, response)
    except MalformedResponse as exc:
        return _refused(str(exc))
    raw = min(max(outcome.fraction, 0.0), 1.0)
    hints = min(max(int(hints_used), 0), len(question.hints))
    fraction = max(0.0, raw - hints * question.hint_penalty)
    feedback = tuple(f for f in outcome.feedback_md if f)
    matched = outcome.matched if outcome.matched is not None else raw >= 1.0 - _EPS
    if not matched and not feedback and question.default_feedback_md:
        feedback = (question.default_feedback_md,)  # `~ feedback`: for answers matching nothing
    return GradeResult(
        fraction=fraction,
        points=round(fraction * question.points, 4),
        correct=raw >= 1.0 - _EPS,
        feedback_md=feedback,
        selected=outcome.selected,
    )


def _refused(message: str) -> GradeResult:
    return GradeResult(fraction=0.0, points=0.0, correct=False, error=message)


# --- text and numbers ---------------------------------------------------------------------

_WS = re.compile(r"\s+")


def normalize_text(s: str) -> str:
    """Unicode NFC, trimmed, inner whitespace runs collapsed to one space (case is kept)."""
    return _WS.sub(" ", unicodedata.normalize("NFC", s)).strip()


_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?: [0-9]{3})+(?:[.,][0-9]+)?", re.ASCII)
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})
#: `1,000`: one thousand with a thousands separator, or 1.0 with a decimal comma?
_AMBIGUOUS_COMMA = re.compile(r"[+-]?[1-9][0-9]{0,2},[0-9]{3}", re.ASCII)


def ambiguous_comma(s: str) -> str:
    """The message for a number like `1,000` that reads two ways ("" for any other text)."""
    t = unicodedata.normalize("NFKC", s).translate(_MINUS_SIGNS).strip()
    whole, point = t.replace(",", ""), t.replace(",", ".")
    message = f"'{t}' could mean {whole} or {point}: write {whole}, or {point} with a point"
    return message if _AMBIGUOUS_COMMA.fullmatch(t) else ""


def parse_number(s: str) -> float | None:
    """A learner's number, or None when it is not one.

    Accepted: surrounding spaces, `+`/`-`/`−` signs, a decimal point or a decimal comma
    (`3,14`), exponents (`6.02e23`), and spaces as thousands separators in groups of three
    (`1 000`, `12 345,5`; any Unicode space counts). Refused: a comma and a point together
    (`1,000.5`), a comma before exactly three digits (`1,000`: thousands or decimal? see
    `ambiguous_comma`), `inf`, `nan`, `1_000`, empty text.
    """
    if not isinstance(s, str) or len(s) > 100:
        return None
    text = unicodedata.normalize("NFKC", s).translate(_MINUS_SIGNS).strip()
    text = _WS.sub(" ", text)
    if _GROUPED.fullmatch(text):
        text = text.replace(" ", "")
    if "," in text:
        if "." in text or text.count(",") > 1 or _AMBIGUOUS_COMMA.fullmatch(text):
            return None
        text = text.replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _fmt_number(x: float) -> str:
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _EPS * max(1.0, abs(a), abs(b))


# --- graders ---------------------------------------------------------------------------------


def _ids(response: object, what: str) -> list[str]:
    if not isinstance(response, list | tuple):
        raise MalformedResponse(f"expected a list of {what} ids, got {type(response).__name__}")
    if not all(isinstance(x, str) for x in response):
        raise MalformedResponse(f"{what} ids must be strings")
    ids = list(response)
    if len(set(ids)) != len(ids):
        raise MalformedResponse(f"the same {what} is listed twice")
    return ids


def _text(response: object) -> str:
    if not isinstance(response, str):
        raise MalformedResponse(f"expected text, got {type(response).__name__}")
    if len(response) > MAX_RESPONSE_CHARS:
        raise MalformedResponse(f"answer is longer than {MAX_RESPONSE_CHARS} characters")
    return response


@register_grader(Kind.SINGLE)
def grade_single(question: Question, response: object) -> Outcome:
    """Full credit when the chosen option is a correct one."""
    if not isinstance(response, str):
        raise MalformedResponse(f"expected one option id, got {type(response).__name__}")
    chosen = next((c for c in question.choices if c.id == response), None)
    if chosen is None:
        raise MalformedResponse("unknown option id")
    return Outcome(1.0 if chosen.correct else 0.0, (chosen.feedback_md,), (chosen.id,))


@register_grader(Kind.MULTIPLE)
def grade_multiple(question: Question, response: object) -> Outcome:
    """All-or-nothing, or partial: (right picks - wrong picks) / correct options, floored at 0."""
    picked = set(_ids(response, "option"))
    known = {c.id for c in question.choices}
    if not picked <= known:
        raise MalformedResponse("unknown option id")
    chosen = [c for c in question.choices if c.id in picked]  # question order: stable stats
    n_correct = sum(1 for c in question.choices if c.correct)
    right = sum(1 for c in chosen if c.correct)
    wrong = len(chosen) - right
    if question.scoring is Scoring.PARTIAL and n_correct:
        fraction = max(0.0, (right - wrong) / n_correct)
    else:
        fraction = 1.0 if right == n_correct and wrong == 0 else 0.0
    return Outcome(fraction, tuple(c.feedback_md for c in chosen), tuple(c.id for c in chosen))


@register_grader(Kind.TRUEFALSE)
def grade_truefalse(question: Question, response: object) -> Outcome:
    """Full credit when the answer equals the statement's truth; accepts bools or "true"/"false"."""
    if isinstance(response, bool):
        value = response
    elif isinstance(response, str) and response.strip().lower() in ("true", "false"):
        value = response.strip().lower() == "true"
    else:
        raise MalformedResponse("expected true or false")
    word = "true" if value else "false"
    # Feedback for a given answer may be attached as `= true # ...` (a TextAnswer "true").
    feedback = tuple(
        a.feedback_md for a in question.answers if a.text.strip().lower() == word and a.feedback_md
    )
    return Outcome(1.0 if value is question.truth else 0.0, feedback, (word,))


def _short_key(question: Question, text: str) -> str:
    norm = normalize_text(text)
    return norm if question.case_sensitive else norm.casefold()


_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def _regex_matches(pattern: str, flags: str, text: str) -> bool:
    bits = 0
    for ch in flags:
        bits |= _REGEX_FLAGS.get(ch, 0)
    try:
        return re.fullmatch(pattern, text, bits) is not None
    except re.error:
        logger.warning("invalid regex in a short answer; treated as no match")
        return False


@register_grader(Kind.SHORT)
def grade_short(question: Question, response: object) -> Outcome:
    """The best weight among matching answers (literal after normalisation, or regex full match)."""
    raw = _text(response)
    norm = normalize_text(raw)
    key = _short_key(question, raw)
    best = None
    for ans in question.answers:
        if ans.regex:
            hit = _regex_matches(ans.text, ans.regex_flags, norm)
        else:
            hit = _short_key(question, ans.text) == key
        if hit and (best is None or ans.weight > best.weight):
            best = ans
    if best is None:
        return Outcome(0.0, (), (key,), matched=False)
    return Outcome(best.weight, (best.feedback_md,), (key,), matched=True)


@register_grader(Kind.NUMERIC)
def grade_numeric(question: Question, response: object) -> Outcome:
    """The best weight among ranges containing the number (inclusive, with float slack)."""
    if isinstance(response, bool) or not isinstance(response, int | float | str):
        raise MalformedResponse(f"expected a number, got {type(response).__name__}")
    if isinstance(response, str):
        text = _text(response)
        if not text.strip():
            return Outcome(0.0, (), ("",), matched=False)
        value = parse_number(text)
        if value is None:
            why = ambiguous_comma(text) or f"{text.strip()[:40]!r} is not a number"
            raise MalformedResponse(why)
    else:
        value = float(response)
        if not math.isfinite(value):
            raise MalformedResponse("not a finite number")
    best = None
    for ans in question.numeric:
        inside = (value >= ans.low or _close(value, ans.low)) and (
            value <= ans.high or _close(value, ans.high)
        )
        if inside and (best is None or ans.weight > best.weight):
            best = ans
    shown = (_fmt_number(value),)
    if best is None:
        return Outcome(0.0, (), shown, matched=False)
    return Outcome(best.weight, (best.feedback_md,), shown, matched=True)


@register_grader(Kind.MATCHING)
def grade_matching(question: Question, response: object) -> Outcome:
    """All-or-nothing, or partial: the fraction of left items given their right-hand side."""
    if not isinstance(response, dict):
        raise MalformedResponse(f"expected a mapping of left ids, got {type(response).__name__}")
    lefts = {p.id for p in question.pairs}
    rights = [p.right for p in question.pairs] + list(question.distractors)
    offered = {normalize_text(r) for r in rights}
    answers: dict[str, str] = {}
    for left, right in response.items():
        if left not in lefts:
            raise MalformedResponse("unknown left item id")
        if right is None or right == "":
            continue  # left unanswered
        norm = normalize_text(_text(right))
        if norm not in offered:
            raise MalformedResponse("unknown right-hand side")
        answers[left] = norm
    good = sum(1 for p in question.pairs if answers.get(p.id) == normalize_text(p.right))
    total = len(question.pairs)
    if question.scoring is Scoring.PARTIAL and total:
        fraction = good / total
    else:
        fraction = 1.0 if good == total else 0.0
    selected = tuple(f"{p.id}->{answers[p.id]}" for p in question.pairs if p.id in answers)
    return Outcome(fraction, (), selected)


@register_grader(Kind.ORDERING)
def grade_ordering(question: Question, response: object) -> Outcome:
    """All-or-nothing, or partial: the share of the correct order's adjacent pairs kept adjacent.

    A pair counts when two steps that follow each other in the correct order also follow each
    other, in that order, in the response (Moodle's "relative to the next item").
    """
    order = _ids(response, "step")
    position = {s.id: i for i, s in enumerate(question.steps)}
    if set(order) != set(position):
        raise MalformedResponse("the response must list every step exactly once")
    n_pairs = len(order) - 1
    kept = sum(1 for a, b in itertools.pairwise(order) if position[b] == position[a] + 1)
    if question.scoring is Scoring.PARTIAL and n_pairs > 0:
        fraction = kept / n_pairs
    else:
        fraction = 1.0 if kept == n_pairs else 0.0
    return Outcome(fraction, (), tuple(order))


# --- seeds, shuffles, draws, credit ----------------------------------------------------------


def seed_for(*parts: str | int) -> int:
    """A 64-bit seed from the parts, stable across processes and Python versions (sha256)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            data = b"s" + part.encode("utf-8")
        elif isinstance(part, int):
            data = b"i" + str(int(part)).encode("ascii")
        else:
            raise TypeError(f"seed parts are str or int, not {type(part).__name__}")
        h.update(len(data).to_bytes(8, "big") + data)
    return int.from_bytes(h.digest()[:8], "big")


def shuffled(ids: Sequence[str], seed: int) -> list[str]:
    """A copy of `ids` in an order fixed by `seed`."""
    out = list(ids)
    random.Random(seed).shuffle(out)  # noqa: S311 - fairness, not secrecy
    return out


def draw_questions(pool: Sequence[Question], draw: Draw, seed: int) -> list[Question]:
    """`draw.count` questions of the pool with any of `draw.tags` (no tags: the whole pool), in
    pool order, picked by the seed alone; with `draw.points`, copies worth that many points."""
    wanted = set(draw.tags)
    candidates = [q for q in pool if not wanted or wanted.intersection(q.tags)]
    count = max(0, min(draw.count, len(candidates)))
    if count < draw.count:
        logger.warning("draw %s wants %d questions, only %d match", draw.id, draw.count, count)
    rng = random.Random(seed)  # noqa: S311 - fairness, not secrecy
    picked = sorted(rng.sample(range(len(candidates)), count))
    chosen = [candidates[i] for i in picked]
    if draw.points is not None:
        chosen = [replace(q, points=draw.points) for q in chosen]
    return chosen


def attempt_credit(module: Module, attempt_no: int) -> float:
    """Share of the points attempt `attempt_no` (1-based) can earn; the last value repeats."""
    if attempt_no < 1:
        raise ValueError("attempts are numbered from 1")
    credits = module.attempt_credit
    if not credits:
        return 1.0
    return float(credits[min(attempt_no, len(credits)) - 1])


def module_score(
    results: Iterable[GradeResult], max_points: float, *, credit: float = 1.0
) -> float:
    """A module's score 0..1: points earned times the attempt credit, over the module's points."""
    if max_points <= 0:
        return 0.0
    earned = sum(r.points for r in results) * credit
    return round(min(max(earned / max_points, 0.0), 1.0), 6)
