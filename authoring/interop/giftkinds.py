"""GIFT import, the parts: escapes, text formats and one builder per GIFT question kind.

`authoring.interop.gift` splits a file into questions and calls the builder its answer block
calls for; Moodle's own error strings are kept verbatim here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from authoring.model import (
    Choice,
    Kind,
    MatchPair,
    NumericAnswer,
    Question,
    Scoring,
    SourceRef,
    TextAnswer,
    option_id,
)

# Moodle's strings, verbatim (qformat_gift, and the core `errornotnumbers`).
BRACE_ERROR = "Could not find {...} around answers"
LEFT_BRACE_ERROR = "Could not find a {"
RIGHT_BRACE_ERROR = "Could not find a }"
MATCHING_FORMAT = "Matching question answers are improperly formatted"
NO_NUMERICAL_ANSWERS = "No answers found for numerical question"
IMPORT_MIN_ERROR = (
    "There is an error in the question. There are not enough answers for this question type"
)
ERROR_NOT_NUMBERS = "Error - answers must be numeric"

_PLACE = {":": "\ue03a", "#": "\ue023", "=": "\ue03d", "{": "\ue07b", "}": "\ue07d", "~": "\ue07e"}
_PLACE |= {"n": "\ue00a", "\\": "\ue05c"}
BACK = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _PLACE.items()})
BLANK = "\ue0ff"  # where a missing-word answer block stood
MISSING_WORD = r"\_\_\_\_\_"  # Moodle's "_____", escaped so Markdown shows underscores
_WEIGHT = re.compile(r"%(-*)([0-9]{1,2}\.?[0-9]*)%")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FORMATS = ("moodle", "html", "plain", "markdown")


def plain_to_markdown(text: str) -> str:
    """Plain text as Markdown that renders the same characters (Aiken, GIFT `[plain]`)."""
    out = re.sub(r"([\\`*_\[\]])", r"\\\1", text).replace("<", "&lt;")
    return re.sub(r"(?m)^(\s*)(#)", r"\1&#35;", out)


class Cooked:
    """One question's lines joined, escapes replaced by placeholders, each char's (line, col)."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        chars: list[str] = []
        self.pos: list[tuple[int, int]] = []
        for k, (n, raw) in enumerate(lines):
            if k:
                prev_n, prev_raw = lines[k - 1]
                chars.append("\n")
                self.pos.append((prev_n, len(prev_raw) + 1))
            body = raw.strip()
            offset = len(raw) - len(raw.lstrip())
            i = 0
            while i < len(body):
                ch = body[i]
                if ch == "\\" and i + 1 < len(body) and body[i + 1] in _PLACE:
                    chars.append(_PLACE[body[i + 1]])
                    self.pos.append((n, offset + i + 1))
                    i += 2
                    continue
                chars.append(ch)
                self.pos.append((n, offset + i + 1))
                i += 1
        self.s = "".join(chars)

    def loc(self, i: int) -> tuple[int, int]:
        return self.pos[min(i, len(self.pos) - 1)] if self.pos else (1, 1)

    def strip(self, a: int, b: int) -> tuple[int, int]:
        while a < b and self.s[a].isspace():
            a += 1
        while b > a and self.s[b - 1].isspace():
            b -= 1
        return a, b

    def cuts(self, a: int, b: int, marks: str) -> list[tuple[int, int]]:
        """Spans starting at each marker character (kept), after the leading span."""
        starts = [a] + [i for i in range(a, b) if self.s[i] in marks]
        return [(s, e) for s, e in zip(starts, [*starts[1:], b], strict=True)]


def _split_format(cooked: str, default: str) -> tuple[str, str]:
    """Moodle's `parse_text_with_format`: an optional `[html]`-like prefix, and the text."""
    raw = cooked.strip()
    if raw.startswith("[") and "]" in raw and raw[1 : raw.index("]")] in _FORMATS:
        return raw[1 : raw.index("]")], raw[raw.index("]") + 1 :]
    return default, raw


def formatted(cooked: str, default: str = "moodle") -> tuple[str, str]:
    """Markdown of cooked text, and its format (`[plain]` text is escaped for Markdown)."""
    fmt, raw = _split_format(cooked, default)
    out = raw.translate(BACK).strip()
    return (plain_to_markdown(out) if fmt == "plain" else out), fmt


def to_md(cooked: str, fmt: str) -> str:
    """Markdown of cooked text in the question's text format."""
    return formatted(cooked, fmt)[0]


