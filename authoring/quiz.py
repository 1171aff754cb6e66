"""Quiz blocks: the line grammar of docs/format-spec.md "Quiz blocks" into `Question` and `Draw`.

Every problem becomes a Q0xx diagnostic at the line and column where it was written, and parsing
goes on after each one. `scan_markdown` finds the ```quiz / ```quiz-draw fences of a Markdown text
and skips every other fence, so an example inside a ````markdown fence stays an example.
"""

from __future__ import annotations

import math
import re
import warnings
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from authoring.diagnostics import Diagnostic, DiagnosticBag, Severity, did_you_mean
from authoring.fsutil import normalize_rel
from authoring.model import (
    Choice,
    Draw,
    Kind,
    MatchPair,
    NumericAnswer,
    Question,
    Scoring,
    SourceRef,
    Step,
    TextAnswer,
    option_id,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NUMBER = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
QUIZ_OPTIONS: tuple[str, ...] = ("id", "points", "type", "shuffle", "scoring", "attempts")
QUIZ_OPTIONS += ("hint_penalty", "case", "accept", "tags")
DRAW_OPTIONS = ("id", "from", "tags", "count", "points")
LINE_FORMS = "quiz lines start with ?, ( ), [ ], =, ~, ->, 1., hint: or explain:"
_TOKEN = re.compile(r'([^\s=]+)=("(?:[^"\\]|\\.)*"?|\S*)|(\S+)')
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
# One pattern classifies a body line by its leading marker; `lastgroup` names the kind.
_LINE = re.compile(
    r"(?P<indent>[ \t]*)(?:"
    r"(?P<option>(?:\((?P<mark>[ xX]?)\)|\[(?P<mark2>[ xX]?)\])(?=\s|$))"
    r"|(?P<answer>=(?P<weight>-?[0-9]+(?:\.[0-9]+)?%)?)"
    r"|(?P<step>[0-9]+\.(?=\s|$))"
    r"|(?P<word>\?|hint:|explain:|~)"
    r")?"
)
_MARKER_KIND = {"?": "stem", "hint:": "hint", "explain:": "explain", "~": "default"}
_FEEDBACK = re.compile(r"\s#(?=\s|$)")
_REGEX = re.compile(r"^/(.*)/([A-Za-z]*)$", re.S)
_NUMERIC_LOOK = re.compile(
    r"^[-+]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*(?:(?:±|\+-|\.\.).*)?$"
)
_WORD = re.compile(r"[^\W_]")
_MD_NOISE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<[^>]*>|\{[^}]*\}")  # keeps alt / link text

