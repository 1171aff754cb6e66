"""GIFT export: questions as Moodle's GIFT text, escaped as Moodle's own `repchar` does.

Kinds GIFT cannot express (ordering, regular-expression answers) are skipped, each with a
`// skipped` comment line, so nothing disappears silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from authoring.interop.giftkinds import MISSING_WORD
from authoring.model import Kind, Question


def _esc(text: str) -> str:
    r"""Moodle's `repchar`: escape `\ # = ~ { } :` and write newlines as `\n`."""
    out = text.replace("\\", "\\\\")
    for ch in "#=~{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", "").replace("\n", "\\n")


def _fb(text: str) -> str:
    return f"#{_esc(text)}" if text else ""


def _pct(weight: float) -> str:
    return f"{weight * 100:.5f}".rstrip("0").rstrip(".")


def _weighted(weight: float) -> str:
    return "=" if weight == 1 else f"=%{_pct(weight)}%"


def _num(x: float) -> str:
    x = float(x)  # an int has no is_integer() before Python 3.12
    return str(int(x)) if x.is_integer() else format(Decimal(repr(x)), "f")


def _answer_rows(q: Question) -> list[str]:
    """The lines between `{` and `}` for the kinds written as a list of answers."""
    if q.kind in (Kind.SINGLE, Kind.MULTIPLE):
        share = _pct(1 / (sum(c.correct for c in q.choices) or 1))
        rows = []
        for c in q.choices:
            if q.kind is Kind.SINGLE:
                mark = "=" if c.correct else "~"
            else:
                mark = f"~%{share}%" if c.correct else f"~%-{share}%"
            rows.append(f"{mark}{_esc(c.text_md)}{_fb(c.feedback_md)}")
        return rows
    if q.kind is Kind.SHORT:
        rows = [
            _weighted(a.weight) + _esc(a.text).replace("*", "\\*") + _fb(a.feedback_md)
            for a in q.answers
        ]
        return rows + ([f"=%0%*{_fb(q.default_feedback_md)}"] if q.default_feedback_md else [])
    if q.kind is Kind.NUMERIC:
        rows = []
        for a in q.numeric:
            value = _num(a.low) if a.low == a.high else f"{_num(a.low)}..{_num(a.high)}"
            rows.append(f"{_weighted(a.weight)}{value}{_fb(a.feedback_md)}")
        return rows + ([f"~{_fb(q.default_feedback_md)}"] if q.default_feedback_md else [])
    rows = [f"={_esc(p.left_md)} -> {_esc(p.right)}" for p in q.pairs]
    return rows + [f"= -> {_esc(d)}" for d in q.distractors]


def _skip_reason(q: Question) -> str:
    if q.kind is Kind.ORDERING:
        return "ordering questions have no GIFT form"
    if q.kind is Kind.SHORT and any(a.regex for a in q.answers):
        return "regular-expression answers have no GIFT form"
    return ""


def write_gift(questions: Sequence[Question]) -> str:
    """GIFT text for the questions; kinds GIFT cannot express are skipped with a comment line."""
    out: list[str] = []
    for q in questions:
        reason = _skip_reason(q)
        if reason:
            out.append(f"// skipped {q.id}: {reason}\n")
            continue
        general = f"####{_esc(q.explain_md)}" if q.explain_md else ""
        if q.kind is Kind.TRUEFALSE:
            word = "true" if q.truth else "false"
            right = next((a.feedback_md for a in q.answers if a.text.lower() == word), "")
            feedback = f"#{_esc(q.default_feedback_md)}" if q.default_feedback_md or right else ""
            feedback += _fb(right)
            block = "{" + word.upper() + feedback + general + "}"
        else:
            lines = [*_answer_rows(q), general] if general else _answer_rows(q)
            opener = "{#\n" if q.kind is Kind.NUMERIC else "{\n"
            block = opener + "".join(f"\t{row}\n" for row in lines) + "}"
        stem, blank = _esc(q.stem_md), _esc(MISSING_WORD)
        if stem.count(blank) == 1:
            before, after = stem.split(blank)
            text = f"{before}{block}{after}"
        else:
            text = f"{stem} {block}"
        head = "".join(f"// [tag:{t}]\n" for t in q.tags)
        out.append(f"// [id:{q.id}]\n{head}::{_esc(q.id)}::[markdown]{text}\n")
    return "\n".join(out)