def _plain(cooked: str) -> str:
    """Answer text compared as plain text: format prefix dropped, escapes resolved."""
    return _split_format(cooked, "plain")[1].translate(BACK).strip()


def _answer_parts(cooked: str, fmt: str) -> tuple[str, str]:
    """Moodle's `commentparser`: the answer (still cooked) and its `#feedback` as Markdown."""
    text, _, feedback = cooked.partition("#")
    return text.strip(), to_md(feedback, fmt)


def _weight(text: str) -> tuple[float | None, str]:
    """Moodle's `%50%` answer weight (as 0.5) and the text after it; None when absent."""
    m = _WEIGHT.match(text)
    if not m:
        return None, text
    return float(m.group(2)) / 100 * (-1 if m.group(1) else 1), text[m.end() :]


class Add(Protocol):
    """Reports a problem at a character index of the cooked question text."""

    def __call__(self, code: str, i: int, message: str, hint: str = "") -> None: ...


Builder = Callable[[Cooked, int, int, str, dict[str, Any], Add], "Question | None"]


def build_multichoice(
    ck: Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: Add
) -> Question | None:
    """`{=right ~wrong}` (single) or `{~%50%a ~%50%b}` (multiple response)."""
    single = "=" in ck.s[aa:ab]
    spans = [ck.strip(*sp) for sp in ck.cuts(aa, ab, "=~")]
    spans = [sp for k, sp in enumerate(spans) if k or sp[0] < sp[1]]
    if len(spans) < 2:
        add("G005", aa, IMPORT_MIN_ERROR)
        return None
    rows: list[tuple[str, float, str, tuple[int, int]]] = []
    for sa, sb in spans:
        piece = ck.s[sa:sb]
        if piece.startswith("="):
            weight, rest = 1.0, piece[1:]
        else:
            found, rest = _weight(piece.removeprefix("~").lstrip())
            weight = found or 0.0
        text, feedback = _answer_parts(rest, fmt)
        rows.append((to_md(text, fmt), weight, feedback, ck.loc(sa)))
    if single:
        correct = [w >= 1.0 for _, w, _, _ in rows]
        if any(0 < w < 1 for _, w, _, _ in rows):
            add("G008", aa, "partial weights on single-choice options are dropped")
    else:
        correct = [w > 0 for _, w, _, _ in rows]
        if len({round(w, 6) for _, w, _, _ in rows if w > 0}) != 1:
            add("G008", aa, "multiple-answer weights are approximated by right-minus-wrong scoring")
    path = common["where"].path
    choices = tuple(
        Choice(option_id(common["id"], t), t, ok, fb, SourceRef(path, *loc))
        for (t, _, fb, loc), ok in zip(rows, correct, strict=True)
    )
    return Question(
        kind=Kind.SINGLE if single else Kind.MULTIPLE,
        choices=choices,
        scoring=Scoring.ALL_OR_NOTHING if single else Scoring.PARTIAL,
        accept_any=single and sum(correct) > 1,
        **common,
    )


def _eq_spans(ck: Cooked, aa: int, ab: int) -> list[tuple[int, int]]:
    """Moodle's `explode('=')`: pieces after each `=`, plus a non-empty leading piece."""
    spans = [ck.strip(*sp) for sp in ck.cuts(aa, ab, "=")]
    out = [spans[0]] if spans[0][0] < spans[0][1] else []
    return out + [ck.strip(sa + 1, sb) for sa, sb in spans[1:]]


def build_matching(
    ck: Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: Add
) -> Question | None:
    """`{=left -> right ...}`: a matching question, partial credit as in Moodle."""
    spans = _eq_spans(ck, aa, ab)
    if len(spans) < 2:
        add("G005", aa, IMPORT_MIN_ERROR)
        return None
    pairs: list[MatchPair] = []
    distractors: list[str] = []
    for sa, sb in spans:
        marker = ck.s.find("->", sa, sb)
        if marker < 0:
            add("G003", sa, MATCHING_FORMAT)
            return None
        left, right = to_md(ck.s[sa:marker], fmt), ck.s[marker + 2 : sb].translate(BACK).strip()
        if not left:  # Moodle: a pair with no question is an extra wrong answer
            distractors.append(right)
            continue
        where = SourceRef(common["where"].path, *ck.loc(sa))
        pairs.append(MatchPair(option_id(common["id"], left), left, right, where))
    if len(pairs) < 2:
        add("G005", aa, IMPORT_MIN_ERROR)
        return None
    return Question(
        kind=Kind.MATCHING,
        pairs=tuple(pairs),
        distractors=tuple(distractors),
        scoring=Scoring.PARTIAL,
        **common,
    )