#: Every quiz message: key -> (code, message, hint). `{q}` is " 'quiz-id'" (or "" without id).
MESSAGES: dict[str, tuple[str, str, str]] = {
    "not-kv": ("Q003", "header option '{key}' is not written as key=value", ""),
    "quote": ("Q003", "header option '{key}' has an unclosed quote", ""),
    "unknown-option": ("Q003", "unknown header option '{key}'", "{hint}"),
    "twice": ("Q003", "header option '{key}' is given twice", ""),
    "bad-value": ("Q003", "value '{value}' of option '{key}' must be {what}", "{hint}"),
    "accept": ("Q003", "accept=any only applies to single-choice questions", ""),
    "no-count": ("Q003", "draw{q} has no count=", "add count=N, how many questions to draw"),
    "no-id": ("Q001", "{block} has no id", "add id=... to the header; ids key the grades"),
    "bad-id": (
        "Q001",
        "{block} id '{value}' is not valid",
        "use lower-case letters, digits and '-', starting with a letter or digit",
    ),
    "no-stem": ("Q004", "quiz{q} has no stem", "start the block with a '? question' line"),
    "no-correct": (
        "Q005",
        "single-choice question{q} has no correct option",
        "mark the correct option with (x)",
    ),
    "many-correct": (
        "Q005",
        "single-choice question{q} has {n} correct options",
        "use [x] for multiple response or add accept=any",
    ),
    "mixed-options": (
        "Q006",
        "quiz{q} mixes ( ) and [ ] options",
        "use ( ) for single choice or [ ] for multiple response",
    ),
    "nothing": ("Q007", "quiz{q} has no options or answers", LINE_FORMS),
    "none-of-type": ("Q007", "quiz{q} has no {what}", ""),
    "few-options": ("Q007", "quiz{q} needs at least 2 options, has {n}", ""),
    "few-pairs": ("Q007", "matching question{q} needs at least 2 pairs, has {n}", ""),
    "one-truth": ("Q007", "true/false question{q} needs exactly one '= true' or '= false'", ""),
    "dup-option": ("Q008", "duplicate option '{text}' (also at line {n})", ""),
    "dup-answer": ("Q008", "duplicate answer '{text}' (also at line {n})", ""),
    "dup-distractor": ("Q008", "distractor '{text}' repeats a right-hand side", ""),
    "number": ("Q009", "{text}", "{hint}"),
    "no-arrow": ("Q010", "matching line without '->'", "write 'left -> right'"),
    "no-right": ("Q010", "matching pair '{text}' has no right-hand side", ""),
    "dup-left": ("Q010", "duplicate left item '{text}' (also at line {n})", ""),
    "weight": ("Q011", "partial weight '{text}' is outside 0-100 %", ""),
    "no-full": (
        "Q011",
        "no answer of quiz{q} is worth 100 %",
        "give one answer full credit: '= answer' without a weight",
    ),
    "regex-flag": ("Q012", "unknown regex flag '{value}' in '{text}'", "only /i is supported"),
    "regex": ("Q012", "invalid regular expression '{text}': {what}", ""),
    "mixed": (
        "Q013",
        "cannot infer the type of quiz{q}: it mixes {what} and {value}",
        "set type= or split the quiz",
    ),
    "misfit": ("Q013", "{what} do not fit type={value}", "{value} questions use {hint}"),
    "not-truth": (
        "Q013",
        "answer '{text}' does not fit type=truefalse",
        "write '= true' or '= false'",
    ),
    "stray": (
        "Q014",
        "'{text}:' line outside a quiz block is shown as text",
        "move it into the quiz",
    ),
    "no-text": (
        "Q015",
        "the stem of quiz{q} has no text for screen readers",
        "say in words what is asked, or give the image alt text",
    ),
    "few-steps": ("Q016", "ordering question{q} needs at least 2 steps, has {n}", ""),
    "dup-step": ("Q016", "duplicate step '{text}' (also at line {n})", ""),
    "unknown-line": ("Q018", "unrecognised line '{text}'", LINE_FORMS),
    "late-stem": ("Q018", "stem line after the answers", "put every '?' line first"),
    "empty": ("Q018", "'{text}' line without text", ""),
    "tilde": (
        "Q018",
        "'~' feedback only applies to '=' answers",
        "put feedback after ' # ' on an option line",
    ),
    "draw-lines": ("Q018", "a quiz-draw block takes no lines", "put every setting in the header"),
    "no-bank": ("B001", "draw{q} has no from= bank", "add from=banks/<file>.md"),
    "unclosed": ("M003", "code fence '{text}' is never closed", "close it with a line '{text}'"),
}

_WARNING_MESSAGES = frozenset({"no-full"})  # Q011 is an error except for this case

# Line families: which kind of question each kind of line belongs to.
_FAMILY = {"round": "round", "square": "square", "answer": "answer", "pair": "match"}
_FAMILY |= {"distractor": "match", "step": "step"}
# Kinds are handled by their string value here: Enum hashing and lookups are slow in a hot loop.
_KINDS = {k.value: k for k in Kind}
_KIND_NAMES = tuple(_KINDS)
_KIND_FAMILY = {"single": "round", "multiple": "square", "truefalse": "answer"}
_KIND_FAMILY |= {"short": "answer", "numeric": "answer", "matching": "match", "ordering": "step"}
_FAMILY_KIND = {"round": "single", "square": "multiple", "match": "matching", "step": "ordering"}
_ANSWER_KINDS = ("short", "numeric", "truefalse")
_FAMILY_NAME = {"round": "( ) options", "square": "[ ] options", "answer": "'=' answers"}
_FAMILY_NAME |= {"match": "'->' pairs", "step": "numbered steps"}
_EMPTY_NAME = {"round": "( )", "square": "[ ]", "answer": "=", "step": "1.", "hint": "hint:"}
_EMPTY_NAME |= {"explain": "explain:", "default": "~"}


