"""Questions as a bank file: Markdown with one ```quiz block per question (docs/format-spec.md).

The loader reads the result back to equal questions (ids, kinds, answers, weights, feedback,
tags). Every block states `type=` so inference never changes a kind. What the line grammar cannot
carry is flattened: a newline inside an option, answer, feedback or hint becomes a space, blank
lines inside `explain` are dropped, and stem lines lose their indentation. ` # ` inside an option
is written `\\#`, and a matching line whose left side starts like a marker gets a leading `\\`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from decimal import Decimal

from authoring.model import Kind, Question, Scoring

logger = logging.getLogger(__name__)

_CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)
_LEADING_MARKER = re.compile(r"^(?:\(|\[|=|~|\?|\\|[0-9]+\.|hint:|explain:)")
_FEEDBACK_HASH = re.compile(r"(?<=\s)#(?=\s|$)")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _inline(text: str) -> str:
    """Text before a possible ` # feedback`: one line, a ` # ` inside it escaped."""
    return _FEEDBACK_HASH.sub(r"\\#", _one_line(text))


def _fb(text: str) -> str:
    return f" # {_one_line(text)}" if text.strip() else ""


def _num(x: float) -> str:
    x = float(x)  # an int has no is_integer() before Python 3.12
    return str(int(x)) if x.is_integer() else format(Decimal(repr(x)), "f")


def _weight(w: float) -> str:
    if w == 1:
        return "="
    return "=" + f"{w * 100:.6f}".rstrip("0").rstrip(".") + "%"


def _value(text: str) -> str:
    return json.dumps(text, ensure_ascii=False) if re.search(r'[\s"]', text) else text


def _header(q: Question) -> str:
    opts = [f"id={q.id}", f"type={q.kind.value}"]
    if q.points != 1:
        opts.append(f"points={_num(q.points)}")
    if not q.shuffle:
        opts.append("shuffle=false")
    if q.scoring is Scoring.PARTIAL:
        opts.append("scoring=partial")
    if q.case_sensitive:
        opts.append("case=sensitive")
    if q.accept_any and q.kind is Kind.SINGLE:
        opts.append("accept=any")
    if q.attempts is not None:
        opts.append(f"attempts={q.attempts}")
    if q.hint_penalty:
        opts.append(f"hint_penalty={_num(q.hint_penalty)}")
    if q.tags:
        opts.append(f"tags={_value(','.join(q.tags))}")
    return "```quiz " + " ".join(opts)


def _body(q: Question) -> list[str]:
    lines = [f"? {line}".rstrip() for line in q.stem_md.split("\n")]
    if q.kind in _CHOICE_KINDS:
        box = "({})" if q.kind is Kind.SINGLE else "[{}]"
        for c in q.choices:
            mark = box.format("x" if c.correct else " ")
            lines.append(f"{mark} {_inline(c.text_md)}{_fb(c.feedback_md)}")
    elif q.kind is Kind.TRUEFALSE:
        word = "true" if q.truth else "false"
        feedback = next((a.feedback_md for a in q.answers if a.text.lower() == word), "")
        lines.append(f"= {word}{_fb(feedback)}")
    elif q.kind is Kind.SHORT:
        for a in q.answers:
            regex = "/" + _FEEDBACK_HASH.sub(r"\\#", a.text) + "/" + a.regex_flags
            text = regex if a.regex else _inline(a.text)
            lines.append(f"{_weight(a.weight)} {text}{_fb(a.feedback_md)}")
    elif q.kind is Kind.NUMERIC:
        for n in q.numeric:
            value = _num(n.low) if n.low == n.high else f"{_num(n.low)}..{_num(n.high)}"
            lines.append(f"{_weight(n.weight)} {value}{_fb(n.feedback_md)}")
    elif q.kind is Kind.MATCHING:
        for p in q.pairs:
            left = _one_line(p.left_md)
            escape = "\\" if _LEADING_MARKER.match(left) else ""
            lines.append(f"{escape}{left} -> {_one_line(p.right)}")
        lines.extend(f"-> {_one_line(d)}" for d in q.distractors)
    elif q.kind is Kind.ORDERING:
        lines.extend(f"{i}. {_one_line(s.text_md)}" for i, s in enumerate(q.steps, 1))
    if q.kind in (Kind.SHORT, Kind.NUMERIC, Kind.TRUEFALSE):
        lines.extend(f"~ {line}" for line in q.default_feedback_md.split("\n") if line.strip())
    elif q.default_feedback_md:
        logger.warning("quiz %s: default feedback has no place in a %s block", q.id, q.kind.value)
    lines.extend(f"hint: {_one_line(h)}" for h in q.hints if h.strip())
    lines.extend(f"explain: {line}" for line in q.explain_md.split("\n") if line.strip())
    return lines


def write_bank(questions: Sequence[Question], title: str = "") -> str:
    """A bank file holding the questions, in order, one quiz block each."""
    parts = [f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n"] if title else []
    for q in questions:
        parts.append("\n".join([_header(q), *_body(q), "```"]) + "\n")
    return "\n".join(parts)
