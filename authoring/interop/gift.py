"""GIFT (Moodle) import and export, following Moodle's own `question/format/gift/format.php`.

Import reports Moodle's own error strings with file:line:col and codes G001-G008. Mappings:
`// [id:x]` -> quiz id (else the slug of `::Name::`, else `gift-<n>`); `// [tag:x]` and the last
segment of `$CATEGORY:` -> tags; `####` -> explain; multiple answer (no `=`) -> `multiple` with
partial scoring (Moodle always gives partial credit there); matching -> partial scoring too;
`{TRUE#wrong#right}` -> truth, `~` feedback (wrong) and the `= true # right` answer;
short answers with Moodle's `*` wildcard -> case-insensitive regex, and a lone `=%0%*#text`
-> the default feedback. Negative weights become plain wrong options. Two deliberate leniencies:
a line starting `::`, `//` or `$CATEGORY:` after a question's closing `}` starts the next question
even without a blank line, and weights may be written `%100%`.
Export writes `[markdown]` text; GIFT has no all-or-nothing multiple response or matching (Moodle
gives partial credit), no points, hints, shuffle or case setting, so those are not written.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from authoring.diagnostics import Diagnostic, DiagnosticBag
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

logger = logging.getLogger(__name__)

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
_BACK = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _PLACE.items()})
_BLANK = "\ue0ff"  # where a missing-word answer block stood
MISSING_WORD = r"\_\_\_\_\_"  # Moodle's "_____", escaped so Markdown shows underscores
_WEIGHT = re.compile(r"%(-*)([0-9]{1,2}\.?[0-9]*)%")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FORMATS = ("moodle", "html", "plain", "markdown")


def slugify(text: str, max_len: int = 60) -> str:
    """A quiz-id slug (`[a-z0-9][a-z0-9-]*`) from any text; "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-")


def plain_to_markdown(text: str) -> str:
    """Plain text as Markdown that renders the same characters (Aiken, GIFT `[plain]`)."""
    out = re.sub(r"([\\`*_\[\]])", r"\\\1", text).replace("<", "&lt;")
    return re.sub(r"(?m)^(\s*)(#)", r"\1&#35;", out)


class _Cooked:
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


@dataclass
class _State:
    path: str
    bag: DiagnosticBag = field(default_factory=DiagnosticBag)
    used: set[str] = field(default_factory=set)
    category: str = ""
    count: int = 0

    def unique(self, base: str) -> str:
        cand, k = base, 2
        while cand in self.used:
            cand, k = f"{base}-{k}", k + 1
        self.used.add(cand)
        return cand


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Questions: runs of non-blank lines (see the module docstring for the one leniency)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    opened = closed = False
    for n, line in enumerate(text.split("\n"), 1):
        t = line.strip()
        starts_new = t.startswith(("::", "//", "$CATEGORY:"))
        if not t or (closed and starts_new) or t.startswith("$CATEGORY:"):
            if current:
                blocks.append(current)
            current, opened, closed = [], False, False
            if not t:
                continue
        current.append((n, line))
        if t.startswith("$CATEGORY:"):
            blocks.append(current)
            current = []
        elif not t.startswith("//"):
            for ch in re.sub(r"\\.", "", t):
                opened = opened or ch == "{"
                closed = closed or (ch == "}" and opened)
    if current:
        blocks.append(current)
    return blocks


def parse_gift(text: str, path: str) -> tuple[list[Question], list[Diagnostic]]:
    """Questions of a GIFT file, and every problem found (nothing stops at the first)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    st = _State(path)
    questions = [q for block in _blocks(text) if (q := _parse_block(block, st)) is not None]
    return questions, st.bag.items


def _split_format(cooked: str, default: str) -> tuple[str, str]:
    """Moodle's `parse_text_with_format`: an optional `[html]`-like prefix, and the text."""
    raw = cooked.strip()
    if raw.startswith("[") and "]" in raw and raw[1 : raw.index("]")] in _FORMATS:
        return raw[1 : raw.index("]")], raw[raw.index("]") + 1 :]
    return default, raw


def _formatted(cooked: str, default: str = "moodle") -> tuple[str, str]:
    """Markdown of cooked text, and its format (`[plain]` text is escaped for Markdown)."""
    fmt, raw = _split_format(cooked, default)
    out = raw.translate(_BACK).strip()
    return (plain_to_markdown(out) if fmt == "plain" else out), fmt


def _md(cooked: str, fmt: str) -> str:
    return _formatted(cooked, fmt)[0]


def _plain(cooked: str) -> str:
    """Answer text compared as plain text: format prefix dropped, escapes resolved."""
    return _split_format(cooked, "plain")[1].translate(_BACK).strip()


def _answer_parts(cooked: str, fmt: str) -> tuple[str, str]:
    """Moodle's `commentparser`: the answer (still cooked) and its `#feedback` as Markdown."""
    text, _, feedback = cooked.partition("#")
    return text.strip(), _md(feedback, fmt)