@dataclass(slots=True)
class QuizLine:
    """One classified body line of a quiz block."""

    kind: str  # stem round square answer pair distractor step default hint explain unknown
    text: str
    line: int
    column: int  # 1-based column of the text after the marker
    marker: int  # 1-based column of the marker
    correct: bool = False
    weight: float = 1.0  # answer lines: =50% gives 0.5
    feedback: str = ""
    right: str = ""  # pair and distractor lines


@dataclass(slots=True)
class Report:
    """Where one block is and where its diagnostics go; `say` formats from MESSAGES."""

    path: str
    line: int
    column: int
    bag: DiagnosticBag
    qid: str = ""
    block: str = "quiz"

    def say(self, msg: str, line: int = 0, column: int = 0, /, **fmt: object) -> None:
        """Add MESSAGES[msg] at line:column (default: the block's opening fence)."""
        code, message, hint = MESSAGES[msg]
        fmt["q"] = f" '{self.qid}'" if self.qid else ""
        fmt["block"] = self.block
        severity = Severity.WARNING if msg in _WARNING_MESSAGES else None
        self.bag.add(
            self.path,
            line or self.line,
            column or self.column,
            code,
            message.format(**fmt),
            hint.format(**fmt),
            severity,
        )

    def at(self, q: QuizLine, msg: str, /, **fmt: object) -> None:
        self.say(msg, q.line, q.column, **fmt)

    def ref(self, q: QuizLine) -> SourceRef:
        return SourceRef(self.path, q.line, q.marker)


@dataclass
class Header:
    """Parsed `key=value` options of a fence header, with the column of each."""

    values: dict[str, str] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)

    def check(self, rep: Report, key: str, ok: bool, what: str, hint: str = "") -> bool:
        """Q003 at the option when `ok` is false."""
        if not ok:
            value = self.values[key]
            rep.say(
                "bad-value", rep.line, self.columns[key], key=key, value=value, what=what, hint=hint
            )
        return ok

    def number(
        self, rep: Report, key: str, low: float = 0.0, high: float | None = None
    ) -> float | None:
        """A number > `low` (or from `low` to `high` inclusive when `high` is given)."""
        if key not in self.values:
            return None
        text = self.values[key]
        value = float(text) if NUMBER.match(text) else None
        if value is not None and not math.isfinite(value):
            value = None
        if high is None:
            ok = value is not None and value > low
            what = f"a number > {low:g}"
        else:
            ok = value is not None and low <= value <= high
            what = f"a number from {low:g} to {high:g}"
        return value if self.check(rep, key, ok, what) else None

    def integer(self, rep: Report, key: str, low: int) -> int | None:
        if key not in self.values:
            return None
        text = self.values[key]
        ok = text.isascii() and text.isdigit() and int(text) >= low
        return int(text) if self.check(rep, key, ok, f"an integer >= {low}") else None

    def word(self, rep: Report, key: str, words: tuple[str, ...]) -> str | None:
        if key not in self.values:
            return None
        value = self.values[key]
        if value in words:
            return value
        listed = ", ".join(f"'{w}'" for w in words)
        what = f"one of {listed}" if len(words) > 2 else listed.replace(", ", " or ")
        self.check(rep, key, False, what, did_you_mean(value, words))
        return None

    def tags(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.values.get("tags", "").split(",") if t.strip())


def parse_header(info: str, allowed: tuple[str, ...], rep: Report, column: int) -> Header:
    """`quiz id=x points=2 tags="a,b"`: the options after the block word; Q003 for bad ones."""
    header = Header()
    for index, match in enumerate(_TOKEN.finditer(info)):
        col = column + match.start()
        key, value, bare = match.group(1), match.group(2), match.group(3)
        if index == 0:  # the block word: quiz / quiz-draw
            continue
        if bare is not None:
            rep.say("not-kv", rep.line, col, key=bare)
        elif value.startswith('"') and (len(value) < 2 or not re.search(r'(?<!\\)"$', value[1:])):
            rep.say("quote", rep.line, col, key=key)
        elif key not in allowed:
            rep.say("unknown-option", rep.line, col, key=key, hint=did_you_mean(key, allowed))
        elif key in header.values:
            rep.say("twice", rep.line, col, key=key)
        else:
            quoted = value.startswith('"')
            header.values[key] = value[1:-1].replace('\\"', '"') if quoted else value
            header.columns[key] = col
    qid = header.values.get("id")
    if qid is None:
        rep.say("no-id")
    elif not SLUG.match(qid):
        rep.say("bad-id", rep.line, header.columns["id"], value=qid)
    else:
        rep.qid = qid
    return header