def build_truefalse(
    ck: Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: Add
) -> Question | None:
    """`{T}` / `{FALSE#wrong#right}`: a true/false question with its feedback."""
    parts = [*ck.s[aa:ab].split("#", 2), "", ""]
    truth = parts[0].strip() in ("T", "TRUE")
    wrong, right = to_md(parts[1], fmt), to_md(parts[2], fmt)
    answers = (TextAnswer("true" if truth else "false", feedback_md=right),)  # as quiz.py does
    return Question(
        kind=Kind.TRUEFALSE, truth=truth, answers=answers, default_feedback_md=wrong, **common
    )


def _wildcard(text: str) -> str:
    r"""Moodle's short-answer `*` wildcard (`\*` is a literal star) as a Python regex."""
    parts = re.split(r"(?<!\\)\*", text)
    return ".*".join(re.escape(p.replace("\\*", "*")) for p in parts)


def build_short(
    ck: Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: Add
) -> Question | None:
    """`{=answer =%50%partly}`: a short answer; Moodle's `*` wildcard becomes a regex."""
    spans = [sp for sp in _eq_spans(ck, aa, ab) if sp[0] < sp[1]]  # `{=}` has no answer
    if not spans:
        add("G005", aa, IMPORT_MIN_ERROR)
        return None
    answers: list[TextAnswer] = []
    default = ""
    for sa, sb in spans:
        weight, rest = _weight(ck.s[sa:sb])
        cooked, feedback = _answer_parts(rest, fmt)
        text, w = _plain(cooked), (1.0 if weight is None else weight)
        where = SourceRef(common["where"].path, *ck.loc(sa))
        if text == "*" and w <= 0:
            default = feedback
        elif re.search(r"(?<!\\)\*", text):
            add("G008", sa, "the * wildcard becomes a case-insensitive regular expression")
            answers.append(TextAnswer(_wildcard(text), w, True, "i", feedback, where))
        else:
            answers.append(TextAnswer(text.replace("\\*", "*"), w, False, "", feedback, where))
    return Question(kind=Kind.SHORT, answers=tuple(answers), default_feedback_md=default, **common)


def _numbers(text: str) -> tuple[float, float] | str:
    """(low, high) of `min..max`, `value:tolerance` or `value`; a hint string when invalid."""
    if text.find("..") > 0:
        low_s, high_s = (p.strip() for p in text.split("..", 1))
        bad = [t for t in (low_s, high_s) if not _NUMBER.fullmatch(t)]
        if bad:
            return f"{bad[0]!r} is not a number"
        low, high = float(low_s), float(high_s)
    else:
        value_s, _, tol_s = text.partition(":") if text.find(":") > 0 else (text, "", "0")
        value_s, tol_s = value_s.strip(), tol_s.strip()
        bad = [t for t in (value_s, tol_s) if not _NUMBER.fullmatch(t)]
        if bad:
            return f"{bad[0]!r} is not a number"
        if float(tol_s) < 0:
            return "the tolerance must not be negative"
        low, high = float(value_s) - float(tol_s), float(value_s) + float(tol_s)
    return (low, high) if low <= high else "the range minimum is greater than its maximum"


def build_numerical(
    ck: Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: Add
) -> Question | None:
    """`{#3.14:0.01}` / `{#1..2}`: a numeric question with tolerances and ranges."""
    aa += 1  # the leading "#"
    default = ""
    tilde = ck.s.find("~", aa, ab)
    if tilde >= 0:
        default = _answer_parts(ck.s[tilde + 1 : ab], fmt)[1]
        ab = ck.strip(aa, tilde)[1]
    spans = _eq_spans(ck, aa, ab)
    if not spans:
        add("G004", aa - 1, NO_NUMERICAL_ANSWERS)
        return None
    answers: list[NumericAnswer] = []
    for sa, sb in spans:
        weight, rest = _weight(ck.s[sa:sb])
        cooked, feedback = _answer_parts(rest, fmt)
        bounds = _numbers(cooked.translate(BACK))
        if isinstance(bounds, str):
            add("G006", sa, ERROR_NOT_NUMBERS, bounds)
            return None
        where = SourceRef(common["where"].path, *ck.loc(sa))
        answers.append(NumericAnswer(*bounds, 1.0 if weight is None else weight, feedback, where))
    return Question(
        kind=Kind.NUMERIC, numeric=tuple(answers), default_feedback_md=default, **common
    )
