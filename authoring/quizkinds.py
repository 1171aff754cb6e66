"""Question kinds: which kind a quiz block is, and the parts of each kind built from its lines.

Every builder takes the block's `Report` and its classified lines and returns the keyword
arguments of `Question` it owns (choices, answers, pairs, steps), reporting problems as it goes.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from authoring.model import Choice, MatchPair, NumericAnswer, Step, TextAnswer, option_id
from authoring.quizgrammar import (
    EMPTY_NAME,
    FAMILY,
    FAMILY_KIND,
    FAMILY_NAME,
    KIND_FAMILY,
    NUMBER,
    NUMERIC_LOOK,
    REGEX,
    QuizLine,
    Report,
)


def shorten(text: str) -> str:
    """At most 40 characters of a line, for messages."""
    return text if len(text) <= 40 else text[:40] + "…"


def infer_kind(rep: Report, explicit: str | None, content: list[QuizLine]) -> str | None:
    """The question kind: `type=` (checking every line fits it) or inferred from the lines."""
    families: dict[str, QuizLine] = {}
    for q in content:
        families.setdefault(FAMILY[q.kind], q)
    if explicit is not None:
        expected = KIND_FAMILY[explicit]
        for family, q in families.items():
            if family != expected:
                what, value = FAMILY_NAME[family], explicit
                rep.say(
                    "misfit", q.line, q.marker, what=what, value=value, hint=FAMILY_NAME[expected]
                )
        if expected not in families:
            rep.say("none-of-type", what=FAMILY_NAME[expected])
            return None
        return explicit
    if not families:
        rep.say("nothing")
        return None
    names = list(families)
    if len(names) > 1:
        second = families[names[1]]
        if set(names[:2]) == {"round", "square"}:
            rep.say("mixed-options", second.line, second.marker)
        else:
            first, other = FAMILY_NAME[names[0]], FAMILY_NAME[names[1]]
            rep.say("mixed", second.line, second.marker, what=first, value=other)
        return None
    if names[0] != "answer":
        return FAMILY_KIND[names[0]]
    texts = [q.text for q in content]
    if all(t.lower() in ("true", "false") for t in texts):
        return "truefalse"
    if all(NUMERIC_LOOK.match(t) for t in texts):
        return "numeric"
    return "short"


def _unique(rep: Report, lines: list[QuizLine], key: str) -> Iterator[QuizLine]:
    """The lines with text, skipping (and reporting) empty and repeated ones."""
    seen: dict[str, int] = {}
    for q in lines:
        if not q.text:
            rep.say("empty", q.line, q.marker, text=EMPTY_NAME.get(q.kind, q.kind))
        elif q.text in seen:
            rep.at(q, key, text=q.text, n=seen[q.text])
        else:
            seen[q.text] = q.line
            yield q


def _choices(rep: Report, kind: str, lines: list[QuizLine], accept_any: bool) -> dict[str, Any]:
    choices = [
        Choice(option_id(rep.qid, q.text), q.text, q.correct, q.feedback, rep.ref(q))
        for q in _unique(rep, lines, "dup-option")
    ]
    if len(choices) < 2:
        rep.say("few-options", n=len(choices))
    correct = sum(c.correct for c in choices)
    if kind == "single" and correct == 0:
        rep.say("no-correct")
    elif kind == "single" and correct > 1 and not accept_any:
        rep.say("many-correct", n=correct)
    return {"choices": tuple(choices)}


def _answers(rep: Report, kind: str, lines: list[QuizLine], accept_any: bool) -> dict[str, Any]:
    if kind == "truefalse":
        return _truefalse(rep, lines)
    short: list[TextAnswer] = []
    numeric: list[NumericAnswer] = []
    for q in _unique(rep, lines, "dup-answer"):
        if kind == "numeric":
            bounds = parse_numeric(q.text)
            if isinstance(bounds, str):
                hint = "use a decimal point and no thousands separators, e.g. '3.14'"
                rep.at(q, "number", text=bounds, hint=hint if "not a number" in bounds else "")
            else:
                numeric.append(NumericAnswer(*bounds, q.weight, q.feedback, rep.ref(q)))
        elif (answer := _text_answer(rep, q)) is not None:
            short.append(answer)
    weights = [a.weight for a in short] + [n.weight for n in numeric]
    if weights and max(weights) < 1:
        rep.say("no-full")
    return {"numeric": tuple(numeric)} if kind == "numeric" else {"answers": tuple(short)}


def _text_answer(rep: Report, q: QuizLine) -> TextAnswer | None:
    match = REGEX.match(q.text)
    if match is None:
        return TextAnswer(q.text.replace("\\#", "#"), q.weight, False, "", q.feedback, rep.ref(q))
    pattern, flags = match.group(1).replace("\\#", "#"), match.group(2)
    bad = sorted(set(flags) - {"i"})
    if bad:
        rep.at(q, "regex-flag", value=bad[0], text=q.text)
        return None
    try:
        with warnings.catch_warnings():  # e.g. FutureWarning for "[[": not the author's error
            warnings.simplefilter("ignore")
            re.compile(pattern, re.IGNORECASE if flags else 0)
    except re.error as exc:
        rep.say("regex", q.line, q.column + 1 + (exc.pos or 0), text=q.text, what=exc.msg)
        return None
    return TextAnswer(pattern, q.weight, True, flags, q.feedback, rep.ref(q))


def parse_numeric(text: str) -> tuple[float, float] | str:
    """`3.14 ± 0.01`, `3.14 +- 0.01`, `3.1..3.2` or `42` as (low, high), or why it is not a number.

    Bounds are computed in decimal, so `3.14 ± 0.01` accepts exactly 3.13 and 3.15.
    """
    bounds = _numeric_bounds(text)
    if isinstance(bounds, tuple) and not all(math.isfinite(b) for b in bounds):
        return f"numeric answer '{text}' is too large"
    return bounds


def _numeric_bounds(text: str) -> tuple[float, float] | str:
    for op in ("±", "+-"):
        if op in text:
            value, tolerance = (part.strip() for part in text.split(op, 1))
            if not NUMBER.match(value):
                return f"numeric answer '{value}' is not a number"
            if not NUMBER.match(tolerance):
                return f"tolerance '{tolerance}' is not a number"
            center, spread = Decimal(value), Decimal(tolerance)
            if spread < 0:
                return f"tolerance '{tolerance}' must be >= 0"
            return float(center - spread), float(center + spread)
    if ".." in text:
        low, high = (part.strip() for part in text.split("..", 1))
        for part in (low, high):
            if not NUMBER.match(part):
                return f"numeric answer '{part}' is not a number"
        if Decimal(low) > Decimal(high):
            return f"range '{text}' has its minimum above its maximum"
        return float(low), float(high)
    if not NUMBER.match(text):
        return f"numeric answer '{text}' is not a number"
    return float(text), float(text)


def _truefalse(rep: Report, lines: list[QuizLine]) -> dict[str, Any]:
    """The truth is `truth`; the one answer line is kept in `answers` for its feedback."""
    answers = []
    for q in lines:
        if q.text.lower() in ("true", "false"):
            answers.append(TextAnswer(q.text.lower(), 1.0, False, "", q.feedback, rep.ref(q)))
        else:
            rep.at(q, "not-truth", text=q.text)
    if len(lines) != 1:
        rep.say("one-truth")
    truth = answers[0].text == "true" if answers else None
    return {"truth": truth, "answers": tuple(answers[:1])}


def _matching(rep: Report, kind: str, lines: list[QuizLine], accept_any: bool) -> dict[str, Any]:
    pairs: list[MatchPair] = []
    candidates = [q for q in lines if q.kind == "pair"]
    for q in candidates:
        if not q.right:
            rep.at(q, "no-right", text=q.text)
    with_right = [q for q in candidates if q.right]
    for q in _unique(rep, with_right, "dup-left"):
        pairs.append(MatchPair(option_id(rep.qid, q.text), q.text, q.right, rep.ref(q)))
    distractors: list[str] = []
    rights = {p.right for p in pairs}
    for q in lines:
        if q.kind != "distractor":
            continue
        if not q.right:
            rep.say("empty", q.line, q.marker, text="->")
        elif q.right in rights or q.right in distractors:
            rep.at(q, "dup-distractor", text=q.right)
        else:
            distractors.append(q.right)
    if len(pairs) < 2:
        rep.say("few-pairs", n=len(pairs))
    return {"pairs": tuple(pairs), "distractors": tuple(distractors)}


def _ordering(rep: Report, kind: str, lines: list[QuizLine], accept_any: bool) -> dict[str, Any]:
    steps = [
        Step(option_id(rep.qid, q.text), q.text, rep.ref(q))
        for q in _unique(rep, lines, "dup-step")
    ]
    if len(steps) < 2:
        rep.say("few-steps", n=len(steps))
    return {"steps": tuple(steps)}


BUILDERS = {
    "single": _choices,
    "multiple": _choices,
    "truefalse": _answers,
    "short": _answers,
    "numeric": _answers,
    "matching": _matching,
    "ordering": _ordering,
}