def _split_feedback(text: str) -> tuple[str, str]:
    match = _FEEDBACK.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :].strip()


def classify_line(raw: str, line: int, rep: Report) -> QuizLine | None:
    """What one body line is (None for a blank line); Q011 for a weight outside 0-100 %."""
    match = _LINE.match(raw)
    assert match is not None  # _LINE matches every line (the marker is optional)
    col = match.end("indent") + 1
    name = match.lastgroup
    if name == "indent":  # no marker
        stripped = raw[col - 1 :]
        if not stripped.strip():
            return None
        if stripped.startswith("\\"):  # an escaped leading marker: only a matching line is left
            return _pair(stripped[1:], line, col + 1, col)
        return _pair(stripped, line, col, col)
    end = match.end()
    rest = raw[end:]
    kind = _MARKER_KIND[match.group(name)] if name == "word" else str(name)
    if kind == "option":
        kind = "round" if raw[col - 1] == "(" else "square"
    q = QuizLine(kind, rest.strip(), line, end + 1 + len(rest) - len(rest.lstrip()), col)
    if name in ("option", "answer"):  # the lines where ` # ` starts feedback and `\#` is `#`
        q.text, feedback = _split_feedback(rest)
        q.feedback = feedback.replace("\\#", "#")
        if name == "option":
            q.text = q.text.replace("\\#", "#")
            q.correct = match.group("mark") in ("x", "X") or match.group("mark2") in ("x", "X")
        elif weight := match.group("weight"):
            percent = float(weight[:-1])
            if 0 <= percent <= 100:
                q.weight = percent / 100
            else:
                rep.say("weight", line, col + 1, text=weight)
    return q


def _pair(text: str, line: int, col: int, marker: int) -> QuizLine:
    left, arrow, right = text.partition("->")
    right = right.strip().replace("\\#", "#")
    if not arrow:
        return QuizLine("unknown", text.strip(), line, col, marker)
    if not left.strip():
        return QuizLine("distractor", right, line, col, marker, right=right)
    return QuizLine("pair", left.strip(), line, col, marker, right=right)