def _parse_block(block: list[tuple[int, str]], st: _State) -> Question | None:
    comments = " ".join(raw.strip() for _, raw in block if raw.strip().startswith("//"))
    body = [(n, raw) for n, raw in block if not raw.strip().startswith("//")]
    if not body:
        return None
    ck = _Cooked(body)
    a, b = ck.strip(0, len(ck.s))
    if ck.s.startswith("$CATEGORY:", a):
        segments = [s for s in ck.s[a + 10 : b].translate(_BACK).split("/") if s.strip()]
        st.category = slugify(segments[-1]) if segments else ""
        return None
    st.count += 1
    start = ck.loc(a)
    name = ""
    if ck.s.startswith("::", a):
        end = ck.s.find("::", a + 2, b)
        if end >= 0:
            name = ck.s[a + 2 : end].translate(_BACK).strip()
            a, b = ck.strip(end + 2, b)
        else:
            a += 2
    id_match = re.search(r"\[id:\s*([^\]]+)\]", comments)
    base = slugify(id_match.group(1)) if id_match else ""
    qid = st.unique(base or slugify(name) or f"gift-{st.count}")
    tags = [slugify(t) for t in re.findall(r"\[tag:\s*([^\]]+)\]", comments)] + [st.category]
    common: dict[str, Any] = {
        "id": qid,
        "tags": tuple(dict.fromkeys(t for t in tags if t)),
        "where": SourceRef(st.path, *start),
    }

    def add(code: str, i: int, message: str, hint: str = "") -> None:
        st.bag.add(st.path, *ck.loc(i), code, message, hint)

    lbrace, rbrace = ck.s.find("{", a, b), ck.s.find("}", a, b)
    if lbrace < 0 and rbrace < 0:
        add("G007", a, "Description (no answers) has no equivalent here; skipped", f"id {qid}")
        return None
    if lbrace < 0:
        add("G002", rbrace, LEFT_BRACE_ERROR)
        return None
    if rbrace < 0:
        add("G002", lbrace, RIGHT_BRACE_ERROR)
        return None
    if rbrace < lbrace:
        add("G001", rbrace, BRACE_ERROR)
        return None
    at_end = ck.strip(rbrace + 1, b)[0] == b
    stem, fmt = _formatted(ck.s[a:lbrace] + ("" if at_end else _BLANK + ck.s[rbrace + 1 : b]))
    common["stem_md"] = stem.replace(_BLANK, MISSING_WORD)
    aa, ab = ck.strip(lbrace + 1, rbrace)
    gf = ck.s.rfind("####", aa, ab)
    if gf >= 0:
        common["explain_md"] = _md(ck.s[gf + 4 : ab], fmt)
        aa, ab = ck.strip(aa, gf)
    answer = ck.s[aa:ab]
    if not answer:
        add("G007", lbrace, "Essay questions have no equivalent here; skipped", f"id {qid}")
        return None
    builder: Builder = _short
    if answer.startswith("#"):
        builder = _numerical
    elif "~" in answer:
        builder = _multichoice
    elif "=" in answer and "->" in answer:
        builder = _matching
    elif answer.split("#", 1)[0].strip() in ("T", "TRUE", "F", "FALSE"):
        builder = _truefalse
    return builder(ck, aa, ab, fmt, common, add)


def _weight(text: str) -> tuple[float | None, str]:
    """Moodle's `%50%` answer weight (as 0.5) and the text after it; None when absent."""
    m = _WEIGHT.match(text)
    if not m:
        return None, text
    return float(m.group(2)) / 100 * (-1 if m.group(1) else 1), text[m.end() :]


class _Add(Protocol):
    def __call__(self, code: str, i: int, message: str, hint: str = "") -> None: ...


Builder = Callable[[_Cooked, int, int, str, dict[str, Any], _Add], "Question | None"]


def _multichoice(
    ck: _Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: _Add
) -> Question | None:
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
        rows.append((_md(text, fmt), weight, feedback, ck.loc(sa)))
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


def _eq_spans(ck: _Cooked, aa: int, ab: int) -> list[tuple[int, int]]:
    """Moodle's `explode('=')`: pieces after each `=`, plus a non-empty leading piece."""
    spans = [ck.strip(*sp) for sp in ck.cuts(aa, ab, "=")]
    out = [spans[0]] if spans[0][0] < spans[0][1] else []
    return out + [ck.strip(sa + 1, sb) for sa, sb in spans[1:]]


def _matching(
    ck: _Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: _Add
) -> Question | None:
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
        left, right = _md(ck.s[sa:marker], fmt), ck.s[marker + 2 : sb].translate(_BACK).strip()
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


def _truefalse(
    ck: _Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: _Add
) -> Question | None:
    parts = [*ck.s[aa:ab].split("#", 2), "", ""]
    truth = parts[0].strip() in ("T", "TRUE")
    wrong, right = _md(parts[1], fmt), _md(parts[2], fmt)
    answers = (TextAnswer("true" if truth else "false", feedback_md=right),)  # as quiz.py does
    return Question(
        kind=Kind.TRUEFALSE, truth=truth, answers=answers, default_feedback_md=wrong, **common
    )


def _wildcard(text: str) -> str:
    r"""Moodle's short-answer `*` wildcard (`\*` is a literal star) as a Python regex."""
    parts = re.split(r"(?<!\\)\*", text)
    return ".*".join(re.escape(p.replace("\\*", "*")) for p in parts)


def _short(
    ck: _Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: _Add
) -> Question | None:
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


def _numerical(
    ck: _Cooked, aa: int, ab: int, fmt: str, common: dict[str, Any], add: _Add
) -> Question | None:
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
        bounds = _numbers(cooked.translate(_BACK))
        if isinstance(bounds, str):
            add("G006", sa, ERROR_NOT_NUMBERS, bounds)
            return None
        where = SourceRef(common["where"].path, *ck.loc(sa))
        answers.append(NumericAnswer(*bounds, 1.0 if weight is None else weight, feedback, where))
    return Question(
        kind=Kind.NUMERIC, numeric=tuple(answers), default_feedback_md=default, **common
    )


# --- export ----------------------------------------------------------------------------------


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