def parse_quiz_block(
    info: str,
    body_lines: list[str],
    path: str,
    first_line: int,
    bag: DiagnosticBag,
    *,
    info_column: int = 4,
    fence_column: int = 1,
) -> Question | None:
    """Parse one ```quiz block into a Question; None when its id or its kind cannot be known.

    `first_line` is the file line of the opening fence; body line i is line first_line + 1 + i.
    `info_column` is the column where `info` starts, so header diagnostics point at the option.
    A Question with other errors is still returned (for previews); the errors are in `bag`.
    """
    rep = Report(path, first_line, fence_column, bag)
    header = parse_header(info, QUIZ_OPTIONS, rep, info_column)
    kind_name = header.word(rep, "type", _KIND_NAMES)
    options: dict[str, Any] = {
        "points": header.number(rep, "points"),
        "shuffle": header.word(rep, "shuffle", ("true", "false")),
        "scoring": header.word(rep, "scoring", ("all-or-nothing", "partial")),
        "case": header.word(rep, "case", ("insensitive", "sensitive")),
        "accept": header.word(rep, "accept", ("any",)),
        "attempts": header.integer(rep, "attempts", 0),
        "hint_penalty": header.number(rep, "hint_penalty", 0.0, 1.0),
    }
    lines = [
        q
        for i, raw in enumerate(body_lines)
        if (q := classify_line(raw, first_line + 1 + i, rep)) is not None
    ]
    stems: list[str] = []
    extras: dict[str, list[str]] = {"hint": [], "explain": [], "default": []}
    content: list[QuizLine] = []
    others: list[QuizLine] = []  # unknown lines and ~ lines, judged once the kind is known
    for q in lines:
        if q.kind == "stem":
            if content or others or any(extras.values()):
                rep.say("late-stem", q.line, q.marker)
            else:
                stems.append(q.text)
        elif q.kind in extras and not q.text:
            rep.say("empty", q.line, q.marker, text=_EMPTY_NAME[q.kind])
        elif q.kind in extras:
            extras[q.kind].append(q.text)
            if q.kind == "default":
                others.append(q)
        elif q.kind == "unknown":
            others.append(q)
        else:
            content.append(q)
    stem = "\n".join(stems).strip()
    if not stem:
        rep.say("no-stem")
    elif not _WORD.search(_MD_NOISE.sub(r"\1", stem)):
        rep.say("no-text")
    kind = _kind(rep, kind_name, content)
    for q in others:
        if q.kind == "unknown" and kind == "matching":
            rep.say("no-arrow", q.line, q.marker)
        elif q.kind == "unknown":
            rep.say("unknown-line", q.line, q.marker, text=_short(q.text))
        elif kind is not None and kind not in _ANSWER_KINDS:
            rep.say("tilde", q.line, q.marker)
    if kind is None:
        return None
    accept_any = options["accept"] == "any"
    if accept_any and kind != "single":
        rep.say("accept", rep.line, header.columns["accept"])
    family = _KIND_FAMILY[kind]
    parts = _BUILDERS[kind](
        rep, kind, [q for q in content if _FAMILY[q.kind] == family], accept_any
    )
    if not rep.qid:
        return None
    return Question(
        id=rep.qid,
        kind=_KINDS[kind],
        stem_md=stem,
        points=options["points"] or 1.0,
        shuffle=options["shuffle"] != "false",
        scoring=Scoring.PARTIAL if options["scoring"] == "partial" else Scoring.ALL_OR_NOTHING,
        accept_any=accept_any,
        case_sensitive=options["case"] == "sensitive",
        hints=tuple(extras["hint"]),
        hint_penalty=options["hint_penalty"] or 0.0,
        explain_md="\n".join(extras["explain"]),
        default_feedback_md="\n".join(extras["default"]),
        tags=header.tags(),
        attempts=options["attempts"],
        where=SourceRef(path, first_line, fence_column),
        **parts,
    )


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def _kind(rep: Report, explicit: str | None, content: list[QuizLine]) -> str | None:
    """The question kind: `type=` (checking every line fits it) or inferred from the lines."""
    families: dict[str, QuizLine] = {}
    for q in content:
        families.setdefault(_FAMILY[q.kind], q)
    if explicit is not None:
        expected = _KIND_FAMILY[explicit]
        for family, q in families.items():
            if family != expected:
                what, value = _FAMILY_NAME[family], explicit
                rep.say(
                    "misfit", q.line, q.marker, what=what, value=value, hint=_FAMILY_NAME[expected]
                )
        if expected not in families:
            rep.say("none-of-type", what=_FAMILY_NAME[expected])
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
            first, other = _FAMILY_NAME[names[0]], _FAMILY_NAME[names[1]]
            rep.say("mixed", second.line, second.marker, what=first, value=other)
        return None
    if names[0] != "answer":
        return _FAMILY_KIND[names[0]]
    texts = [q.text for q in content]
    if all(t.lower() in ("true", "false") for t in texts):
        return "truefalse"
    if all(_NUMERIC_LOOK.match(t) for t in texts):
        return "numeric"
    return "short"


def _unique(rep: Report, lines: list[QuizLine], key: str) -> Iterator[QuizLine]:
    """The lines with text, skipping (and reporting) empty and repeated ones."""
    seen: dict[str, int] = {}
    for q in lines:
        if not q.text:
            rep.say("empty", q.line, q.marker, text=_EMPTY_NAME.get(q.kind, q.kind))
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
    match = _REGEX.match(q.text)
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


_BUILDERS = {
    "single": _choices,
    "multiple": _choices,
    "truefalse": _answers,
    "short": _answers,
    "numeric": _answers,
    "matching": _matching,
    "ordering": _ordering,
}


def parse_draw_block(
    info: str,
    body_lines: list[str],
    path: str,
    first_line: int,
    bag: DiagnosticBag,
    *,
    info_column: int = 4,
    fence_column: int = 1,
) -> Draw | None:
    """Parse one ```quiz-draw block (a header only); None when its id, bank or count is unusable.

    The bank path is normalised; whether it is safe, listed and found is checked in validate.
    """
    rep = Report(path, first_line, fence_column, bag, block="draw")
    header = parse_header(info, DRAW_OPTIONS, rep, info_column)
    for i, raw in enumerate(body_lines):
        if raw.strip():
            rep.say("draw-lines", first_line + 1 + i, len(raw) - len(raw.lstrip()) + 1)
    bank = header.values.get("from", "").strip()
    if not bank:
        rep.say("no-bank")
    if "count" not in header.values:
        rep.say("no-count")
    count = header.integer(rep, "count", 1)
    points = header.number(rep, "points")
    if not rep.qid or not bank or count is None:
        return None
    where = SourceRef(path, first_line, fence_column)
    return Draw(rep.qid, normalize_rel(bank), count, header.tags(), points, where)


@dataclass
class BodyScan:
    """What the line scanner found in a Markdown text: quizzes, draws, and lines with images."""

    questions: list[Question] = field(default_factory=list)
    draws: list[Draw] = field(default_factory=list)
    # (line, text) of lines with "![" outside code fences or inside quiz blocks, for image checks
    image_lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Fence:
    """A fenced block: opening line, fence, info string, columns and body (None when unclosed)."""

    line: int
    fence: str
    info: str
    column: int
    info_column: int
    body: list[str] | None

    @property
    def last_line(self) -> int:
        """The closing fence's line (for an unclosed fence: the line before the text's end)."""
        return self.line + len(self.body) + 1 if self.body is not None else 1 << 30


def find_fences(lines: list[str], first_line: int) -> list[Fence]:
    """Every fenced block, in order (fences inside a fence are content, not fences).

    A closing fence uses the same character, at least as many, and nothing else on its line.
    """
    candidates = [i for i, text in enumerate(lines) if "```" in text or "~~~" in text]
    fences: list[Fence] = []
    k, n = 0, len(candidates)
    while k < n:
        i = candidates[k]
        k += 1
        match = _FENCE.match(lines[i])
        if match is None or (match.group(2)[0] == "`" and "`" in match.group(3)):
            continue
        indent, fence, rest = match.groups()
        closer = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        while k < n and not closer.match(lines[candidates[k]]):
            k += 1
        body = lines[i + 1 : candidates[k]] if k < n else None
        k += 1
        info_column = len(indent) + len(fence) + len(rest) - len(rest.lstrip()) + 1
        fences.append(
            Fence(first_line + i, fence, rest.strip(), len(indent) + 1, info_column, body)
        )
    return fences


def scan_markdown(text: str, path: str, first_line: int, bag: DiagnosticBag) -> BodyScan:
    """Find quiz and draw blocks (M003 for unclosed fences, Q014 for stray hint:/explain:)."""
    scan = BodyScan()
    rep = Report(path, first_line, 1, bag)
    lines = text.split("\n")
    fences = find_fences(lines, first_line)
    quiz_lines: set[int] = set()
    for fence in fences:
        if fence.body is None:
            rep.say("unclosed", fence.line, fence.column, text=fence.fence)
            continue
        word = fence.info.split(None, 1)[0] if fence.info else ""
        where = {"info_column": fence.info_column, "fence_column": fence.column}
        if word == "quiz":
            question = parse_quiz_block(fence.info, fence.body, path, fence.line, bag, **where)
            if question is not None:
                scan.questions.append(question)
            quiz_lines.update(range(fence.line + 1, fence.last_line))
        elif word == "quiz-draw":
            draw = parse_draw_block(fence.info, fence.body, path, fence.line, bag, **where)
            if draw is not None:
                scan.draws.append(draw)
    starts = [f.line for f in fences]
    for i, raw in enumerate(lines):
        if "![" not in raw and "hint:" not in raw and "explain:" not in raw:
            continue
        line = first_line + i
        at = bisect_right(starts, line) - 1
        if at >= 0 and line <= fences[at].last_line and line not in quiz_lines:
            continue  # inside a code block
        if "![" in raw:
            scan.image_lines.append((line, raw))
        stripped = raw.lstrip()
        if line not in quiz_lines and stripped.startswith(("hint:", "explain:")):
            column = len(raw) - len(stripped) + 1
            rep.say("stray", line, column, text=stripped.split(":", 1)[0])
    return scan


def parse_quiz_blocks_in_text(
    text: str, path: str, first_line: int = 1
) -> tuple[list[Question], list[Diagnostic]]:
    """Every ```quiz block of a Markdown text (a bank file, a GIFT import) with its diagnostics.

    ```quiz-draw blocks are checked but not returned; `first_line` is the file line of the text's
    first line.
    """
    bag = DiagnosticBag()
    scan = scan_markdown(text, path, first_line, bag)
    return scan.questions, bag.items
